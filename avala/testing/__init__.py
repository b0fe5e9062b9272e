"""A real, in-memory Avala API server for tests, demos and benchmarks.

``avala.testing`` serves a slice of the Avala REST API (datasets, items, sequences, projects,
tasks, exports) from an aiohttp.web application over loopback HTTP, with deterministic seed
data, fault injection and a request log::

    from avala.testing import Fault, serve

    with serve() as server:
        server.state.faults.push(Fault.status(503, path="/datasets/"))
        client = AsyncClient(api_key=server.api_key, base_url=server.base_url)
        ...
        assert len(server.state.requests) == 2

Run it standalone with ``python -m avala.testing [--port 8000] [--bench-items N]``.

Rate limits: ``serve(rate_limit=RateLimit(per_minute=100, per_second=20))`` (or
``ServerState(rate_limit=...)``, ``state.rate_limit = ...``, ``--rate-limit``) enforces the
API's limits: ``X-RateLimit-*`` headers, and 429 with ``Retry-After`` beyond them.

Uploads: presigned upload grants (manual dataset uploads, fleet recordings) point at object
storage on the same server under ``/_storage/`` (anonymous, S3-shaped answers); what was
uploaded is in ``server.state.storage.objects[key]`` (size, MD5, SHA-256, and the bytes of
objects up to 1 MiB).

Exports: a new export shows ``pending``, ``processing`` and then ``exported`` on its first three
detail GETs (``ServerState(export_polls=...)`` changes the count). It ends in ``failed``
instead when the dataset's slug or name, or the project's name, contains ``fail``, or when
scripted with ``state.next_export_status_sequence("pending", "failed")``.
"""

from ._app import STATE_KEY, create_app, decode_cursor, encode_cursor
from ._faults import Fault, FaultQueue
from ._ratelimit import RateLimit
from ._runner import ServerHandle, serve, serve_async
from ._state import DEMO_API_KEY, EXPIRED_API_KEY, RecordedRequest, ServerState
from ._storage import MultipartUpload, Storage, StoredObject, StoredPart, without_signatures
from ._store import BENCH_OWNER, BENCH_SLUG, DEMO_OWNER, Store

__all__ = [
    "BENCH_OWNER",
    "BENCH_SLUG",
    "DEMO_API_KEY",
    "DEMO_OWNER",
    "EXPIRED_API_KEY",
    "STATE_KEY",
    "Fault",
    "FaultQueue",
    "MultipartUpload",
    "RateLimit",
    "RecordedRequest",
    "ServerHandle",
    "ServerState",
    "Storage",
    "Store",
    "StoredObject",
    "StoredPart",
    "create_app",
    "decode_cursor",
    "encode_cursor",
    "serve",
    "serve_async",
    "without_signatures",
]
