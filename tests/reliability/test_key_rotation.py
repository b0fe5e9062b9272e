"""Key rotation without a restart: after a 401 the client asks its credential provider once
more; a different key is used for one more attempt (and from then on), the same key means
the 401 stands. The server's key set and the request log are the ground truth."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from avala import AsyncClient, AuthenticationError, CallableProvider, FileProvider
from avala.testing import ServerHandle

from ._support import Since, Surface

KEY_HEADER = "X-Avala-Api-Key"


@pytest.fixture
def new_key(srv: ServerHandle) -> Iterator[Callable[..., str]]:
    """Mint unique keys (valid unless ``valid=False``); all are revoked after the test."""
    minted: list[str] = []

    def mint(valid: bool = True) -> str:
        key = f"avk_rotation_{uuid.uuid4().hex}"
        minted.append(key)
        if valid:
            srv.state.add_key(key)
        return key

    yield mint
    for key in minted:
        srv.state.revoke_key(key)


def keys_sent(sent: Since) -> list[str | None]:
    return [r.header(KEY_HEADER) for r in sent()]


async def test_file_provider_picks_up_a_rewritten_secret_file(
    make_api: Callable[..., Surface],
    srv: ServerHandle,
    new_key: Callable[..., str],
    tmp_path: Path,
) -> None:
    old, new = new_key(), new_key(valid=False)
    secret = tmp_path / "avala-key"
    secret.write_text(old + "\n")
    api = make_api(credentials=FileProvider(secret))
    sent = Since(srv)
    assert len((await api(lambda c: c.tasks.list(limit=1))).items) == 1
    assert keys_sent(sent) == [old]

    # The secret is rotated: the mounted file changes, the old key is revoked.
    srv.state.add_key(new)
    srv.state.revoke_key(old)
    secret.write_text(new + "\n")
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=1))
    assert len(page.items) == 1
    assert page.retries_taken == 0  # a key refresh is not a retry of a failure
    assert keys_sent(sent) == [old, new]
    assert api.client.credential.provider == f"file:{secret}"

    # From now on the new key goes first.
    sent = Since(srv)
    await api(lambda c: c.tasks.list(limit=1))
    assert keys_sent(sent) == [new]


async def test_same_key_again_means_authentication_error(
    make_api: Callable[..., Surface],
    srv: ServerHandle,
    new_key: Callable[..., str],
    tmp_path: Path,
) -> None:
    key = new_key()
    secret = tmp_path / "avala-key"
    secret.write_text(key)
    api = make_api(credentials=FileProvider(secret))
    srv.state.revoke_key(key)  # revoked, but the file was not updated
    sent = Since(srv)
    with pytest.raises(AuthenticationError, match=r"^Invalid API key\.$") as info:
        await api(lambda c: c.tasks.list())
    assert info.value.status_code == 401
    assert keys_sent(sent) == [key]


async def test_explicit_key_cannot_rotate(
    make_api: Callable[..., Surface], srv: ServerHandle, new_key: Callable[..., str]
) -> None:
    key = new_key()
    api = make_api(api_key=key)
    srv.state.expire_key(key)
    sent = Since(srv)
    with pytest.raises(AuthenticationError, match="expired"):
        await api(lambda c: c.tasks.list())
    assert keys_sent(sent) == [key]


async def test_callable_provider_rotates_an_expired_key(
    make_api: Callable[..., Surface], srv: ServerHandle, new_key: Callable[..., str]
) -> None:
    current = [new_key()]
    calls: list[str] = []

    def from_vault() -> str:
        calls.append(current[0])
        return current[0]

    api = make_api(credentials=CallableProvider(from_vault), max_retries=0)
    await api(lambda c: c.tasks.list(limit=1))
    first = current[0]
    current[0] = new_key()
    srv.state.expire_key(first)
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=1))
    assert len(page.items) == 1  # rotation works even with retries disabled
    assert keys_sent(sent) == [first, current[0]]
    assert calls == [first, current[0]]  # resolved at construction, then once on the 401


async def test_rotation_is_attempted_only_once(
    make_api: Callable[..., Surface], srv: ServerHandle, new_key: Callable[..., str]
) -> None:
    """A provider that keeps producing fresh but invalid keys gets one more try, not a loop."""
    produced: list[str] = []

    def unknown_keys() -> str:
        produced.append(new_key(valid=False))
        return produced[-1]

    api = make_api(credentials=CallableProvider(unknown_keys))
    sent = Since(srv)
    with pytest.raises(AuthenticationError):
        await api(lambda c: c.tasks.list())
    assert keys_sent(sent) == produced[:2]
    assert len(produced) == 2


async def test_environment_variable_rotation(
    make_api: Callable[..., Surface],
    srv: ServerHandle,
    new_key: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = new_key(), new_key()
    monkeypatch.setenv("AVALA_API_KEY", old)
    api = make_api(api_key=None)  # the default chain: AVALA_API_KEY, then .env
    await api(lambda c: c.tasks.list(limit=1))
    monkeypatch.setenv("AVALA_API_KEY", new)
    srv.state.revoke_key(old)
    sent = Since(srv)
    await api(lambda c: c.tasks.list(limit=1))
    assert keys_sent(sent) == [old, new]


@pytest.mark.parametrize("rewrite", ["delete", "newline", "nul", "empty"])
async def test_a_broken_new_key_is_refused_before_sending(
    make_api: Callable[..., Surface],
    srv: ServerHandle,
    new_key: Callable[..., str],
    tmp_path: Path,
    rewrite: str,
) -> None:
    key = new_key()
    secret = tmp_path / "avala-key"
    secret.write_text(key)
    api = make_api(credentials=FileProvider(secret))
    srv.state.revoke_key(key)
    if rewrite == "delete":
        secret.unlink()
    elif rewrite == "newline":
        secret.write_text("avk_new\r\nX-Injected: 1")
    elif rewrite == "nul":
        secret.write_text("avk_new\x00tail")
    else:
        secret.write_text("  \n")
    sent = Since(srv)
    with pytest.raises(AuthenticationError):
        await api(lambda c: c.tasks.list())
    assert keys_sent(sent) == [key]  # nothing else went out
    assert all("X-Injected" not in r.headers for r in sent())
    assert api.client.credential.provider == f"file:{secret}"


async def test_concurrent_401s_resolve_the_key_once(
    srv: ServerHandle, new_key: Callable[..., str]
) -> None:
    current = [new_key()]
    resolutions = 0

    def from_vault() -> str:
        nonlocal resolutions
        resolutions += 1
        return current[0]

    async with AsyncClient(credentials=CallableProvider(from_vault), base_url=srv.base_url) as c:
        await c.tasks.list(limit=1)  # the pool holds a connection already
        old = current[0]
        current[0] = new_key()
        srv.state.revoke_key(old)
        sent = Since(srv)
        pages = await asyncio.gather(*(c.tasks.list(limit=1) for _ in range(20)))
    assert all(len(page.items) == 1 for page in pages)
    assert resolutions == 2  # at construction, then once for all twenty 401s
    seen = keys_sent(sent)
    assert seen.count(current[0]) == 20
    assert set(seen) == {old, current[0]}
