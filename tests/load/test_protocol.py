"""The resolver protocol against aioresponses: each rule of catalog-0.10 section 3.4 broken
once, and the edges of grants, retries and hosts."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

import avala
from avala._load import _client
from avala.errors import (
    ConfigurationError,
    DatasetDownloadError,
    DatasetIntegrityError,
    DatasetReferenceError,
    DatasetResolverError,
    DatasetRevisionWithdrawnError,
    MutableDatasetAliasWarning,
    UnsupportedDatasetModeError,
)

from ._fake import BASE, FakeResolver, iso

JSON = dict[str, Any]


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the resolver client asks for, recorded instead of slept."""
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)

    monkeypatch.setattr(_client, "_pause", record)
    return seen


def requests(mock: aioresponses) -> list[tuple[str, str, Any]]:
    return [(m, str(u), c) for (m, u), calls in mock.requests.items() for c in calls]


def cached_files(root: Path) -> list[Path]:
    objects = root / "objects"
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.exists() else []


async def load_all(reference: str, **options: Any) -> dict[str, bytes]:
    async with await avala.async_load(reference, **options) as ds:
        return {obj.logical_path: await obj.read() async for obj in ds.objects}


# --------------------------------------------------------------------------- happy path


async def test_loads_every_object_anonymously_even_with_a_key_set(
    mock: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "avk_must_never_be_sent_0123456789")
    fake = FakeResolver(page_size=2)
    fake.register(mock)
    got = await load_all(fake.reference)
    assert got == {e["logical_path"]: fake.data[e["object_uid"]] for e in fake.entries}
    assert requests(mock)
    for method, url, call in requests(mock):
        sent = {k.lower() for k in (call.kwargs.get("headers") or {})}
        assert "x-avala-api-key" not in sent and "authorization" not in sent, (method, url)


def test_sync_load_runs_the_same_protocol(mock: aioresponses) -> None:
    fake = FakeResolver()
    fake.register(mock)
    with avala.load(fake.reference) as ds:
        assert isinstance(ds, avala.ResolvedDataset)
        assert ds.canonical_reference == fake.canonical
        assert ds.object_count == 3 and len(ds.objects) == 3
        assert ds.for_role("frame")[1].read() == b"frame one!"
        assert [o.logical_path for o in ds.episodes] == ["episodes/0.json"]


# --------------------------------------------------------------------------- grants


async def test_grant_post_falls_back_to_get_on_405_and_remembers(mock: aioresponses) -> None:
    fake = FakeResolver()
    fake.register(mock, grant_method="GET")
    for entry in fake.entries:
        access = fake.url(entry["access_path"], {"transport": "avala-edge-v1"})
        mock.post(access, status=405, payload={"detail": 'Method "POST" not allowed.'})
    assert len(await load_all(fake.reference, concurrency=1)) == 3
    posts = [r for r in requests(mock) if r[0] == "POST"]
    gets = [r for r in requests(mock) if r[0] == "GET" and "/access/" in r[1]]
    assert len(posts) == 1 and len(gets) == 3


async def test_grant_lifetime_is_measured_against_the_server_date(mock: aioresponses) -> None:
    """The server's clock is an hour behind ours: by our clock the grant expired long ago,
    by the server's it has 60 s left, which is what counts."""
    fake = FakeResolver()
    skew = -3600.0

    def grant(entry: JSON) -> JSON:
        doc = fake.grant(entry)
        doc["expires_at"] = iso(time.time() + skew + 60)
        return doc

    fake.register(
        mock, grant=grant, grant_headers={"Date": formatdate(time.time() + skew, usegmt=True)}
    )
    assert len(await load_all(fake.reference)) == 3


async def test_a_nearly_expired_grant_is_reissued_once(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    entry = fake.entries[0]
    access = fake.url(entry["access_path"], {"transport": "avala-edge-v1"})
    date = {"Date": formatdate(time.time(), usegmt=True)}
    mock.post(access, payload=fake.grant(entry, ttl=2), headers=date)  # < 5 s left
    fake.register(mock)  # then a grant with 60 s
    assert await load_all(fake.reference) == {"a.bin": b"abc"}
    assert len([r for r in requests(mock) if r[0] == "POST"]) == 2


async def test_a_grant_too_short_twice_is_refused(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock, grant=lambda e: fake.grant(e, ttl=3))
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "grant_expiry_too_short"


async def test_a_grant_living_over_300_seconds_is_refused(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock, grant=lambda e: fake.grant(e, ttl=900))
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "grant_expiry_too_long"


@pytest.mark.parametrize(
    ("provider", "url", "base"),
    [
        ("gcs", "https://bucket.s3.amazonaws.com/o?sig=1", BASE),  # another provider's host
        ("aws_s3", "https://evil.example.com/o?sig=1", BASE),
        ("aws_s3", "http://bucket.s3.amazonaws.com/o?sig=1", BASE),  # not https
        ("aws_s3", "https://bucket.s3.amazonaws.com:8443/o?sig=1", BASE),  # a port
        ("avala_edge", "https://data.avala.ai/o?sig=1", "https://api.example.com/api/v1"),
        ("avala_proxy", "https://data.avala.ai.evil.com/o?sig=1", BASE),
        ("aws_s3", "http://127.0.0.1:9000/o?sig=1", BASE),  # loopback, no opt-in
    ],
)
async def test_untrusted_download_hosts_are_refused(
    mock: aioresponses, provider: str, url: str, base: str
) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)], base=base)
    fake.register(mock, grant=lambda e: fake.grant(e, provider=provider, url=url))
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference, base_url=base)
    assert info.value.reason == "untrusted_download_host"
    assert "sig=1" not in str(info.value)  # a signed URL never shows
    assert not [r for r in requests(mock) if "sig=1" in r[1]]  # and is never fetched


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("avala_edge", "https://data.avala.ai/o?sig=1"),
        ("gcs", "https://storage.googleapis.com/b/o?sig=1"),
        ("azure_blob", "https://acct.blob.core.windows.net/c/o?sig=1"),
        ("cloudflare_r2", f"https://{'0' * 32}.r2.cloudflarestorage.com/o?sig=1"),
    ],
)
async def test_each_provider_accepts_its_own_hosts(
    mock: aioresponses, provider: str, url: str
) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock, grant=lambda e: fake.grant(e, provider=provider, url=url))
    assert await load_all(fake.reference) == {"a.bin": b"abc"}
    download = next(c for m, u, c in requests(mock) if "sig=1" in u)
    encoding = "gzip" if provider == "gcs" else "identity"
    assert download.kwargs["headers"]["Accept-Encoding"] == encoding


async def test_a_grant_for_other_bytes_is_refused(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])

    def grant(entry: JSON) -> JSON:
        return {**fake.grant(entry), "sha256": "0" * 64}

    fake.register(mock, grant=grant)
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "grant_identity_mismatch"


# --------------------------------------------------------------------------- retries


async def test_429_is_retried_three_times_honouring_retry_after(
    mock: aioresponses, pauses: list[float]
) -> None:
    fake = FakeResolver()
    resolve = fake.url(f"/resolve/acme/things@{fake.sha}/")
    mock.get(resolve, status=429, headers={"Retry-After": "7"})
    far = formatdate(time.time() + 3600, usegmt=True)
    mock.get(resolve, status=429, headers={"Retry-After": far})  # an hour: capped at 300 s
    mock.get(resolve, status=429)  # none: min(2**n, 30) with n = 2
    fake.register(mock)
    assert len(await load_all(fake.reference)) == 3
    assert pauses[0] == 7
    assert 299 <= pauses[1] <= 300
    assert pauses[2] == 4


async def test_a_fourth_429_gives_up(mock: aioresponses, pauses: list[float]) -> None:
    fake = FakeResolver()
    resolve = fake.url(f"/resolve/acme/things@{fake.sha}/")
    mock.get(resolve, status=429, headers={"Retry-After": "1"}, repeat=True)
    with pytest.raises(DatasetResolverError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "rate_limited" and info.value.status_code == 429
    assert pauses == [1, 1, 1]


async def test_5xx_of_the_resolver_is_retried_then_reported(
    mock: aioresponses, pauses: list[float]
) -> None:
    fake = FakeResolver()
    resolve = fake.url(f"/resolve/acme/things@{fake.sha}/")
    mock.get(resolve, status=503, repeat=True)
    with pytest.raises(DatasetResolverError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "service_unavailable" and len(pauses) == 3


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (404, {"detail": "Not found."}, "not_found"),
        (400, {"detail": "bad"}, "request_rejected"),
        (302, {}, "request_rejected"),
        (410, {"detail": "gone"}, "invalid_withdrawal"),
    ],
)
async def test_resolver_statuses_map_to_reasons(
    mock: aioresponses, status: int, payload: JSON, reason: str
) -> None:
    fake = FakeResolver()
    mock.get(fake.url(f"/resolve/acme/things@{fake.sha}/"), status=status, payload=payload)
    with pytest.raises(DatasetResolverError) as info:
        await load_all(fake.reference)
    assert info.value.reason == reason and not isinstance(info.value, DatasetRevisionWithdrawnError)


async def test_410_is_a_withdrawn_revision(mock: aioresponses) -> None:
    fake = FakeResolver()
    body = {
        "canonical_reference": fake.canonical,
        "dataset_uid": fake.uid,
        "revision_sha256": fake.sha,
    }
    mock.get(fake.url(f"/resolve/acme/things@{fake.sha}/"), status=410, payload=body)
    with pytest.raises(DatasetRevisionWithdrawnError) as info:
        await load_all(fake.reference)
    assert info.value.status_code == 410
    assert (info.value.canonical_reference, info.value.revision_sha256) == (
        fake.canonical,
        fake.sha,
    )


async def test_storage_5xx_is_retried(mock: aioresponses, pauses: list[float]) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    grant = fake.grant(fake.entries[0])
    mock.get(grant["url"], status=503)
    fake.register(mock, grant=lambda e: grant)
    assert await load_all(fake.reference) == {"a.bin": b"abc"}
    assert len(pauses) == 1


async def test_a_storage_redirect_is_refused(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    grant = fake.grant(fake.entries[0])
    mock.get(grant["url"], status=302, headers={"Location": "https://elsewhere.example/x"})
    fake.register(mock, grant=lambda e: grant, storage=False)
    with pytest.raises(DatasetDownloadError) as info:
        await load_all(fake.reference)
    assert info.value.reason == "redirect_rejected"
    assert "X-Sig" not in str(info.value)


async def test_bytes_that_never_verify_are_refused_and_never_cached(
    mock: aioresponses, tmp_path: Path
) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock, body=lambda e: b"abd")
    with pytest.raises(DatasetDownloadError) as info:
        await load_all(fake.reference, cache_dir=tmp_path / "c")
    assert info.value.reason == "sha256_mismatch"
    assert cached_files(tmp_path / "c") == []  # no entry and no temporary file left


async def test_a_short_body_is_a_size_mismatch(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock, body=lambda e: b"ab")
    with pytest.raises(DatasetDownloadError) as info:
        await load_all(fake.reference, cache=False)
    assert info.value.reason == "size_mismatch"


# --------------------------------------------------------------------------- manifest rules


def _break_pages(fake: FakeResolver, how: str) -> tuple[JSON | None, list[Any] | None]:
    pages = fake.pages()
    resolve = None
    if how == "count":
        resolve = copy.deepcopy(fake.resolve_doc)
        resolve["manifest"]["object_count"] += 1
    elif how == "size":
        resolve = copy.deepcopy(fake.resolve_doc)
        resolve["manifest"]["total_size_bytes"] += 1
    elif how == "order":
        first = pages[0][1]["results"]
        first[0], first[1] = first[1], first[0]
    elif how == "duplicate":
        pages[1][1]["results"][0] = copy.deepcopy(pages[0][1]["results"][1])
    elif how == "cursor":
        pages[1][1]["next_cursor"] = "1"  # points back at itself
    elif how == "episode":
        pages[1][1]["results"][0]["episode_ordinal"] = 9
    elif how == "page_identity":
        pages[1][1]["revision_sha256"] = "f" * 64
    elif how == "manifest_identity":
        pages[0][1]["manifest_sha256"] = "f" * 64
    elif how == "foreign_access_path":
        pages[0][1]["results"][0]["access_path"] = "/somewhere/else/access/"
    elif how == "too_many_on_page":
        pages[0][1]["results"] = pages[0][1]["results"] * 51
    return resolve, pages


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("count", "manifest_object_count_mismatch"),
        ("size", "manifest_total_size_mismatch"),
        ("order", "object_order_violation"),
        ("duplicate", "duplicate_object"),
        ("cursor", "invalid_cursor_sequence"),
        ("episode", "unresolved_episode_reference"),
        ("page_identity", "resolver_identity_mismatch"),
        ("manifest_identity", "resolver_identity_mismatch"),
        ("foreign_access_path", "resolver_identity_mismatch"),
        ("too_many_on_page", "invalid_document"),
    ],
)
async def test_each_manifest_rule_broken_is_an_integrity_error(
    mock: aioresponses, how: str, reason: str
) -> None:
    fake = FakeResolver(page_size=2)
    resolve, pages = _break_pages(fake, how)
    fake.register(mock, resolve=resolve, pages=pages)
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference)
    assert info.value.reason == reason
    assert not [r for r in requests(mock) if "/access/" in r[1]]  # before any grant


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d, f: d.update(revision_sha256="e" * 64), "resolver_identity_mismatch"),
        (lambda d, f: d.update(canonical_reference="avala://x"), "resolver_identity_mismatch"),
        (lambda d, f: d.update(state="draft"), "revision_not_published"),
        (lambda d, f: d.update(schema_version=2), "unsupported_schema_version"),
        (lambda d, f: d["manifest"].update(object_count=100_001), "manifest_too_large"),
        (lambda d, f: d["manifest"].update(origins=["b", "a"]), "invalid_document"),
        (lambda d, f: d["manifest"].update(objects_path="/x/"), "resolver_identity_mismatch"),
        (lambda d, f: d["rights"].update(access="restricted"), "rights_not_open"),
        (lambda d, f: d["rights"].update(url="http://x.example/l"), "invalid_document"),
    ],
)
async def test_a_bad_resolve_document_is_an_integrity_error(
    mock: aioresponses, change: Any, reason: str
) -> None:
    fake = FakeResolver()
    doc = copy.deepcopy(fake.resolve_doc)
    change(doc, fake)
    fake.register(mock, resolve=doc)
    with pytest.raises(DatasetIntegrityError) as info:
        await load_all(fake.reference)
    assert info.value.reason == reason


async def test_extra_object_fields_are_kept(mock: aioresponses) -> None:
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.entries[0]["camera"] = "front"
    fake.register(mock)
    async with await avala.async_load(fake.reference) as ds:
        obj = await ds.for_role("file").get(0)
        assert obj.extra_fields == {"camera": "front"}
        with pytest.raises(TypeError):
            await ds.objects.get(0)  # ordinals repeat across roles
        with pytest.raises(KeyError):
            await ds.for_role("file")[5]


# --------------------------------------------------------------------------- arguments


async def test_a_uid_reference_resolves_by_uid(mock: aioresponses) -> None:
    fake = FakeResolver()
    fake.register(mock)
    got = await load_all(f"avala://datasets/{fake.uid}@{fake.sha}")
    assert len(got) == 3
    assert any(f"/resolve/uid/{fake.uid}/{fake.sha}/" in u for _, u, _ in requests(mock))


async def test_an_alias_warns_and_honours_avala_base_url(
    mock: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = "https://api.example.org/api/v1"
    monkeypatch.setenv("AVALA_BASE_URL", base)
    fake = FakeResolver(base=base)
    mock.get(fake.url("/resolve/acme/things@main/"), payload=fake.resolve_doc)
    fake.register(mock)
    with pytest.warns(MutableDatasetAliasWarning, match="pin") as caught:
        ds = await avala.async_load("acme/things", concurrency=2)
    assert caught[0].filename == __file__  # points at the caller
    async with ds:
        assert ds.revision_sha256 == fake.sha


def test_an_insecure_base_url_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match="AVALA_ALLOW_INSECURE_BASE_URL"):
        avala.load("acme/things@" + "a" * 64, base_url="http://api.example.org/api/v1")


@pytest.mark.parametrize(
    ("reference", "revision", "match"),
    [
        ("acme", None, "exactly one '/'"),
        ("acme/things@", None, "nothing follows"),
        ("acme/things@Main", None, "neither 64 hex"),
        ("acme/things@main", "v2", "Ambiguous"),
        ("avala://datasets/not-a-uuid@" + "a" * 64, None, "not a dataset uuid"),
        ("avala://datasets/" + "1" * 32 + "@main", None, "needs '@<64 hex sha256>'"),
        ("s3://acme/things", None, "only the avala://datasets/ scheme"),
        (" acme/things", None, "whitespace"),
        (42, None, "must be a str"),
    ],
)
def test_bad_references_are_value_errors(reference: Any, revision: Any, match: str) -> None:
    with pytest.raises(DatasetReferenceError, match=match) as info:
        avala.load(reference, revision=revision)
    assert isinstance(info.value, ValueError)


def test_unsupported_modes_and_arguments() -> None:
    with pytest.raises(UnsupportedDatasetModeError, match="streaming"):
        avala.load("acme/things@" + "a" * 64, streaming=False)
    with pytest.raises(ValueError, match="concurrency"):
        avala.load("acme/things@" + "a" * 64, concurrency=0)


async def test_without_a_cache_bytes_live_in_a_temporary_directory(
    mock: aioresponses, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AVALA_CACHE_DIR", str(tmp_path / "user-cache"))
    fake = FakeResolver([("file", 0, "a.bin", b"abcdef", None)])
    fake.register(mock)
    async with await avala.async_load(fake.reference, cache=False) as ds:
        obj = await ds.for_role("file")[0]
        with pytest.raises(UnsupportedDatasetModeError, match="open"):
            await obj.read(max_bytes=5)
        with await obj.open() as handle:
            handle.seek(3)
            assert handle.read() == b"def"
        path = obj.cached_path
        assert path is not None and path.read_bytes() == b"abcdef"
    assert not path.exists()  # removed with the dataset
    assert not (tmp_path / "user-cache").exists()


async def test_the_revision_argument_selects_the_revision(mock: aioresponses) -> None:
    fake = FakeResolver()
    fake.register(mock)
    assert len(await load_all("acme/things", revision=fake.sha.upper())) == 3


def test_cache_hits_skip_grants_and_downloads(mock: aioresponses, tmp_path: Path) -> None:
    fake = FakeResolver()
    fake.register(mock)
    for _ in range(2):
        with avala.load(fake.reference, cache_dir=tmp_path / "c") as ds:
            assert [o.read() for o in ds.objects] == [
                fake.data[e["object_uid"]] for e in fake.entries
            ]
    downloads = [r for r in requests(mock) if "X-Sig" in r[1]]
    assert len(downloads) == 3  # the first load only
    files = cached_files(tmp_path / "c")
    assert len(files) == 3 and all(not f.name.startswith(".") for f in files)


async def test_an_unwritable_cache_falls_back_to_a_temporary_directory(
    mock: aioresponses, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache should be")
    fake = FakeResolver([("file", 0, "a.bin", b"abc", None)])
    fake.register(mock)
    async with await avala.async_load(fake.reference, cache_dir=blocker) as ds:
        obj = await ds.for_role("file")[0]
        assert await obj.read() == b"abc"
        assert obj.cached_path is not None and blocker not in obj.cached_path.parents
