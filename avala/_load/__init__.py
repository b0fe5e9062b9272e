"""The public dataset resolver behind ``avala.load`` / ``avala.async_load`` (catalog-0.10
section 3.4): reference parsing, the documents and their rules, the anonymous HTTP client,
the content-addressed object cache and the dataset objects of both surfaces."""
