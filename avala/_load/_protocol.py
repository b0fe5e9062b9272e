"""The resolver's documents (catalog-0.10 section 3.4), parsed and checked.

Everything the resolver sends is checked before it is used: schema versions, identities
(each page and grant names the revision that was resolved), the manifest's limits, the shape
of every object, and each grant's provider, host and lifetime. A violation raises
:class:`~avala.errors.DatasetIntegrityError` with a short ``reason``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
from yarl import URL

from .._storage_urls import storage_url
from ..errors import DatasetIntegrityError

__all__ = [
    "DatasetRights",
    "Grant",
    "Manifest",
    "ObjectEntry",
    "Revision",
    "check_grant_url",
    "parse_grant",
    "parse_object",
    "parse_page",
    "parse_revision",
    "server_time",
]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_OBJECTS = 100_000
MAX_PAGE = 100
MAX_GRANT_LIFETIME = 300.0
PROVIDERS = frozenset({"aws_s3", "gcs", "azure_blob", "cloudflare_r2", "avala_proxy", "avala_edge"})
#: The API bases whose grants may point at the Avala edge (``data.avala.ai``).
PRODUCTION_BASES = frozenset({"https://api.avala.ai/api/v1"})
_OBJECT_FIELDS = frozenset(
    {
        "object_uid",
        "logical_path",
        "role",
        "ordinal",
        "episode_ordinal",
        "content_type",
        "origin",
        "size_bytes",
        "sha256",
        "access_path",
    }
)


def _broken(reason: str, detail: str) -> DatasetIntegrityError:
    return DatasetIntegrityError(reason, detail=detail)


def _field(doc: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _broken("invalid_document", f"The {where} has no valid {name!r}.")
    return value


def _int(doc: Mapping[str, Any], name: str, where: str, *, low: int = 0) -> int:
    value: int = _field(doc, name, int, where)
    if value < low:
        raise _broken("invalid_document", f"The {where}'s {name!r} is below {low}.")
    return value


def _hex(doc: Mapping[str, Any], name: str, where: str) -> str:
    value: str = _field(doc, name, str, where)
    if not _HEX64.match(value):
        raise _broken("invalid_document", f"The {where}'s {name!r} is not a lower-case SHA-256.")
    return value


def _schema(doc: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise _broken("invalid_document", f"The {where} is not a JSON object.")
    if doc.get("schema_version") != 1:
        raise _broken(
            "unsupported_schema_version",
            f"The {where} has schema_version {doc.get('schema_version')!r}; this SDK reads 1.",
        )
    return doc


@attrs.frozen
class DatasetRights:
    """The rights a published revision is declared under.

    Attributes:
        status: ``"declared"``.
        access: ``"open_download"``.
        name: The licence's name, e.g. ``"CC-BY-4.0"``.
        url: An ``https`` URL of the licence.
        document_sha256: SHA-256 of the licence document.
        attestation_sha256: SHA-256 of the publisher's attestation.
    """

    status: str
    access: str
    name: str
    url: str
    document_sha256: str
    attestation_sha256: str


@attrs.frozen
class Manifest:
    """What a revision contains, as the resolver declares it."""

    sha256: str
    object_count: int
    total_size_bytes: int
    origins: tuple[str, ...]
    objects_path: str


@attrs.frozen
class Revision:
    """A resolved, published revision."""

    requested_reference: str
    display_reference: str
    canonical_reference: str
    dataset_uid: str
    revision_uid: str
    revision_sha256: str
    manifest: Manifest
    rights: DatasetRights


@attrs.frozen
class ObjectEntry:
    """One object of a revision: what the manifest says of it (no bytes)."""

    object_uid: str
    logical_path: str
    role: str
    ordinal: int
    episode_ordinal: int | None
    content_type: str
    origin: str
    size_bytes: int
    sha256: str
    access_path: str
    extra_fields: Mapping[str, Any] = attrs.field(factory=dict, eq=False)

    @property
    def order_key(self) -> tuple[str, int, str]:
        """``(role, ordinal, logical_path)``: objects arrive strictly in this order."""
        return (self.role, self.ordinal, self.logical_path)


@attrs.frozen
class Grant:
    """Permission to GET one object's bytes until ``deadline`` (local monotonic seconds)."""

    provider: str
    url: URL
    size_bytes: int
    sha256: str
    range_supported: bool
    lifetime: float
    deadline: float


def expected_objects_path(dataset_uid: str, revision_sha256: str) -> str:
    """Where a revision's objects are listed, relative to the API base."""
    return f"/resolve/uid/{dataset_uid}/{revision_sha256}/objects/"


def parse_revision(doc: Any, *, selector: str, dataset_uid: str | None) -> Revision:
    """Check a resolve document against what was asked (a pinned ``selector`` must come
    back as the revision; a uid reference must come back as that dataset)."""
    doc = _schema(doc, "resolve document")
    where = "resolve document"
    if doc.get("state") != "published":
        raise _broken("revision_not_published", f"The revision's state is {doc.get('state')!r}.")
    uid: str = _field(doc, "dataset_uid", str, where)
    sha = _hex(doc, "revision_sha256", where)
    revision_uid: str = _field(doc, "revision_uid", str, where)
    canonical: str = _field(doc, "canonical_reference", str, where)
    if not _UUID.match(uid) or canonical != f"avala://datasets/{uid}@{sha}":
        raise _broken(
            "resolver_identity_mismatch",
            "The canonical reference does not name the dataset uid and revision returned.",
        )
    if (_HEX64.match(selector) and selector != sha) or (dataset_uid and dataset_uid != uid):
        raise _broken("resolver_identity_mismatch", "The resolver answered with another revision.")
    manifest_doc = _schema(doc.get("manifest"), "manifest")
    count = _int(manifest_doc, "object_count", "manifest")
    if count > MAX_OBJECTS:
        raise _broken("manifest_too_large", f"The manifest lists {count} objects (> 100000).")
    origins = manifest_doc.get("origins")
    if (
        not isinstance(origins, list)
        or not 1 <= len(origins) <= 32
        or not all(isinstance(o, str) and o for o in origins)
        or origins != sorted(set(origins))
    ):
        raise _broken("invalid_document", "The manifest's origins are not 1-32 sorted names.")
    objects_path = manifest_doc.get("objects_path")
    if objects_path != expected_objects_path(uid, sha):
        raise _broken(
            "resolver_identity_mismatch", "The manifest's objects_path is not this revision's."
        )
    manifest = Manifest(
        sha256=_hex(manifest_doc, "sha256", "manifest"),
        object_count=count,
        total_size_bytes=_int(manifest_doc, "total_size_bytes", "manifest"),
        origins=tuple(origins),
        objects_path=objects_path,
    )
    rights_doc = doc.get("rights")
    if not isinstance(rights_doc, Mapping):
        raise _broken("invalid_document", "The resolve document has no rights.")
    if rights_doc.get("status") != "declared" or rights_doc.get("access") != "open_download":
        raise _broken("rights_not_open", "The revision is not declared for open download.")
    rights_url: str = _field(rights_doc, "url", str, "rights")
    if URL(rights_url).scheme != "https":
        raise _broken("invalid_document", "The rights URL is not https.")
    rights = DatasetRights(
        status="declared",
        access="open_download",
        name=_field(rights_doc, "name", str, "rights"),
        url=rights_url,
        document_sha256=_hex(rights_doc, "document_sha256", "rights"),
        attestation_sha256=_hex(rights_doc, "attestation_sha256", "rights"),
    )
    return Revision(
        requested_reference=_field(doc, "requested_reference", str, where),
        display_reference=_field(doc, "display_reference", str, where),
        canonical_reference=canonical,
        dataset_uid=uid,
        revision_uid=revision_uid,
        revision_sha256=sha,
        manifest=manifest,
        rights=rights,
    )


def parse_object(doc: Any, revision: Revision) -> ObjectEntry:
    """One entry of an objects page."""
    where = "object entry"
    if not isinstance(doc, Mapping):
        raise _broken("invalid_document", "An object entry is not a JSON object.")
    uid: str = _field(doc, "object_uid", str, where)
    if not _UUID.match(uid):
        raise _broken("invalid_document", "An object_uid is not a uuid.")
    path: str = _field(doc, "logical_path", str, where)
    if not path or path.startswith("/") or "\x00" in path:
        raise _broken("invalid_document", f"Object {uid} has an invalid logical_path.")
    episode = doc.get("episode_ordinal")
    if episode is not None and (not isinstance(episode, int) or isinstance(episode, bool)):
        raise _broken("invalid_document", f"Object {uid} has an invalid episode_ordinal.")
    origin: str = _field(doc, "origin", str, where)
    if origin not in revision.manifest.origins:
        raise _broken("invalid_document", f"Object {uid} has an origin the manifest lacks.")
    access: str = _field(doc, "access_path", str, where)
    if access != f"{revision.manifest.objects_path}{uid}/access/":
        raise _broken("resolver_identity_mismatch", f"Object {uid}'s access_path is foreign.")
    role: str = _field(doc, "role", str, where)
    if not role:
        raise _broken("invalid_document", f"Object {uid} has an empty role.")
    return ObjectEntry(
        object_uid=uid,
        logical_path=path,
        role=role,
        ordinal=_int(doc, "ordinal", where),
        episode_ordinal=episode,
        content_type=_field(doc, "content_type", str, where),
        origin=origin,
        size_bytes=_int(doc, "size_bytes", where),
        sha256=_hex(doc, "sha256", where),
        access_path=access,
        extra_fields={k: v for k, v in doc.items() if k not in _OBJECT_FIELDS},
    )


def parse_page(doc: Any, revision: Revision) -> tuple[list[ObjectEntry], str | None]:
    """An objects page: its entries and the next cursor (None on the last page)."""
    doc = _schema(doc, "objects page")
    if (
        doc.get("canonical_reference") != revision.canonical_reference
        or doc.get("revision_sha256") != revision.revision_sha256
        or doc.get("manifest_sha256") != revision.manifest.sha256
    ):
        raise _broken(
            "resolver_identity_mismatch", "An objects page names another revision or manifest."
        )
    results = doc.get("results")
    if not isinstance(results, list) or len(results) > MAX_PAGE:
        raise _broken("invalid_document", "An objects page has no list of at most 100 results.")
    cursor = doc.get("next_cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise _broken("invalid_cursor_sequence", "An objects page has an invalid next_cursor.")
    return [parse_object(item, revision) for item in results], cursor


def server_time(headers: Mapping[str, str]) -> float | None:
    """The server's clock (unix seconds) from its ``Date`` header, or None."""
    raw = headers.get("Date")
    return _http_date(raw) if raw else None


@functools.lru_cache(maxsize=4)  # a Date header repeats for a whole second of answers
def _http_date(raw: str) -> float | None:
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _expiry(value: Any) -> float:
    if not isinstance(value, str):
        raise _broken("invalid_grant", "The grant has no expires_at.")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _broken("invalid_grant", "The grant's expires_at is not an ISO 8601 time.") from None
    if when.tzinfo is None:
        raise _broken("invalid_grant", "The grant's expires_at has no time zone.")
    return when.timestamp()


_S3 = re.compile(r"(^|\.)s3([-.][a-z0-9-]+)*\.amazonaws\.com$")
_R2 = re.compile(r"^[0-9a-f]{32}(\.eu)?\.r2\.cloudflarestorage\.com$")
_PROVIDER_HOSTS: dict[str, Callable[[str, str], bool]] = {
    "aws_s3": lambda host, base: bool(_S3.search(host)),
    "gcs": lambda host, base: (
        host == "storage.googleapis.com" or host.endswith(".storage.googleapis.com")
    ),
    "azure_blob": lambda host, base: host.endswith(".blob.core.windows.net"),
    "cloudflare_r2": lambda host, base: bool(_R2.match(host)),
    "avala_proxy": lambda host, base: host == "data.avala.ai",
    "avala_edge": lambda host, base: host == "data.avala.ai" and base in PRODUCTION_BASES,
}


def check_grant_url(provider: str, url: Any, base_url: str) -> URL:
    """The grant's URL when its host is allowed for ``provider`` (and by the SDK's storage
    URL rules), else :class:`DatasetIntegrityError` ``untrusted_download_host``.

    Per provider: ``aws_s3`` S3 endpoints, ``gcs`` Google Cloud Storage, ``azure_blob``
    ``*.blob.core.windows.net``, ``cloudflare_r2`` R2 account endpoints, ``avala_proxy``
    ``data.avala.ai``, ``avala_edge`` ``data.avala.ai`` only with a production API base.
    With ``AVALA_ALLOW_INSECURE_STORAGE_URLS=true`` a loopback URL (the bundled server)
    stands in for any provider.
    """
    parsed, problem = storage_url(url)
    if parsed is None:
        raise _broken("untrusted_download_host", f"The {provider} grant was refused: {problem}.")
    host = (parsed.host or "").lower().rstrip(".")
    if parsed.scheme == "http" or host in ("localhost", "127.0.0.1", "::1"):
        return parsed  # storage_url let an insecure loopback URL through on purpose
    if not _PROVIDER_HOSTS[provider](host, base_url):
        raise _broken(
            "untrusted_download_host", f"{host} is not an allowed host for {provider} grants."
        )
    return parsed


def parse_grant(
    doc: Any,
    headers: Mapping[str, str],
    *,
    revision: Revision,
    entry: ObjectEntry,
    base_url: str,
    local_now: float,
    monotonic_now: float,
) -> Grant:
    """Check an access grant; its remaining lifetime is measured against the server's
    ``Date`` (the local clock when the response has none) and must be at most 300 s."""
    doc = _schema(doc, "access grant")
    provider = doc.get("provider")
    if provider not in PROVIDERS:
        raise _broken("invalid_grant", f"The grant names an unknown provider {provider!r}.")
    if doc.get("method") != "GET":
        raise _broken("invalid_grant", "The grant is not for a GET.")
    if (
        doc.get("canonical_reference") != revision.canonical_reference
        or doc.get("revision_sha256") != revision.revision_sha256
        or doc.get("object_uid") != entry.object_uid
        or doc.get("size_bytes") != entry.size_bytes
        or doc.get("sha256") != entry.sha256
    ):
        raise _broken(
            "grant_identity_mismatch", f"The grant for {entry.object_uid} names other bytes."
        )
    url = check_grant_url(provider, doc.get("url"), base_url)
    now = server_time(headers)
    lifetime = _expiry(doc.get("expires_at")) - (local_now if now is None else now)
    if lifetime > MAX_GRANT_LIFETIME + 1:  # one second for the Date header's resolution
        raise _broken(
            "grant_expiry_too_long", f"The grant lives {lifetime:.0f} s (more than 300 s)."
        )
    return Grant(
        provider=provider,
        url=url,
        size_bytes=entry.size_bytes,
        sha256=entry.sha256,
        range_supported=doc.get("range_supported") is True,
        lifetime=lifetime,
        deadline=monotonic_now + lifetime,
    )
