"""The retry policy on the wire, identical on both surfaces: what is retried, how often, and
how the count shows on results and errors. The server's request log is the ground truth:
every attempt the client makes is one entry there, and ``retries_taken`` must match it.

Faults that would be retried carry ``Retry-After: 0`` where the test is about *whether* a
retry happens, so no test waits for backoff; the timing itself is in test_retry_timing.py.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from avala import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from avala.testing import Fault, ServerHandle

from ._support import TCP_TABLE, Since, Surface, open_sockets

NOW = {"Retry-After": "0"}
TASKS = "/tasks/"


def create_export(dataset_uid: str) -> Callable[[object], object]:
    return lambda c: c.exports.create(dataset=dataset_uid)  # type: ignore[attr-defined]


def dataset_uid(srv: ServerHandle) -> str:
    return str(srv.state.store.datasets[0]["uid"])


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- idempotent requests (GET)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retryable_status_is_retried_once_then_succeeds(
    api: Surface, srv: ServerHandle, status: int
) -> None:
    srv.state.faults.push(Fault.status(status, headers=NOW, path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=2))
    assert [t.uid for t in page.items] == [t["uid"] for t in srv.state.store.tasks[:2]]
    assert page.retries_taken == 1
    assert len(sent()) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (418, APIStatusError),
        (422, ValidationError),
    ],
)
async def test_other_4xx_is_never_retried_even_with_retry_after(
    api: Surface, srv: ServerHandle, status: int, error: type[APIStatusError]
) -> None:
    srv.state.faults.push(Fault.status(status, headers=NOW, path=TASKS))
    sent = Since(srv)
    with pytest.raises(error) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.status_code == status
    assert info.value.retries_taken == 0
    assert len(sent()) == 1


async def test_default_is_two_retries(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(*[Fault.status(503, headers=NOW, path=TASKS)] * 2)
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list())
    assert page.retries_taken == 2
    assert len(sent()) == 3

    srv.state.faults.push(*[Fault.status(503, headers=NOW, path=TASKS)] * 3)
    sent = Since(srv)
    with pytest.raises(ServerError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.status_code == 503
    assert info.value.retries_taken == 2
    assert info.value.request_id is not None
    assert len(sent()) == 3


async def test_409_exhausted_raises_conflict_with_count(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(*[Fault.status(409, headers=NOW, path=TASKS)] * 3)
    sent = Since(srv)
    with pytest.raises(ConflictError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.retries_taken == 2
    assert len(sent()) == 3


@pytest.mark.parametrize("retries", [0, 1, 4])
async def test_max_retries_per_client(
    make_api: Callable[..., Surface], srv: ServerHandle, retries: int
) -> None:
    api = make_api(max_retries=retries)
    srv.state.faults.push(*[Fault.status(500, headers=NOW, path=TASKS)] * (retries + 1))
    sent = Since(srv)
    with pytest.raises(ServerError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.retries_taken == retries
    assert len(sent()) == retries + 1

    srv.state.faults.push(*[Fault.status(500, headers=NOW, path=TASKS)] * retries)
    page = await api(lambda c: c.tasks.list())
    assert page.retries_taken == retries


async def test_max_retries_per_call_with_options(
    make_api: Callable[..., Surface], srv: ServerHandle
) -> None:
    api = make_api()  # 2 retries
    srv.state.faults.push(Fault.status(503, headers=NOW, path=TASKS))
    sent = Since(srv)
    with pytest.raises(ServerError) as info:
        await api(lambda c: c.with_options(max_retries=0).tasks.list())
    assert info.value.retries_taken == 0
    assert len(sent()) == 1

    # The derived client changed nothing on the original one.
    srv.state.faults.push(Fault.status(503, headers=NOW, path=TASKS))
    assert (await api(lambda c: c.tasks.list())).retries_taken == 1

    none = make_api(max_retries=0)
    srv.state.faults.push(*[Fault.status(503, headers=NOW, path=TASKS)] * 3)
    page = await none(lambda c: c.with_options(max_retries=3).tasks.list())
    assert page.retries_taken == 3


async def test_x_should_retry_overrides_the_status_rules(api: Surface, srv: ServerHandle) -> None:
    uid = dataset_uid(srv)
    srv.state.faults.push(Fault.status(503, headers={**NOW, "x-should-retry": "false"}, path=TASKS))
    sent = Since(srv)
    with pytest.raises(ServerError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.retries_taken == 0
    assert len(sent()) == 1

    srv.state.faults.push(Fault.status(400, headers={**NOW, "x-should-retry": "true"}, path=TASKS))
    assert (await api(lambda c: c.tasks.list())).retries_taken == 1

    # The hint also wins over method gating: a POST answered 500 is retried when told so...
    srv.state.faults.push(
        Fault.status(500, headers={**NOW, "x-should-retry": "true"}, method="POST")
    )
    sent = Since(srv)
    export = await api(create_export(uid))
    assert len(sent("POST")) == 2
    assert export.datasets == [uid]
    # ...and a 429 is not retried when told not to.
    srv.state.faults.push(
        Fault.status(429, headers={**NOW, "x-should-retry": "false"}, method="POST")
    )
    sent = Since(srv)
    with pytest.raises(RateLimitError) as rate:
        await api(create_export(uid))
    assert rate.value.retries_taken == 0
    assert len(sent("POST")) == 1


# ---------------------------------------------------------- non-idempotent requests (POST)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(500, headers=NOW, method="POST"),
        Fault.status(502, headers=NOW, method="POST"),
        Fault.status(504, headers=NOW, method="POST"),
        Fault.status(408, headers=NOW, method="POST"),
        Fault.status(409, headers=NOW, method="POST"),
        Fault.status(503, method="POST"),  # 503 without Retry-After
        Fault.non_json(502, method="POST"),
    ],
    ids=["500", "502", "504", "408", "409", "503-no-retry-after", "502-html"],
)
async def test_post_is_not_retried_where_the_server_may_have_acted(
    api: Surface, srv: ServerHandle, fault: Fault
) -> None:
    srv.state.faults.push(fault)
    sent = Since(srv)
    with pytest.raises(APIStatusError) as info:
        await api(create_export(dataset_uid(srv)))
    assert info.value.status_code == fault.status_code
    assert info.value.retries_taken == 0
    assert len(sent("POST")) == 1


@pytest.mark.parametrize("fault", [Fault.reset(method="POST"), Fault.truncated(method="POST")])
async def test_post_is_not_retried_after_a_broken_connection(
    api: Surface, srv: ServerHandle, fault: Fault
) -> None:
    srv.state.faults.push(fault)
    sent = Since(srv)
    with pytest.raises(APIConnectionError) as info:
        await api(create_export(dataset_uid(srv)))
    assert info.value.retries_taken == 0
    assert len(sent("POST")) == 1


async def test_post_is_not_retried_after_a_read_timeout(
    make_api: Callable[..., Surface], srv: ServerHandle
) -> None:
    api = make_api(timeout=0.3)
    srv.state.faults.push(Fault.delay(1.5, method="POST"))
    sent = Since(srv)
    with pytest.raises(APITimeoutError) as info:
        await api(create_export(dataset_uid(srv)))
    assert info.value.retries_taken == 0
    assert len(sent("POST")) == 1


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "0"}, {"retry-after-ms": "0"}], ids=["seconds", "ms"]
)
@pytest.mark.parametrize("status", [429, 503])
async def test_post_is_retried_when_the_server_refused_it(
    api: Surface, srv: ServerHandle, status: int, headers: dict[str, str]
) -> None:
    uid = dataset_uid(srv)
    srv.state.faults.push(Fault.status(status, headers=headers, method="POST"))
    sent = Since(srv)
    export = await api(create_export(uid))
    assert export.datasets == [uid]
    posts = sent("POST")
    assert len(posts) == 2
    # Both attempts carry the same idempotency key, so the server can deduplicate.
    keys = {r.header("Idempotency-Key") for r in posts}
    assert len(keys) == 1 and None not in keys

    sent = Since(srv)
    await api(create_export(uid))
    assert sent("POST")[0].header("Idempotency-Key") not in keys


@pytest.mark.parametrize("op", ["GET", "POST"])
async def test_connection_refused_is_retried_for_any_method(
    make_api: Callable[..., Surface], srv: ServerHandle, op: str
) -> None:
    """Nothing was sent, so even a POST is safe to retry."""
    api = make_api(base_url=f"http://127.0.0.1:{closed_port()}/api/v1", max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        if op == "GET":
            await api(lambda c: c.tasks.list())
        else:
            await api(create_export("x"))
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.retries_taken == 1


# ---------------------------------------------- connection faults, and aiohttp's hidden retry


async def test_reset_on_a_reused_connection_is_counted_once_per_attempt(
    make_api: Callable[..., Surface], srv: ServerHandle
) -> None:
    """aiohttp would silently re-send an idempotent request once after a reset on a pooled
    connection. The transport turns that off: the server sees exactly one request per
    attempt, and ``retries_taken`` counts all of them."""
    api = make_api(max_retries=0)
    await api(lambda c: c.tasks.list())  # opens the connection that goes back to the pool
    if TCP_TABLE.exists():  # exactly one connection, idle in the pool: the next one reuses it
        pooled = [state for _, remote, state in open_sockets(srv.port) if remote == srv.port]
        assert pooled == ["ESTABLISHED"]
    srv.state.faults.push(Fault.reset(path=TASKS))
    sent = Since(srv)
    with pytest.raises(APIConnectionError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.retries_taken == 0
    assert len(sent()) == 1

    srv.state.faults.push(Fault.reset(path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.with_options(max_retries=1).tasks.list())
    assert page.retries_taken == 1
    assert len(sent()) == 2


async def test_reset_then_success(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.reset(path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=1))
    assert page.items[0].uid == srv.state.store.tasks[0]["uid"]
    assert page.retries_taken == 1
    assert len(sent()) == 2


async def test_truncated_body_is_retried_for_get(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.truncated(path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=3))
    assert len(page.items) == 3
    assert page.retries_taken == 1
    assert len(sent()) == 2

    srv.state.faults.push(Fault.truncated(path=TASKS))
    with pytest.raises(APIConnectionError, match="cut short") as info:
        await api(lambda c: c.with_options(max_retries=0).tasks.list())
    assert info.value.retries_taken == 0


async def test_non_json_bodies(api: Surface, srv: ServerHandle) -> None:
    # A 2xx that is not JSON is a broken answer, not a transient one: raised, not retried.
    srv.state.faults.push(Fault.non_json(200, path=TASKS))
    sent = Since(srv)
    with pytest.raises(APIResponseValidationError) as invalid:
        await api(lambda c: c.tasks.list())
    assert invalid.value.retries_taken == 0
    assert len(sent()) == 1
    # The count survives a retry that preceded it.
    srv.state.faults.push(
        Fault.status(503, headers=NOW, path=TASKS), Fault.non_json(200, path=TASKS)
    )
    with pytest.raises(APIResponseValidationError) as invalid:
        await api(lambda c: c.tasks.list())
    assert invalid.value.retries_taken == 1
    # A proxy's HTML error page on a 5xx is retried like any 5xx, and named in the error.
    srv.state.faults.push(*[Fault.non_json(502, path=TASKS)] * 3)
    with pytest.raises(ServerError, match="non-JSON") as failed:
        await api(lambda c: c.with_options(max_retries=1).tasks.list())
    assert failed.value.retries_taken == 1
    srv.state.faults.clear()


async def test_timeouts_per_client_and_per_call(
    make_api: Callable[..., Surface], srv: ServerHandle
) -> None:
    fast = make_api(timeout=0.15, max_retries=0)
    srv.state.faults.push(Fault.delay(1, path=TASKS))
    with pytest.raises(APITimeoutError) as info:
        await fast(lambda c: c.tasks.list())
    assert info.value.retries_taken == 0

    # A timed-out GET is retried: the second attempt is served at once.
    srv.state.faults.push(Fault.delay(1, path=TASKS))
    sent = Since(srv)
    page = await fast(lambda c: c.with_options(max_retries=1).tasks.list())
    assert page.retries_taken == 1
    assert len(sent()) == 2

    # Per call, either way: shorter than the client's default...
    patient = make_api(max_retries=0)
    srv.state.faults.push(Fault.delay(1, path=TASKS))
    with pytest.raises(APITimeoutError):
        await patient(lambda c: c.with_options(timeout=0.15).tasks.list())
    srv.state.faults.push(Fault.delay(0.3, path=TASKS))
    page = await patient(lambda c: c.tasks.list(limit=2))
    assert page.retries_taken == 0 and len(page.items) == 2
    # ...or longer than the client's own.
    srv.state.faults.push(Fault.delay(0.3, path=TASKS))
    page = await fast(lambda c: c.with_options(timeout=5).tasks.list(limit=2))
    assert page.retries_taken == 0 and len(page.items) == 2
