"""The API key never shows: not in the repr/str of clients, credentials or errors, not in an
exception chain, not in a formatted traceback, even one that captures every frame's locals
(as error trackers do), and not in DEBUG logs. The server echoing the key back in a body is
part of the test: what the SDK keeps of a body is scrubbed."""

from __future__ import annotations

import dataclasses
import logging
import socket
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from avala import (
    AsyncClient,
    AvalaError,
    CallableProvider,
    Client,
    CredentialChain,
    EnvironmentProvider,
    ExplicitKeyProvider,
    FileProvider,
)
from avala.testing import Fault, ServerHandle

from ._support import Surface


@pytest.fixture
def key(srv: ServerHandle) -> Iterator[str]:
    value = f"avk_secret_{uuid.uuid4().hex}"
    srv.state.add_key(value)
    yield value
    srv.state.revoke_key(value)


def every_exception(error: BaseException) -> list[BaseException]:
    """The error and everything reachable through __cause__, __context__ and args."""
    seen: list[BaseException] = []
    todo = [error]
    while todo:
        exc = todo.pop()
        if any(exc is s for s in seen):
            continue
        seen.append(exc)
        todo += [e for e in (exc.__cause__, exc.__context__) if e is not None]
        todo += [a for a in exc.args if isinstance(a, BaseException)]
    return seen


def renderings(error: BaseException) -> Iterator[str]:
    """Every way the error is commonly turned into text."""
    for exc in every_exception(error):
        yield str(exc)
        yield repr(exc)
        yield from (repr(a) for a in exc.args)
        yield repr(getattr(exc, "body", None))
        yield repr(getattr(exc, "message", None))
    yield "".join(traceback.format_exception(error))
    with_locals = traceback.TracebackException.from_exception(error, capture_locals=True)
    yield "".join(with_locals.format())


async def failure(api: Surface, call: Callable[[Any], Any]) -> BaseException:
    """Run a call that must fail and return its error. Nothing here holds the key, so a
    traceback with locals shows only what the SDK's own frames hold."""
    try:
        await api(call)
    except AvalaError as exc:
        return exc
    raise AssertionError("the call did not fail")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SCENARIOS = {
    "401-revoked": None,
    "400-echo": Fault.status(400, json={"detail": "Key {key} is not allowed here"}),
    "422-fields-echo": Fault.status(422, json={"api_key": ["{key} is malformed"]}),
    "500-echo-retried": Fault.status(500, json={"detail": "boom {key}"}),
    "429-text-echo": Fault.status(429, headers={"Retry-After": "0"}, body="slow down {key}"),
    "200-not-json-echo": Fault.non_json(200, body="<html>{key}</html>"),
    "502-html-echo": Fault.non_json(502, body="<html>proxy saw {key}</html>"),
    "reset": Fault.reset(),
    "truncated": Fault.truncated(),
    "timeout": Fault.delay(2),
    "redirect": Fault.redirect("http://127.0.0.1:9/elsewhere"),
}


def echoing(fault: Fault, key: str) -> Fault:
    return dataclasses.replace(fault, body=fault.body.replace(b"{key}", key.encode()))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_errors_and_tracebacks_never_show_the_key(
    make_api: Callable[..., Surface], srv: ServerHandle, key: str, scenario: str
) -> None:
    api = make_api(api_key=key, timeout=0.3, max_retries=1)
    fault = SCENARIOS[scenario]
    if fault is None:
        srv.state.revoke_key(key)
    else:
        srv.state.faults.push(*[echoing(fault, key)] * 2)
    uid = srv.state.store.tasks[0]["uid"]
    error = await failure(api, lambda c: c.tasks.get(uid))
    srv.state.faults.clear()
    for text in renderings(error):
        assert key not in text
    if fault is not None and b"{key}" in fault.body:
        # The body was kept (scrubbed), so the check above had something to look at.
        assert "[redacted]" in repr(getattr(error, "body", None)) + str(error)


async def test_failed_sync_list_traceback_with_locals(srv: ServerHandle, key: str) -> None:
    srv.state.faults.push(Fault.status(400, json={"detail": f"echo {key}"}))
    with Client(api_key=key, base_url=srv.base_url) as client:
        error = await failure(Surface(client), lambda c: c.tasks.list())
    for text in renderings(error):
        assert key not in text


async def test_connection_refused_chain_never_shows_the_key(
    make_api: Callable[..., Surface], key: str
) -> None:
    api = make_api(api_key=key, base_url=f"http://127.0.0.1:{closed_port()}/api/v1")
    error = await failure(api, lambda c: c.with_options(max_retries=0).tasks.get("t"))
    for text in renderings(error):
        assert key not in text


async def test_reprs_never_show_the_key(srv: ServerHandle, key: str, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text(key)
    providers = [
        ExplicitKeyProvider(key),
        EnvironmentProvider(environ={"AVALA_API_KEY": key}),
        FileProvider(secret),
        CallableProvider(lambda: key, name="vault"),
    ]
    objects: list[object] = [*providers, CredentialChain(providers)]
    async with AsyncClient(api_key=key, base_url=srv.base_url) as aclient:
        page = await aclient.tasks.list(limit=1)
        derived = aclient.with_options(max_retries=0, timeout=5)
        objects += [
            aclient,
            derived,
            aclient.credential,
            aclient._transport,
            aclient.tasks,
            aclient.tasks.list(),
            page,
        ]
        with Client(credentials=FileProvider(secret), base_url=srv.base_url) as client:
            sync_page = client.tasks.list(limit=1)
            objects += [
                client,
                client.with_options(max_retries=1),
                client.credential,
                client.tasks,
                sync_page,
                sync_page.first_page(),
            ]
            for obj in objects:
                assert key not in repr(obj), type(obj)
                assert key not in str(obj), type(obj)
                assert key not in f"{obj!r:>10} {obj}"


async def test_debug_logs_never_show_the_key_or_bodies(
    make_api: Callable[..., Surface],
    srv: ServerHandle,
    key: str,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    rotated = f"avk_secret_rotated_{uuid.uuid4().hex}"
    secret = tmp_path / "key"
    secret.write_text(key)
    api = make_api(credentials=FileProvider(secret), timeout=0.3)
    srv.state.faults.push(
        Fault.status(503, headers={"Retry-After": "0"}, json={"detail": f"body-marker {key}"}),
        Fault.reset(),
        Fault.status(400, json={"detail": f"body-marker {key}"}),
    )
    with pytest.raises(AvalaError):
        await api(lambda c: c.tasks.list())
    srv.state.add_key(rotated)
    srv.state.revoke_key(key)
    secret.write_text(rotated)
    await api(lambda c: c.exports.create(dataset=str(srv.state.store.datasets[0]["uid"])))
    srv.state.revoke_key(rotated)

    records = [r for r in caplog.records if r.name.startswith("avala")]
    assert len(records) >= 5  # 3 failed attempts, a 401, the retried POST (and more)
    for record in records:
        text = record.getMessage() + repr(record.args)
        for secret_value in (key, rotated):
            assert secret_value not in text
        assert "body-marker" not in text
        assert str(srv.state.store.datasets[0]["uid"]) not in text  # the POST body
    assert key not in caplog.text and rotated not in caplog.text
