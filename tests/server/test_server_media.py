"""Item media on the bundled server: presigned URLs of its own storage, re-signed on every
answer, small PNGs made from the key, the latency knob and faults on the media path."""

from __future__ import annotations

import hashlib
import struct
import time
import zlib
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from avala.testing import Fault, ServerHandle
from avala.testing.__main__ import main as server_main
from avala.testing._api.datasets import add_bench
from avala.testing._media import MEDIA_SIZE, media_png

ITEMS = "/datasets/demo/warehouse-cameras/items/"


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB PNG with unfiltered rows (no Pillow)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 3 * width
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


async def first_item(srv: ServerHandle, http: aiohttp.ClientSession) -> dict[str, object]:
    async with http.get(srv.url(ITEMS), params={"limit": "1"}) as response:
        return (await response.json())["results"][0]  # type: ignore[no-any-return]


async def test_item_media_is_a_png_of_its_key(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    item = await first_item(srv, http)
    url = str(item["url"])
    assert url.startswith(f"{srv.origin}/_storage/avala-local/media/demo/warehouse-cameras/")
    assert item["data_url"] == url  # one signature per distinct URL of an answer
    async with anon.get(URL(url, encoded=True)) as response:
        assert response.status == 200 and response.content_type == "image/png"
        data = await response.read()
        assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert data == media_png(f"media/demo/warehouse-cameras/{item['key']}")
    width, height, rows = png_pixels(data)
    assert (width, height) == MEDIA_SIZE
    red, green, blue = hashlib.sha256(
        f"media/demo/warehouse-cameras/{item['key']}".encode()
    ).digest()[:3]
    assert rows[3][3 * 5 : 3 * 5 + 3] == bytes(((red + 35) % 256, (green + 27) % 256, blue))
    thumb = str(item["thumbnails"][0])  # type: ignore[index]
    async with anon.get(URL(thumb, encoded=True)) as response:
        assert response.status == 200 and (await response.read()) != data


async def test_every_answer_signs_afresh(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    media = srv.state.storage.media
    media.ttl_seconds = 0  # every URL handed out is already expired
    item = await first_item(srv, http)
    async with anon.get(URL(str(item["url"]), encoded=True)) as response:
        assert response.status == 403 and b"Request has expired" in await response.read()
    media.ttl_seconds = 600
    async with http.get(srv.url(f"{ITEMS}{item['uid']}/")) as response:
        fresh = (await response.json())["url"]
    expires = int(parse_qs(urlsplit(fresh).query)["X-Avala-Expires"][0])
    assert 590 <= expires - time.time() <= 601
    async with anon.get(URL(fresh, encoded=True)) as response:
        assert response.status == 200
    # without a signature, or for a key that is not media, storage says no
    bare = fresh.split("?", 1)[0]
    async with anon.get(bare) as response:
        assert response.status == 403
    other, _ = srv.state.storage.presigned_url(srv.origin, "GET", "uploads/nothing-here")
    async with anon.get(URL(other, encoded=True)) as response:
        assert response.status == 404


async def test_latency_and_faults_on_media(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    url = URL(str((await first_item(srv, http))["url"]), encoded=True)
    srv.state.storage.media.latency = 0.2
    started = time.monotonic()
    async with anon.get(url) as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.2
    srv.state.storage.media.latency = 0
    srv.state.faults.push(
        Fault.status(503, path="/_storage/", contains="/media/"),
        Fault.corrupt_byte(20, contains="/media/"),
    )
    async with anon.get(url) as response:
        assert response.status == 503
    async with anon.get(url) as response:
        corrupt = await response.read()
    good = media_png(url.path.split("/avala-local/", 1)[1])
    assert len(corrupt) == len(good) and corrupt != good
    assert [i for i in range(len(good)) if corrupt[i] != good[i]] == [20]
    media_log = [r for r in srv.state.requests if r.path.startswith("/_storage/")]
    assert media_log and all(r.header("X-Avala-Api-Key") is None for r in media_log)


async def test_bench_items_carry_media_urls(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    add_bench(srv.state.store, 5)
    async with (
        aiohttp.ClientSession(headers={"X-Avala-Api-Key": srv.api_key}) as http,
        http.get(srv.url("/datasets/bench/bench/items/")) as response,
    ):
        items = (await response.json())["results"]
    assert len(items) == 5
    async with anon.get(URL(items[4]["url"], encoded=True)) as response:
        assert response.status == 200
        assert await response.read() == media_png("media/bench/bench/images/0000004.jpg")


def test_media_latency_option_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        server_main(["--media-latency-ms", "-1"])
    assert "--media-latency-ms must be between 0 and 60000" in capsys.readouterr().err
