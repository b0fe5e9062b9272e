"""Base URL resolution and validation (seed "Custom base URL"), and client settings."""

from __future__ import annotations

import math

import pytest
from aioresponses import aioresponses

import avala
from avala import AsyncClient, AvalaError, ConfigurationError
from avala._config import resolve_base_url

from ._helpers import KEY, dataset, url

INSECURE = {"AVALA_ALLOW_INSECURE_BASE_URL": "true"}


# --- precedence -----------------------------------------------------------------------


def test_default_base_url_when_nothing_is_configured() -> None:
    assert resolve_base_url(None, {}) == "https://api.avala.ai/api/v1"
    assert avala.DEFAULT_BASE_URL == "https://api.avala.ai/api/v1"


def test_environment_variable_is_used_when_no_argument() -> None:
    env = {"AVALA_BASE_URL": "https://custom-api.example.com/api/v1"}
    assert resolve_base_url(None, env) == "https://custom-api.example.com/api/v1"


def test_argument_beats_environment_variable() -> None:
    env = {"AVALA_BASE_URL": "https://from-env.example.com/api/v1"}
    assert resolve_base_url("https://from-arg.example.com/v2", env) == (
        "https://from-arg.example.com/v2"
    )


def test_argument_wins_even_when_environment_value_is_invalid() -> None:
    env = {"AVALA_BASE_URL": "ftp://broken"}
    assert resolve_base_url("https://ok.example.com", env) == "https://ok.example.com"


def test_empty_environment_variable_means_default() -> None:
    assert resolve_base_url(None, {"AVALA_BASE_URL": ""}) == avala.DEFAULT_BASE_URL


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_BASE_URL", "https://env.example.com/api/v1/")
    assert resolve_base_url(None) == "https://env.example.com/api/v1"
    assert AsyncClient(api_key=KEY).base_url == "https://env.example.com/api/v1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.example.com/api/v1/", "https://api.example.com/api/v1"),
        ("https://api.example.com/api/v1///", "https://api.example.com/api/v1"),
        ("https://api.example.com/", "https://api.example.com"),
        ("https://api.example.com", "https://api.example.com"),
        ("https://API.Example.com:8443/api/v1/", "https://api.example.com:8443/api/v1"),
        ("HTTPS://api.example.com/api/v1", "https://api.example.com/api/v1"),
    ],
)
def test_trailing_slashes_stripped_and_scheme_host_normalised(given: str, expected: str) -> None:
    assert resolve_base_url(given, {}) == expected
    assert resolve_base_url(None, {"AVALA_BASE_URL": given}) == expected


# --- errors name their source ---------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["api.example.com/api/v1", "localhost:8000", "/api/v1", "https://", "", "   "]
)
def test_missing_scheme_or_host_from_argument_names_the_argument(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url(bad, {})
    message = str(info.value)
    assert "argument" in message
    assert "AVALA_BASE_URL environment" not in message


@pytest.mark.parametrize("bad", ["api.example.com/api/v1", "localhost:8000", "https://", "  "])
def test_missing_scheme_or_host_from_env_names_the_variable(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url(None, {"AVALA_BASE_URL": bad})
    message = str(info.value)
    assert "AVALA_BASE_URL" in message
    assert "argument" not in message


def test_bad_base_url_error_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_base_url("nonsense", {})
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AvalaError)


def test_non_string_argument_is_refused() -> None:
    with pytest.raises(ValueError, match="argument"):
        resolve_base_url(123, {})  # type: ignore[arg-type]


def test_client_constructor_raises_for_bad_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="argument"):
        AsyncClient(api_key=KEY, base_url="http://example.com")
    monkeypatch.setenv("AVALA_BASE_URL", "http://example.com")
    with pytest.raises(ValueError, match="AVALA_BASE_URL"):
        AsyncClient(api_key=KEY)


# --- plain http -----------------------------------------------------------------------


def test_http_refused_without_opt_in() -> None:
    with pytest.raises(ValueError, match="AVALA_ALLOW_INSECURE_BASE_URL"):
        resolve_base_url("http://localhost:8000/api/v1", {})


@pytest.mark.parametrize("flag", ["1", "true", "TRUE", "True", " yes ", "on", "ON", "\ttrue\n"])
def test_truthy_opt_in_allows_http_localhost(flag: str) -> None:
    env = {"AVALA_ALLOW_INSECURE_BASE_URL": flag}
    assert resolve_base_url("http://localhost:8000/api/v1/", env) == (
        "http://localhost:8000/api/v1"
    )


@pytest.mark.parametrize("flag", ["0", "false", "", "no", "off", "2", "enabled", "truthy"])
def test_non_truthy_opt_in_keeps_http_refused(flag: str) -> None:
    env = {"AVALA_ALLOW_INSECURE_BASE_URL": flag}
    with pytest.raises(ValueError):
        resolve_base_url("http://localhost:8000/api/v1", env)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost", "http://localhost"),
        ("http://localhost:8000/api/v1", "http://localhost:8000/api/v1"),
        ("http://LOCALHOST:8000/api/v1/", "http://localhost:8000/api/v1"),
        ("HTTP://localhost:8000/api/v1", "http://localhost:8000/api/v1"),
        ("http://127.0.0.1:8000/api/v1", "http://127.0.0.1:8000/api/v1"),
        ("http://[::1]:8000/api/v1", "http://[::1]:8000/api/v1"),
        ("http://[::1]", "http://[::1]"),
    ],
)
def test_http_allowed_only_for_loopback_hosts(given: str, expected: str) -> None:
    assert resolve_base_url(given, INSECURE) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "http://evil.com",
        "http://localhost@evil.com",
        "http://evil.com@localhost",
        "http://localhost:8000@evil.com/api/v1",
        "http://user:pass@localhost/api/v1",
        "HTTP://evil.com",
        "Http://EVIL.com/api/v1",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "http://localhost.",
        "http://127.0.0.2",
        "http://0.0.0.0",
        "http://2130706433",
        "http://0x7f.0.0.1",
        "http://[0:0:0:0:0:0:0:1]",
        "http://[::ffff:127.0.0.1]",
        "http://localhost\\@evil.com",
        "ftp://localhost/api/v1",
        "ftp://api.example.com/api/v1",
        "ws://localhost/api",
        "file:///etc/passwd",
        "javascript://localhost/%0aalert(1)",
    ],
)
def test_insecure_bypass_attempts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        resolve_base_url(bad, INSECURE)
    with pytest.raises(ValueError):
        resolve_base_url(None, {**INSECURE, "AVALA_BASE_URL": bad})


@pytest.mark.parametrize(
    "bad",
    [
        "https://api.example.com/api v1",
        "https://api.example.com/api/v1\r\nX-Injected: 1",
        "https://api.example.com\n/api/v1",
        "https://api.example.com/\rapi",
        "https://api.example.com/\tapi",
        "https://api.example.com/\x00",
        "https://api.example.com/\x7f",
        "https://api.example.com/api/v1?token=abc",
        "https://api.example.com/api/v1?",
        "https://api.example.com/api/v1#frag",
        "https://api.example.com/api/v1#",
        "https://api.example.com:99999/api/v1",
        "https://api.example.com:port/api/v1",
        "https://user@api.example.com/api/v1",
    ],
)
def test_https_urls_with_whitespace_query_fragment_or_userinfo_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        resolve_base_url(bad, {})


def test_error_never_echoes_a_password_from_userinfo() -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url("https://admin:hunter2-secret@api.example.com/api/v1", {})
    assert "hunter2-secret" not in str(info.value)
    assert "api.example.com" in str(info.value)


def test_error_for_rejected_host_names_the_host() -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url("http://evil.example/api/v1", INSECURE)
    assert "evil.example" in str(info.value)


# --- the client really talks to the resolved URL ---------------------------------------


async def test_client_sends_requests_to_base_url_argument(http: aioresponses) -> None:
    base = "https://custom-api.example.com/api/v1"
    http.get(url("/datasets/ds-1/", base), payload=dataset("ds-1"))
    async with AsyncClient(api_key=KEY, base_url=base + "/") as client:
        assert client.base_url == base
        got = await client.datasets.get("ds-1")
    assert got.uid == "ds-1"
    assert [str(u) for _, u in http.requests] == [base + "/datasets/ds-1/"]


async def test_client_sends_requests_to_env_base_url(
    http: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = "https://on-prem.example.org/avala/api/v1"
    monkeypatch.setenv("AVALA_BASE_URL", base + "//")
    http.get(url("/datasets/ds-2/", base), payload=dataset("ds-2"))
    async with AsyncClient(api_key=KEY) as client:
        got = await client.datasets.get("ds-2")
    assert got.uid == "ds-2"
    assert [str(u) for _, u in http.requests] == [base + "/datasets/ds-2/"]


async def test_client_uses_default_base_url(http: aioresponses) -> None:
    http.get(url("/datasets/ds-3/"), payload=dataset("ds-3"))
    async with AsyncClient(api_key=KEY) as client:
        await client.datasets.get("ds-3")
    assert [str(u) for _, u in http.requests] == ["https://api.avala.ai/api/v1/datasets/ds-3/"]


async def test_client_reaches_local_http_server_with_opt_in(
    http: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_BASE_URL", "http://localhost:8000/api/v1")
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    http.get(url("/datasets/local/", "http://localhost:8000/api/v1"), payload=dataset("local"))
    async with AsyncClient(api_key=KEY) as client:
        assert (await client.datasets.get("local")).uid == "local"


# --- other settings ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, -100])
def test_negative_max_retries_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        AsyncClient(api_key=KEY, max_retries=bad)


@pytest.mark.parametrize("bad", [True, 1.5, "2", None])
def test_non_int_max_retries_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="max_retries"):
        AsyncClient(api_key=KEY, max_retries=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
def test_invalid_timeout_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        AsyncClient(api_key=KEY, timeout=bad)


def test_timeout_and_retries_are_exposed() -> None:
    client = AsyncClient(api_key=KEY, timeout=12.5, max_retries=5)
    assert client.timeout == 12.5
    assert client.max_retries == 5
    derived = client.with_options(max_retries=0, timeout=avala.Timeout(total=3.0))
    assert derived.max_retries == 0
    assert derived.timeout == 3.0
    assert client.max_retries == 5


@pytest.mark.parametrize("bad", [0, -5, True, 2.0])
def test_invalid_connection_limit_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="connection_limit"):
        AsyncClient(api_key=KEY, connection_limit=bad)  # type: ignore[arg-type]
