"""Which presigned storage URLs the SDK uses, for uploads and downloads alike.

A URL is trusted only when it is ``https`` without user information, port or fragment, on an
allow-listed storage host (``data.avala.ai``, Cloudflare R2 account endpoints, Amazon S3
endpoints, Google Cloud Storage, Azure Blob Storage). For local development against
:mod:`avala.testing`, ``AVALA_ALLOW_INSECURE_STORAGE_URLS=true`` also lets ``http`` URLs on
loopback (localhost, 127.0.0.1, ::1) through, and nothing else. Storage requests never carry
the API key, and a signed URL never appears in a message: callers name the host.
"""

from __future__ import annotations

import os
import re

from yarl import URL

ALLOW_INSECURE_STORAGE_ENV = "AVALA_ALLOW_INSECURE_STORAGE_URLS"
ALLOWED_HOSTS_TEXT = "data.avala.ai, R2, S3, GCS, Azure Blob"
_TRUTHY = frozenset({"1", "true", "yes", "on"})
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_S3 = re.compile(r"(^|\.)s3([-.][a-z0-9-]+)*\.amazonaws\.com$")
_R2 = re.compile(r"^[0-9a-f]{32}(\.eu)?\.r2\.cloudflarestorage\.com$")


def trusted_host(host: str) -> bool:
    """Whether ``host`` (lower case) is one of the allow-listed storage hosts."""
    return (
        host == "data.avala.ai"
        or host == "storage.googleapis.com"
        or host.endswith((".storage.googleapis.com", ".blob.core.windows.net"))
        or bool(_R2.match(host))
        or bool(_S3.search(host))
    )


def storage_url(url: object) -> tuple[URL | None, str]:
    """``(parsed, "")`` for a URL the SDK may use, else ``(None, problem)``: a clause such
    as ``"example.com is not an allowed storage host"``, never showing the URL's query."""
    if not isinstance(url, str) or not url:
        return None, "the server sent no URL"
    try:
        parsed = URL(url, encoded=True)
        host = (parsed.host or "").lower().rstrip(".")
    except ValueError:
        return None, "the server sent an invalid URL"
    if not host or not parsed.is_absolute():
        return None, "the server sent an invalid URL"
    if parsed.user is not None or parsed.password is not None or parsed.fragment:
        return None, f"the URL for {host} carries user information or a fragment"
    insecure_ok = os.environ.get(ALLOW_INSECURE_STORAGE_ENV, "").strip().lower() in _TRUTHY
    if insecure_ok and host in _LOOPBACK and parsed.scheme in ("http", "https"):
        return parsed, ""
    if parsed.scheme != "https":
        problem = f"the URL for {host} is not https"
    elif parsed.explicit_port is not None:
        problem = f"the URL for {host} names a port"
    elif not trusted_host(host):
        problem = f"{host} is not an allowed storage host"
    else:
        return parsed, ""
    if host in _LOOPBACK and not insecure_ok:
        problem += f" (set {ALLOW_INSECURE_STORAGE_ENV}=true for a local test server)"
    return None, problem
