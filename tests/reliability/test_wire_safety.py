"""What may go out on the wire: no header injection through the key, ids that stay inside
their own path segment, no request at all to a host a redirect points to, and no way to talk
plain http to anything but loopback, whatever the base URL looks like."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from yarl import URL

from avala import (
    AsyncClient,
    CallableProvider,
    Client,
    ConfigurationError,
    NotFoundError,
    RedirectError,
)
from avala.testing import Fault, ServerHandle

from ._support import Since, Surface

# ------------------------------------------------------------------------ header injection

BAD_KEYS = {
    "crlf": "avk_abc\r\nX-Injected: 1",
    "lf": "avk_abc\nX-Injected: 1",
    "cr": "avk_abc\rX-Injected: 1",
    "nul": "avk_abc\x00def",
    "inner-space": "avk_abc def",
    "del": "avk_abc\x7fdef",
}


@pytest.mark.parametrize("client_class", [AsyncClient, Client])
@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_key_with_control_characters_is_refused_before_sending(
    srv: ServerHandle, client_class: type[AsyncClient | Client], name: str
) -> None:
    sent = Since(srv)
    bad = BAD_KEYS[name]
    with pytest.raises(ConfigurationError) as info:
        client_class(api_key=bad, base_url=srv.base_url)
    assert bad not in str(info.value)
    with pytest.raises(ConfigurationError):
        client_class(credentials=CallableProvider(lambda: bad), base_url=srv.base_url)
    assert sent() == []


def test_surrounding_whitespace_of_a_key_is_stripped_not_sent(srv: ServerHandle) -> None:
    sent = Since(srv)
    with Client(api_key=f"  {srv.api_key}\n", base_url=srv.base_url) as client:
        client.tasks.list(limit=1)
    assert [r.header("X-Avala-Api-Key") for r in sent()] == [srv.api_key]


# ------------------------------------------------------------------------------ ids in paths

TRICKY_IDS = [
    "a/b",
    "demo/highway-lidar",  # unencoded, this would reach get_by_slug and succeed
    "../exports",  # unencoded, this would normalize to /exports/ and list exports
    "..%2fexports",
    "%2e%2e",
    "%2E%2E/%2e%2e",
    "...",
    "?limit=1",
    "x?y=1",
    "#fragment",
    "a#b/c",
    "%00",
    "a\r\nX-Injected: 1",
    "ü/ß",
]


def one_segment(path: str, prefix: str) -> str:
    """The single path segment between ``prefix`` and the final slash, as the server saw it."""
    assert path.startswith(prefix) and path.endswith("/"), path
    middle = path[len(prefix) : -1]
    assert middle and "/" not in middle, path
    assert middle not in (".", ".."), path
    return middle


@pytest.mark.parametrize("bad_id", TRICKY_IDS)
async def test_ids_are_encoded_into_one_segment(
    api: Surface, srv: ServerHandle, bad_id: str
) -> None:
    sent = Since(srv)
    with pytest.raises(NotFoundError):
        await api(lambda c: c.datasets.get(bad_id))
    (request,) = sent()
    one_segment(request.path, "/api/v1/datasets/")
    assert request.query == {}
    assert "X-Injected" not in request.headers

    sent = Since(srv)
    with pytest.raises(NotFoundError):
        await api(lambda c: c.datasets.get_item("demo", "highway-lidar", bad_id))
    (request,) = sent()
    one_segment(request.path, "/api/v1/datasets/demo/highway-lidar/items/")
    assert request.query == {}


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
async def test_empty_and_dot_ids_are_refused_before_sending(
    api: Surface, srv: ServerHandle, bad_id: str
) -> None:
    sent = Since(srv)
    with pytest.raises(ValueError):
        await api(lambda c: c.tasks.get(bad_id))
    with pytest.raises(ValueError):
        await api(lambda c: c.datasets.get_by_slug("demo", bad_id))
    with pytest.raises(ValueError):
        await api(lambda c: c.datasets.get_item(bad_id, "highway-lidar", "x"))
    assert sent() == []


# -------------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_to_another_host_sends_it_nothing(
    api: Surface, srv: ServerHandle, other: ServerHandle, status: int
) -> None:
    target = other.url("/tasks/")
    srv.state.faults.push(Fault.redirect(target, status))
    sent, elsewhere = Since(srv), Since(other)
    with pytest.raises(RedirectError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.status_code == status
    assert info.value.location == target
    assert info.value.retries_taken == 0
    assert len(sent()) == 1
    assert elsewhere() == []

    srv.state.faults.push(Fault.redirect(target, status, method="POST"))
    with pytest.raises(RedirectError):
        await api(lambda c: c.exports.create(dataset=str(srv.state.store.datasets[0]["uid"])))
    assert elsewhere() == []


async def test_same_host_redirect_is_not_followed_either(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.redirect("/api/v1/tasks/?limit=1", 302))
    sent = Since(srv)
    with pytest.raises(RedirectError, match="never follows redirects"):
        await api(lambda c: c.tasks.list())
    assert len(sent()) == 1


# ----------------------------------------------------------------------- https enforcement

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

BASE_URL_TRICKS = [
    "http://api.avala.ai/api/v1",
    "HTTP://api.avala.ai/api/v1",
    "hTtP://api.avala.ai",
    "http://127.0.0.1@api.avala.ai/api/v1",
    "http://localhost@api.avala.ai",
    "http://user:pw@127.0.0.1:8000/api/v1",
    "https://user:pw@api.avala.ai/api/v1",
    "http://api.avala.ai#@127.0.0.1/",
    "http://api.avala.ai?@127.0.0.1/",
    "http://api.avala.ai\\@127.0.0.1/",
    "http://127.0.0.1\\@api.avala.ai/",
    "http://127.0.0.1.nip.io/api/v1",
    "http://localhost.api.avala.ai/api/v1",
    "http://localhost./api/v1",
    "http://127.0.0.1./api/v1",
    "http://LOCALHOST./api/v1",
    "http://[::ffff:127.0.0.1]/api/v1",
    "http://[::ffff:7f00:1]/api/v1",
    "http://[0:0:0:0:0:0:0:1]/api/v1",
    "http://[::1%25eth0]/api/v1",
    "http://[::1]@api.avala.ai/",
    "http://0.0.0.0/api/v1",
    "http://127.1/api/v1",
    "http://2130706433/api/v1",
    "http://0x7f000001/api/v1",
    "http://127.0.0.1%2f@api.avala.ai/",
    "http://127.0.0.1%00.api.avala.ai/",
    "http://127.0.0.1:80:80/",
    "http:/127.0.0.1/api/v1",
    "http:127.0.0.1/api/v1",
    "//127.0.0.1/api/v1",
    "127.0.0.1:8000/api/v1",
    " http://api.avala.ai ",
    "http://api.avala.ai\t/api/v1",
    "http://api.avala.ai\n@127.0.0.1",
    "ws://127.0.0.1/api/v1",
    "ftp://api.avala.ai/api/v1",
    "file:///etc/passwd",
    "httpx://api.avala.ai",
    "https//api.avala.ai",
    "",
    # Legitimate spellings, accepted (the last three with the opt-in only):
    "HTTPS://API.AVALA.AI/api/v1/",
    "https://api.avala.ai./api/v1",
    "https://[2001:db8::1]:8443/api/v1",
    "http://LOCALHOST:8000/api/v1",
    "http://[::1]:8000/api/v1",
    "http://127.0.0.1/",
]


def allowed(url: str, insecure: bool) -> bool:
    """Where the key may go: https anywhere, plain http only to loopback (opt-in)."""
    parsed = URL(url)  # parsed the way aiohttp will parse every request URL
    if parsed.user is not None or parsed.password is not None:
        return False
    if parsed.scheme == "https" and parsed.host:
        return True
    return insecure and parsed.scheme == "http" and parsed.host in LOOPBACK


@pytest.mark.parametrize("insecure", [False, True], ids=["default", "insecure-opt-in"])
@pytest.mark.parametrize("via_env", [False, True], ids=["argument", "env"])
@pytest.mark.parametrize("base_url", BASE_URL_TRICKS)
def test_base_url_tricks_cannot_send_the_key_in_clear(
    monkeypatch: pytest.MonkeyPatch, base_url: str, via_env: bool, insecure: bool
) -> None:
    if not insecure:
        monkeypatch.delenv("AVALA_ALLOW_INSECURE_BASE_URL", raising=False)
    if via_env:
        monkeypatch.setenv("AVALA_BASE_URL", base_url)
    try:
        client = AsyncClient(api_key="avk_test", base_url=None if via_env else base_url)
    except ConfigurationError as exc:
        assert "avk_test" not in str(exc)
        if "@" in base_url:
            assert "user:pw" not in str(exc)
        return
    # Accepted (an empty env value means "not set", so the default applies): check where
    # requests would really go.
    assert allowed(client.base_url, insecure), client.base_url
    assert allowed(client.base_url + "/tasks/", insecure)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:1/api/v1", "HTTP://LOCALHOST:1/api/v1", "http://[::1]:1/"]
)
def test_plain_http_to_loopback_needs_the_opt_in(
    monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    monkeypatch.delenv("AVALA_ALLOW_INSECURE_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="plain http"):
        AsyncClient(api_key="avk_test", base_url=base_url)
    for value in ("false", "0", "", "no", "ture"):
        monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", value)
        with pytest.raises(ConfigurationError):
            AsyncClient(api_key="avk_test", base_url=base_url)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", " TRUE ")
    assert AsyncClient(api_key="avk_test", base_url=base_url).base_url.startswith("http://")


async def test_an_accepted_loopback_spelling_really_goes_to_loopback(
    make_api: Callable[..., Surface], srv: ServerHandle
) -> None:
    api = make_api(base_url=f"HTTP://LOCALHOST:{srv.port}/api/v1/")
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list(limit=1))
    assert len(page.items) == 1
    assert len(sent()) == 1
