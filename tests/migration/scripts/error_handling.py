"""The official SDK's README error handling, plus the attributes its docs name."""

from avala import Client
from avala.errors import (
    AuthenticationError,
    AvalaError,
    NotFoundError,
    RateLimitError,
    ValidationError,
)

client = Client()

try:
    dataset = client.datasets.get("nonexistent")
except NotFoundError:
    print("Dataset not found")
except RateLimitError:
    print("Rate limited")
except AuthenticationError:
    print("Invalid API key")
except AvalaError as e:
    print(f"API error: {e}")

try:
    client.datasets.get("nonexistent")
except AvalaError as e:
    print("status", e.status_code, "message", e.message, "body is dict", isinstance(e.body, dict))

with Client(api_key="invalid_key") as bad:
    try:
        bad.datasets.list()
    except AuthenticationError as e:
        print(f"Authentication failed: {e.message}")

try:
    client.datasets.create(name="", slug="x", data_type="image")
except ValidationError as e:
    print("validation", e.status_code, type(e.details).__name__)

try:
    Client(api_key="")
except ValueError:
    print("empty key is a ValueError")

client.close()
