"""Bytes coming out of Avala: verified, resumable downloads to disk (exports, dataset objects,
media). Storage hosts get presigned URLs and never the API key."""
