"""What broke against a hostile server and odd call patterns: exceptions that survive
pickling, derived clients safe to close, constructor errors that print, clean messages,
deep JSON, and close() racing calls in flight or in backoff."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import threading
import traceback
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from aiohttp import web
from aioresponses import aioresponses

from avala import (
    AsyncClient,
    Client,
    ClientClosedError,
    NotFoundError,
    RedirectError,
    ServerError,
    errors,
)
from avala.credentials import (
    Attempt,
    CredentialProviderError,
    CredentialsNotFoundError,
)
from avala.testing import Fault, ServerHandle

from ._support import Surface

BASE = "https://api.avala.ai/api/v1"
KEY = "avk_hardening_key_0123456789"


def every_public_error() -> list[errors.AvalaError]:
    common: dict[str, Any] = {
        "status_code": 404,
        "body": {"detail": "gone", "code": "x"},
        "retries_taken": 2,
        "request_id": "req_1",
        "code": "x",
        "doc_url": "https://docs/x",
        "headers": {"X-Request-Id": "req_1"},
    }
    return [
        errors.AvalaError("plain", status_code=None, body="b", retries_taken=1),
        errors.ConfigurationError("bad config"),
        errors.APIStatusError("status", **common),
        errors.NotFoundError("gone", **common),
        errors.AuthenticationError("Invalid API key.", **{**common, "status_code": 401}),
        errors.ForbiddenError("no", **{**common, "status_code": 403}),
        errors.ConflictError("conflict", **{**common, "status_code": 409}),
        errors.ServerError("boom", **{**common, "status_code": 503}),
        errors.ValidationError("invalid", errors={"a": ["b"]}, **{**common, "status_code": 400}),
        errors.RateLimitError("slow", retry_after=1.5, **{**common, "status_code": 429}),
        errors.QuotaExceededError("full", limit=9, used=8, **{**common, "status_code": 413}),
        errors.RedirectError("moved", location="https://x", **{**common, "status_code": 302}),
        errors.APIConnectionError("reset", retries_taken=2),
        errors.APITimeoutError("slow", retries_taken=1),
        errors.APIResponseValidationError("not json", body="<html>"),
        errors.ClientClosedError("closed"),
        errors.BulkEditError(3, 500, errors.ServerError("boom", status_code=500)),
        CredentialsNotFoundError([Attempt("environment", "AVALA_API_KEY is not set")]),
        CredentialProviderError("callable:get_secret", "it raised KeyError"),
    ]


@pytest.mark.parametrize("error", every_public_error(), ids=lambda e: type(e).__name__)
def test_exceptions_survive_pickling(error: errors.AvalaError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error) and copy.args == error.args
    assert copy.__dict__ == error.__dict__  # message, status, body and every attribute


def _raise_not_found(uid: str) -> None:
    raise NotFoundError(f"no dataset {uid}", status_code=404, body={"detail": "Not found."})


def test_a_worker_process_error_reaches_the_parent_typed() -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool, pytest.raises(NotFoundError) as caught:
        pool.submit(_raise_not_found, "ds-9").result(60)
    assert caught.value.status_code == 404 and caught.value.body == {"detail": "Not found."}


async def test_closing_a_derived_client_leaves_the_parent_open(
    make_api: Any, srv: ServerHandle
) -> None:
    api: Surface = make_api()
    derived = api.client.with_options(max_retries=0)
    if api.is_async:
        async with derived as quick:
            await quick.projects.list()
    else:
        with derived as quick:
            await asyncio.to_thread(quick.projects.list)
    assert not api.client.is_closed
    assert (await api(lambda c: c.projects.list())).items  # the pool still works
    await api.close()
    assert api.client.is_closed and derived.is_closed  # the owner closes it for both


@pytest.mark.parametrize("cls", [AsyncClient, Client])
def test_a_constructor_error_prints_with_captured_locals(cls: type[Any]) -> None:
    try:
        cls(api_key="avk_x", base_url="ftp://nowhere")
    except ValueError as exc:
        rendered = "".join(
            traceback.TracebackException.from_exception(exc, capture_locals=True).format()
        )
    assert "<not constructed>" in rendered and "ftp://nowhere" in rendered


async def test_server_text_in_messages_has_control_characters_escaped() -> None:
    with aioresponses() as mock:
        mock.get(f"{BASE}/tasks/x/", status=503, reason="Down\r\nX-Injected: 1")
        mock.get(
            f"{BASE}/tasks/y/", status=302, headers={"Location": "https://evil\x1b[2J.test/\n"}
        )
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(ServerError) as down:
                await client.tasks.get("x")
            with pytest.raises(RedirectError) as moved:
                await client.tasks.get("y")
    assert "\r" not in str(down.value) and "\n" not in str(down.value)
    assert "Down\\r\\nX-Injected: 1" in str(down.value)
    assert "\x1b" not in str(moved.value) and "\\x1b[2J" in str(moved.value)


NESTED = "[" * 10_000 + "]" * 10_000  # far beyond the interpreter's recursion limit


@pytest.mark.parametrize("status", [200, 400])
async def test_deeply_nested_json_is_an_avala_error(status: int) -> None:
    with aioresponses() as mock:
        mock.get(f"{BASE}/tasks/x/", status=status, body=NESTED, content_type="application/json")
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(errors.AvalaError) as caught:
                await client.tasks.get("x")
    assert not isinstance(caught.value, RecursionError)
    assert caught.value.status_code == status


async def test_close_during_retry_backoff_raises_client_closed(srv: ServerHandle) -> None:
    srv.state.faults.push(
        Fault.status(503, headers={"Retry-After": "30"}, path="/tasks/"), Fault.status(503)
    )
    client = AsyncClient(api_key=srv.api_key, base_url=srv.base_url, max_retries=2)
    call = asyncio.ensure_future(client.tasks.get("whatever"))
    while not any(r.path.startswith("/api/v1/tasks/") for r in srv.state.requests):
        await asyncio.sleep(0.01)  # wait for the first attempt to be answered
    await client.close()
    with pytest.raises(ClientClosedError):
        await asyncio.wait_for(call, 10)


async def test_close_during_a_request_in_flight_raises_client_closed(srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.delay(30, path="/tasks/"))
    client = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)
    srv.state.clear_requests()
    call = asyncio.ensure_future(client.tasks.list())
    while not srv.state.requests:
        await asyncio.sleep(0.01)
    await client.close()
    with pytest.raises(ClientClosedError):
        await asyncio.wait_for(call, 10)


def test_sync_close_from_another_thread_raises_client_closed(srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.delay(30, path="/tasks/"))
    client = Client(api_key=srv.api_key, base_url=srv.base_url)
    srv.state.clear_requests()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.tasks.list()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    while not srv.state.requests:
        threading.Event().wait(0.01)
    client.close()
    worker.join(20)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ClientClosedError), outcome


def test_closing_from_another_event_loop_closes_on_the_owning_loop(srv: ServerHandle) -> None:
    owner_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=owner_loop.run_forever)
    thread.start()
    try:
        client = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)
        asyncio.run_coroutine_threadsafe(client.projects.list().first_page(), owner_loop).result(10)
        asyncio.run(client.close())  # another loop: the session is closed on its own one
        assert client.is_closed and not client._transport.has_open_session
    finally:
        owner_loop.call_soon_threadsafe(owner_loop.stop)
        thread.join(10)
        owner_loop.close()


def test_closing_after_the_owning_loop_stopped_says_so(srv: ServerHandle) -> None:
    client = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)

    async def use() -> None:
        await client.projects.list()

    loop = asyncio.new_event_loop()
    loop.run_until_complete(use())
    with pytest.raises(ClientClosedError, match="event loop that has stopped"):
        asyncio.run(client.close())
    loop.run_until_complete(client.close())  # on its own loop it still can
    assert not client._transport.has_open_session
    loop.close()


# --- pagination never loops and never drops ------------------------------------------------

LIST = f"{BASE}/datasets/"


def _page(uids: list[str], next: str | None) -> dict[str, Any]:
    return {
        "next": next,
        "previous": None,
        "results": [{"uid": u, "name": u, "slug": u} for u in uids],
    }


def _walk(surface: str, mock: aioresponses) -> list[str]:
    """Every uid a walk of datasets.list() yields, on either surface."""
    if surface == "sync":
        with Client(api_key=KEY, max_retries=0) as client:
            return [d.uid for d in client.datasets.list()]

    async def walk() -> list[str]:
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            return [d.uid async for d in client.datasets.list()]

    return asyncio.run(walk())


@pytest.mark.parametrize("surface", ["async", "sync"])
def test_a_repeated_cursor_raises_instead_of_looping(surface: str) -> None:
    with aioresponses() as mock:
        mock.get(LIST, payload=_page(["a"], f"{LIST}?cursor=B"))
        mock.get(f"{LIST}?cursor=B", payload=_page(["b"], f"{LIST}?cursor=C"), repeat=True)
        mock.get(f"{LIST}?cursor=C", payload=_page(["c"], f"{LIST}?cursor=B"), repeat=True)
        with pytest.raises(errors.APIResponseValidationError, match="repeats a page"):
            _walk(surface, mock)


@pytest.mark.parametrize("surface", ["async", "sync"])
def test_an_offset_link_is_followed_with_its_own_query(surface: str) -> None:
    with aioresponses() as mock:
        mock.get(LIST, payload=_page(["a", "b"], f"{LIST}?limit=2&offset=2&name=x"))
        mock.get(f"{LIST}?limit=2&offset=2&name=x", payload=_page(["c"], None))
        assert _walk(surface, mock) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "link",
    ["https://elsewhere.test/api/v1/datasets/?cursor=X", "https://api.avala.ai/other/?cursor=X"],
    ids=["other host", "outside the base path"],
)
@pytest.mark.parametrize("surface", ["async", "sync"])
def test_a_next_link_elsewhere_is_refused_not_followed(surface: str, link: str) -> None:
    with aioresponses() as mock:
        mock.get(LIST, payload=_page(["a"], link))
        with pytest.raises(errors.APIResponseValidationError, match="next link leaves"):
            _walk(surface, mock)
        assert [str(u) for (_, u) in mock.requests] == [LIST]


# --- bounded responses -----------------------------------------------------------------------

MIB = 1 << 20


def _bomb(wbits: int, mebibytes: int = 1024) -> bytes:
    """About 1 MB that inflates to ``mebibytes`` MiB of zeros: after a full flush, every
    further MiB of zeros compresses to the same bytes, so they are repeated, not computed.
    (The trailer is not that of the whole stream; a reader that stops at its cap never
    gets there.)"""
    zeros = b"\0" * MIB
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + block * (mebibytes - 1) + packer.flush()


@pytest.fixture
async def bomb_server() -> AsyncIterator[str]:
    bodies = {"gzip": _bomb(31), "deflate": _bomb(15)}

    async def handler(request: web.Request) -> web.Response:
        if request.match_info["kind"] == "plain":
            return web.Response(
                body=b"[" + b"0," * (2 * MIB) + b"0]", content_type="application/json"
            )
        encoding = request.match_info["kind"]
        return web.Response(
            body=bodies[encoding],
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )

    app = web.Application()
    app.router.add_get("/api/v1/tasks/{kind}/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_decompression_bomb_stops_at_the_cap(
    encoding: str, bomb_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    cap = 8 * MIB
    async with AsyncClient(
        api_key=KEY, base_url=bomb_server, max_retries=0, max_response_size=cap
    ) as client:
        tracemalloc.start()
        try:
            with pytest.raises(errors.ResponseTooLargeError) as caught:
                await client.tasks.get(encoding)  # 1 GiB once inflated
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < cap + 8 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert caught.value.limit == cap
    assert "max_response_size" in str(caught.value) and "8,388,608 bytes" in str(caught.value)


async def test_a_plain_body_over_the_cap_is_refused_and_under_it_read(
    bomb_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    async with AsyncClient(
        api_key=KEY, base_url=bomb_server, max_retries=0, max_response_size=MIB
    ) as client:
        with pytest.raises(errors.ResponseTooLargeError):
            await client.tasks.get("plain")  # 4 MiB, announced by Content-Length
        roomy = client.with_options(max_response_size=8 * MIB)
        with pytest.raises(errors.APIResponseValidationError):  # read in full: not a Task
            await roomy.tasks.get("plain")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_max_response_size_is_checked(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_response_size"):
        AsyncClient(api_key=KEY, max_response_size=bad)


# --- the key stays out of kept headers, bodies and traceback locals --------------------------


def _sdk_locals(exc: BaseException | None) -> str:
    """What a traceback capturing locals prints of the SDK's own frames (the mock's frames,
    which fake the server, hold the echo by design), across the exception chain."""
    seen: list[str] = []
    while exc is not None:
        summary = traceback.TracebackException.from_exception(exc, capture_locals=True).stack
        seen += [repr(f.locals) for f in summary if f"{os.sep}avala{os.sep}" in f.filename]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(seen)


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (500, {"detail": f"key {KEY} rejected"}, ServerError),
        (200, {"uid": None, "echo": KEY}, errors.APIResponseValidationError),  # not a Task
        (200, {"next": None, "results": [{"echo": KEY}]}, errors.APIResponseValidationError),
    ],
    ids=["error body", "invalid model", "invalid page"],
)
async def test_an_echoed_key_is_scrubbed_everywhere_an_error_keeps_it(
    status: int, payload: Any, expected: type[Exception]
) -> None:
    path = "/tasks/" if "results" in payload else "/tasks/x/"
    with aioresponses() as mock:
        mock.get(BASE + path, status=status, payload=payload, headers={"X-Echo": f"k={KEY}"})
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(expected) as caught:
                if "results" in payload:
                    await client.tasks.list()
                else:
                    await client.tasks.get("x")
    error = caught.value
    assert KEY not in repr(vars(error)) and KEY not in str(error)
    assert _sdk_locals(error) and KEY not in _sdk_locals(error)  # no SDK frame holds it
    if isinstance(error, errors.APIStatusError):
        assert error.headers["X-Echo"] == "k=[redacted]"


@pytest.mark.parametrize(
    "answer",
    [b"GARBAGE\r\n\r\n", b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}"],
    ids=["bad status line", "bad status code"],
)
async def test_a_malformed_http_answer_is_said_in_words(
    answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    try:
        async with AsyncClient(
            api_key=KEY, base_url=f"http://127.0.0.1:{port}/api/v1", max_retries=0
        ) as client:
            with pytest.raises(errors.APIConnectionError) as caught:
                await client.tasks.get("x")
    finally:
        server.close()
        await server.wait_closed()
    message = str(caught.value)
    assert "not valid HTTP" in message and "GET /tasks/x/" in message
    assert not message.startswith("400") and "message=" not in message
