"""What broke against a hostile server and odd call patterns: exceptions that survive
pickling, derived clients safe to close, constructor errors that print, clean messages,
deep JSON, and close() racing calls in flight or in backoff."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
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
