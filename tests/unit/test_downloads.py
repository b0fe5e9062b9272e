"""``fetch_to_file`` (the engine of ``exports.download``) against aioresponses: the checks it
makes, how it resumes, what it refuses, and that a signed URL never shows in a message."""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from avala import AsyncClient
from avala._downloads import _fetch
from avala._downloads._fetch import fetch_to_file, partial_files
from avala.errors import DownloadError, DownloadIntegrityError, ExportNotReadyError

URL_ = "https://data.avala.ai/exports/e1.json?X-Sig=s3cr3t-signature"
BODY = bytes(range(256)) * 64  # 16 KiB
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY, usedforsecurity=False).hexdigest()
CHECKSUM = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
KEY = "avk_unit_test_key_0123456789abcdef"


@pytest.fixture
async def session(http: aioresponses) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(_fetch.asyncio, "sleep", fake_sleep)
    return slept


def _sent(http: aioresponses, url: str = URL_) -> list[dict[str, str]]:
    return [dict(call.kwargs["headers"]) for call in http.requests[("GET", URL(url, encoded=True))]]


async def test_a_download_is_verified_and_renamed_into_place(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    http.get(URL_, body=BODY, headers={"ETag": f'"{MD5}"', "x-amz-checksum-sha256": CHECKSUM})
    seen: list[int] = []
    dest = tmp_path / "e.json"
    result = await fetch_to_file(session, URL_, dest, on_progress=seen.append, chunk_size=4096)
    assert dest.read_bytes() == BODY and result.sha256 == SHA and result.size == len(BODY)
    assert seen == [4096] * 4 and result.resumed_from == 0
    assert _sent(http)[0]["Accept-Encoding"] == "identity" and "Range" not in _sent(http)[0]
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]


@pytest.mark.parametrize(
    ("headers", "expected", "problem"),
    [
        ({"x-amz-checksum-sha256": base64.b64encode(b"x" * 32).decode()}, {}, "x-amz-checksum"),
        ({"ETag": '"' + "0" * 32 + '"'}, {}, "MD5 differs from the ETag"),
        ({}, {"expected_sha256": "0" * 64}, "differs from expected_sha256"),
        ({}, {"expected_size": len(BODY) + 1}, "expected_size says"),
    ],
)
async def test_a_mismatch_raises_and_deletes_everything(
    http: aioresponses,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    headers: dict[str, str],
    expected: dict[str, Any],
    problem: str,
) -> None:
    http.get(URL_, body=BODY, headers=headers)
    with pytest.raises(DownloadIntegrityError, match=problem) as caught:
        await fetch_to_file(session, URL_, tmp_path / "e.json", **expected)
    assert caught.value.path == str(tmp_path / "e.json")
    assert "s3cr3t" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_a_multipart_etag_is_not_taken_for_an_md5(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    http.get(URL_, body=BODY, headers={"ETag": '"' + "0" * 32 + '-3"'})
    result = await fetch_to_file(session, URL_, tmp_path / "e.json")
    assert result.sha256 == SHA


def _leave_partial(dest: Path, kept: bytes, etag: str, total: int, url: str = URL_) -> Path:
    partial = dest.with_name(f".{dest.name}.abc123.avala-partial")
    partial.write_bytes(kept)
    identity = str(URL(url, encoded=True).with_query(None))
    meta = {"identity": identity, "etag": etag, "total": total}
    Path(str(partial) + ".json").write_text(json.dumps(meta))
    return partial


async def test_a_partial_left_by_an_earlier_run_is_resumed_with_range_and_if_range(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    etag = f'"{MD5}"'
    _leave_partial(dest, BODY[:5000], etag, len(BODY))
    http.get(
        URL_.replace("s3cr3t", "fresh"),  # a fresh signature: still the same object
        status=206,
        body=BODY[5000:],
        headers={"ETag": etag, "Content-Range": f"bytes 5000-{len(BODY) - 1}/{len(BODY)}"},
    )
    result = await fetch_to_file(session, URL_.replace("s3cr3t", "fresh"), dest)
    sent = _sent(http, URL_.replace("s3cr3t", "fresh"))
    assert sent[0]["Range"] == "bytes=5000-" and sent[0]["If-Range"] == etag
    assert result.resumed_from == 5000 and dest.read_bytes() == BODY
    assert partial_files(dest) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["e.json"]


async def test_resume_false_ignores_a_partial(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    _leave_partial(dest, b"junk", '"etag"', len(BODY))
    http.get(URL_, body=BODY)
    result = await fetch_to_file(session, URL_, dest, resume=False)
    assert result.resumed_from == 0 and "Range" not in _sent(http)[0]


async def test_a_partial_of_another_object_is_left_alone(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    other = _leave_partial(dest, b"other", '"etag"', 99, url="https://data.avala.ai/other.json")
    http.get(URL_, body=BODY)
    await fetch_to_file(session, URL_, dest)
    assert "Range" not in _sent(http)[0] and other.exists()


async def test_a_full_answer_to_a_range_request_restarts_from_zero(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    _leave_partial(dest, b"stale bytes", '"old"', len(BODY))
    http.get(URL_, body=BODY, headers={"ETag": '"new"'})  # If-Range failed: the whole object
    seen: list[int] = []
    result = await fetch_to_file(session, URL_, dest, on_progress=seen.append)
    assert dest.read_bytes() == BODY and result.resumed_from == len(b"stale bytes")
    assert seen[:2] == [11, -11] and sum(seen) == len(BODY)


async def test_a_range_answer_from_the_wrong_offset_is_refused_and_restarted(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    _leave_partial(dest, BODY[:100], '"e"', len(BODY))
    http.get(
        URL_, status=206, body=BODY[50:], headers={"Content-Range": f"bytes 50-16383/{len(BODY)}"}
    )
    http.get(URL_, body=BODY, headers={"ETag": '"e"'})
    result = await fetch_to_file(session, URL_, dest)
    assert dest.read_bytes() == BODY and result.sha256 == SHA
    assert "Range" in _sent(http)[0] and "Range" not in _sent(http)[1]


async def test_5xx_and_429_are_retried_honouring_retry_after(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path, no_sleep: list[float]
) -> None:
    http.get(URL_, status=503)
    http.get(URL_, status=429, headers={"Retry-After": "7"})
    http.get(URL_, body=BODY)
    result = await fetch_to_file(session, URL_, tmp_path / "e.json")
    assert result.sha256 == SHA and len(no_sleep) == 2 and no_sleep[1] == 7


async def test_it_gives_up_after_attempts_without_progress(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    for _ in range(3):
        http.get(URL_, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(DownloadError, match="3 attempts without progress") as caught:
        await fetch_to_file(session, URL_, tmp_path / "e.json", max_attempts=3)
    assert "s3cr3t" not in str(caught.value) and "data.avala.ai" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no validator: nothing worth keeping


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (403, "<Error><Message>Request has expired</Message></Error>", "signed URL expired"),
        (403, "denied", "access denied"),
        (404, "", "no such file"),
        (410, "", "HTTP 410"),
    ],
)
async def test_a_refusal_is_not_retried_and_names_no_signature(
    http: aioresponses,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    status: int,
    body: str,
    says: str,
) -> None:
    http.get(URL_, status=status, body=body)
    with pytest.raises(DownloadError, match=says) as caught:
        await fetch_to_file(session, URL_, tmp_path / "e.json")
    assert caught.value.status_code == status and "s3cr3t" not in str(caught.value)
    assert len(_sent(http)) == 1


async def test_an_existing_file_or_a_missing_folder_is_refused_before_any_request(
    http: aioresponses, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "e.json"
    dest.write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        await fetch_to_file(session, URL_, dest)
    with pytest.raises(DownloadError, match="directory does not exist"):
        await fetch_to_file(session, URL_, tmp_path / "nope" / "e.json")
    assert not http.requests and dest.read_text() == "mine"


# ------------------------------------------------------------------ exports.download


API = "https://api.avala.ai/api/v1"


def _export(status: str, download_url: str | None = URL_) -> dict[str, Any]:
    return {"uid": "e1", "status": status, "download_url": download_url}


async def test_exports_download_sends_storage_no_key(http: aioresponses, tmp_path: Path) -> None:
    http.get(f"{API}/exports/e1/", payload=_export("exported"))
    http.get(URL_, body=BODY, headers={"x-amz-checksum-sha256": CHECKSUM})
    async with AsyncClient(api_key=KEY) as client:
        result = await client.exports.download("e1", tmp_path)
    assert result.path == tmp_path / "e1.json" and result.sha256 == SHA
    (call,) = http.requests[("GET", URL(URL_, encoded=True))]
    sent = {k.lower(): v for k, v in dict(call.kwargs.get("headers") or {}).items()}
    assert KEY not in json.dumps(sent) and "x-avala-api-key" not in sent


async def test_an_untrusted_download_url_is_fetched_from_the_api(
    http: aioresponses, tmp_path: Path
) -> None:
    http.get(f"{API}/exports/e1/", payload=_export("exported", "https://evil.example/e.json"))
    http.get(f"{API}/exports/e1/download/", body=BODY)
    async with AsyncClient(api_key=KEY) as client:
        result = await client.exports.download("e1", tmp_path / "e.json")
    assert result.sha256 == SHA
    assert ("GET", URL("https://evil.example/e.json")) not in http.requests


@pytest.mark.parametrize("status", ["pending", "processing", "failed"])
async def test_an_unfinished_export_is_a_typed_error(
    http: aioresponses, tmp_path: Path, status: str
) -> None:
    http.get(f"{API}/exports/e1/", payload=_export(status, None))
    async with AsyncClient(api_key=KEY) as client:
        with pytest.raises(ExportNotReadyError) as caught:
            await client.exports.download("e1", tmp_path / "e.json")
    assert caught.value.uid == "e1" and caught.value.status == status
    assert list(tmp_path.iterdir()) == []


_ALLOCATOR_CHECK = """
import resource
from collections import deque
from avala._downloads import _fetch

def faults():
    # a download's pattern: 256 KiB buffers filled one after another, a few held at a time
    held = deque(maxlen=5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(256):
        held.append(bytearray(256 << 10))
    held.clear()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

_fetch._prime_allocator()
faults()  # the heap grows once to hold the few buffers
print(faults())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator")
def test_after_priming_read_sized_buffers_are_reused_not_faulted_in_afresh() -> None:
    # A fresh interpreter: glibc's thresholds only ever rise. Without the priming, the same
    # loop faults in a few hundred pages on every round (about 350 on CPython 3.11).
    done = subprocess.run(
        [sys.executable, "-c", _ALLOCATOR_CHECK], capture_output=True, text=True, check=True
    )
    assert int(done.stdout) < 32
