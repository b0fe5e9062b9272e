"""Logging on ``logging.getLogger("avala")``: at DEBUG, one line per attempt with method,
path, status (or the connection error), attempt number, elapsed time and request id; at
INFO and above, nothing per request. Key and bodies: see test_secrets.py."""

from __future__ import annotations

import logging
import re

import pytest

from avala import ServerError
from avala.testing import Fault, ServerHandle

from ._support import Since, Surface

ATTEMPT = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>/\S*) -> (?P<outcome>\d{3}|[A-Za-z]+) "
    r"\(attempt (?P<attempt>\d+), (?P<ms>\d+\.\d) ms(?:, request_id=(?P<request_id>\S+))?\)$"
)


def attempts(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = []
    for record in caplog.records:
        if record.name == "avala" and record.levelno == logging.DEBUG:
            match = ATTEMPT.match(record.getMessage())
            if match:
                lines.append(match)
    return lines


async def test_one_debug_line_per_attempt(
    api: Surface, srv: ServerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    srv.state.faults.push(
        Fault.status(503, headers={"Retry-After": "0"}, path="/tasks/"),
        Fault.reset(path="/tasks/"),
    )
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=2))
    lines = attempts(caplog)
    assert len(lines) == len(sent()) == 3
    assert [m["attempt"] for m in lines] == ["1", "2", "3"]
    assert all(m["method"] == "GET" and m["path"] == "/tasks/" for m in lines)
    assert lines[0]["outcome"] == "503" and lines[0]["request_id"]
    assert lines[1]["outcome"] in ("ClientOSError", "ServerDisconnectedError")
    assert lines[1]["request_id"] is None  # no response, no request id
    assert lines[2]["outcome"] == "200"
    assert lines[2]["request_id"] == page.request_id
    assert lines[0]["request_id"] != page.request_id
    assert all(float(m["ms"]) >= 0 for m in lines)

    caplog.clear()
    srv.state.faults.push(Fault.status(500, path="/tasks/"))
    with pytest.raises(ServerError) as info:
        await api(lambda c: c.with_options(max_retries=0).tasks.list())
    (line,) = attempts(caplog)
    assert line["outcome"] == "500"
    assert line["request_id"] == info.value.request_id


async def test_elapsed_time_is_the_attempts_own(
    api: Surface, srv: ServerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    srv.state.faults.push(Fault.delay(0.3, path="/tasks/"))
    uid = str(srv.state.store.tasks[0]["uid"])
    await api(lambda c: c.tasks.list())
    await api(lambda c: c.tasks.get(uid))
    slow, fast = attempts(caplog)
    assert float(slow["ms"]) >= 300
    assert fast["path"] == f"/tasks/{uid}/"
    assert float(fast["ms"]) < float(slow["ms"])


async def test_nothing_per_request_above_debug(
    api: Surface, srv: ServerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="avala")
    srv.state.faults.push(Fault.status(503, headers={"Retry-After": "0"}, path="/tasks/"))
    await api(lambda c: c.tasks.list())
    assert [r for r in caplog.records if r.name == "avala"] == []
