"""Where the API key comes from: explicit > env > .env, providers, chains, validation."""

from __future__ import annotations

import copy
import os
import pickle
from pathlib import Path

import pytest
from aioresponses import aioresponses

import avala
from avala import (
    AsyncClient,
    CallableProvider,
    Credential,
    CredentialChain,
    CredentialsNotFoundError,
    DotenvProvider,
    EnvironmentProvider,
    ExplicitKeyProvider,
    FileProvider,
)
from avala.credentials import (
    CredentialError,
    CredentialProvider,
    CredentialProviderError,
    CredentialUnavailable,
)

from ._helpers import calls, dataset, headers_of, url


def write_dotenv(text: str, name: str = ".env") -> Path:
    path = Path.cwd() / name  # the autouse fixture chdirs to an empty tmp dir
    path.write_text(text, encoding="utf-8")
    return path


def get_secret() -> str:
    """Like the seed's AWS/GCP examples: fetch the key from a secret manager."""
    return "avk_from_secrets_manager"


def get_nothing() -> str | None:
    return None


def get_denied() -> str:
    raise PermissionError("AccessDenied for avala/api-key")


class RecordingProvider:
    """A user-written provider: a `name` and a `get_api_key()`; counts its calls."""

    def __init__(self, name: str, key: str | None = None, error: Exception | None = None):
        self.name = name
        self._key = key
        self._error = error
        self.calls = 0

    def get_api_key(self) -> str:
        self.calls += 1
        if self._error is not None:
            raise self._error
        if self._key is None:
            raise CredentialUnavailable(f"{self.name} has nothing")
        return self._key


# --- precedence -------------------------------------------------------------------------


def test_explicit_key_wins_over_env_and_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "from-env")
    write_dotenv("AVALA_API_KEY=from-dotenv\n")
    client = AsyncClient(api_key="from-arg")
    assert client.credential.api_key == "from-arg"
    assert client.credential.provider == "explicit"


def test_env_wins_over_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "from-env")
    write_dotenv("AVALA_API_KEY=from-dotenv\n")
    client = AsyncClient()
    assert client.credential.api_key == "from-env"
    assert client.credential.provider == "env:AVALA_API_KEY"


def test_dotenv_in_working_directory_is_the_last_resort() -> None:
    write_dotenv("OTHER=1\nAVALA_API_KEY=from-dotenv\n")
    client = AsyncClient()
    assert client.credential.api_key == "from-dotenv"
    assert client.credential.provider.startswith("dotenv:")


def test_empty_env_var_falls_through_to_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "   ")
    write_dotenv("AVALA_API_KEY=from-dotenv\n")
    assert AsyncClient().credential.api_key == "from-dotenv"


def test_dotenv_is_read_without_modifying_os_environ() -> None:
    write_dotenv('export AVALA_API_KEY="quoted-dotenv-key"\nAVALA_UNIT_OTHER=zzz\n')
    assert "AVALA_API_KEY" not in os.environ
    client = AsyncClient()
    assert client.credential.api_key == "quoted-dotenv-key"
    assert "AVALA_API_KEY" not in os.environ
    assert "AVALA_UNIT_OTHER" not in os.environ


def test_dotenv_values_are_not_interpolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_UNIT_SHOULD_NOT_EXPAND", "expanded")
    write_dotenv("AVALA_API_KEY=abc${AVALA_UNIT_SHOULD_NOT_EXPAND}\n")
    assert AsyncClient().credential.api_key == "abc${AVALA_UNIT_SHOULD_NOT_EXPAND}"


def test_dotenv_path_is_configurable(tmp_path: Path) -> None:
    secrets = tmp_path / "config" / "avala.env"
    secrets.parent.mkdir()
    secrets.write_text("AVALA_API_KEY=from-custom-dotenv\n", encoding="utf-8")
    write_dotenv("AVALA_API_KEY=from-default-dotenv\n")
    client = AsyncClient(credentials=DotenvProvider(secrets))
    assert client.credential.api_key == "from-custom-dotenv"
    assert client.credential.provider == f"dotenv:{secrets}"


def test_dotenv_variable_name_is_configurable() -> None:
    write_dotenv("MY_AVALA_KEY=custom-variable-key\n")
    provider = DotenvProvider(variable="MY_AVALA_KEY")
    assert AsyncClient(credentials=provider).credential.api_key == "custom-variable-key"


def test_explicit_key_means_env_is_never_consulted(monkeypatch: pytest.MonkeyPatch) -> None:
    # A broken env value would raise if it were read; the explicit key must short-circuit.
    monkeypatch.setenv("AVALA_API_KEY", "bad\nkey")
    write_dotenv("AVALA_API_KEY=bad key\n")
    assert AsyncClient(api_key="good").credential.api_key == "good"


def test_explicit_empty_key_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "from-env")
    with pytest.raises(ValueError) as info:
        AsyncClient(api_key="")
    assert "api_key" in str(info.value)


# --- nothing found ----------------------------------------------------------------------


def test_no_key_anywhere_raises_before_any_request(http: aioresponses) -> None:
    with pytest.raises(ValueError) as info:
        AsyncClient()
    assert isinstance(info.value, CredentialsNotFoundError)
    assert calls(http) == []


def test_sync_client_also_raises_before_any_request(http: aioresponses) -> None:
    with pytest.raises(CredentialsNotFoundError):
        avala.Client()
    assert calls(http) == []


def test_not_found_message_names_variable_and_each_provider_with_reason() -> None:
    with pytest.raises(CredentialsNotFoundError) as info:
        AsyncClient()
    error = info.value
    message = str(error)
    assert "AVALA_API_KEY" in message
    assert "env:AVALA_API_KEY" in message
    assert "is not set" in message
    assert "dotenv:.env" in message
    assert "not found" in message
    assert [a.provider for a in error.attempts] == [
        "env:AVALA_API_KEY",
        "dotenv:.env",
        "profile:default",
    ]
    assert "avala configure" in message
    assert all(a.reason for a in error.attempts)


def test_not_found_message_never_contains_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "  ")
    write_dotenv("AVALA_API_KEY=\nNEIGHBOUR_SECRET=s3cr3t-neighbour-value\n")
    with pytest.raises(CredentialsNotFoundError) as info:
        AsyncClient()
    message = str(info.value)
    assert "s3cr3t-neighbour-value" not in message
    assert "set but empty" in message
    assert "not set in" in message


def test_not_found_lists_user_providers() -> None:
    chain = [CallableProvider(get_nothing), FileProvider(Path("missing-key-file"))]
    with pytest.raises(CredentialsNotFoundError) as info:
        AsyncClient(credentials=chain)
    message = str(info.value)
    assert "callable:get_nothing: returned None" in message
    assert "file:missing-key-file" in message


# --- providers --------------------------------------------------------------------------


def test_callable_provider_like_a_secret_manager() -> None:
    client = AsyncClient(credentials=CallableProvider(get_secret))
    assert client.credential.api_key == "avk_from_secrets_manager"
    assert client.credential.provider == "callable:get_secret"


def test_callable_provider_custom_name() -> None:
    provider = CallableProvider(lambda: "k", name="vault")
    assert provider.name == "callable:vault"
    assert AsyncClient(credentials=provider).credential.provider == "callable:vault"


def test_callable_returning_none_is_skipped() -> None:
    chain = CredentialChain(
        [CallableProvider(lambda: None, name="empty"), ExplicitKeyProvider("k2")]
    )
    credential = chain.resolve()
    assert credential.api_key == "k2"
    assert credential.provider == "explicit"


def test_provider_raising_stops_the_chain_and_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "would-have-worked")
    later = RecordingProvider("later", key="later-key")
    chain = [CallableProvider(get_denied), EnvironmentProvider(), later]
    with pytest.raises(CredentialProviderError) as info:
        AsyncClient(credentials=chain)
    assert isinstance(info.value, ValueError)
    assert info.value.provider == "callable:get_denied"
    assert "callable:get_denied" in str(info.value)
    assert "PermissionError" in str(info.value)
    assert later.calls == 0


def test_file_provider_reads_and_strips(tmp_path: Path) -> None:
    key_file = tmp_path / "avala-key"
    key_file.write_text("  avk_from_file\r\n", encoding="utf-8")
    client = AsyncClient(credentials=FileProvider(key_file))
    assert client.credential.api_key == "avk_from_file"
    assert client.credential.provider == f"file:{key_file}"


def test_file_provider_uses_avala_api_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text("avk_k8s_secret\n", encoding="utf-8")
    monkeypatch.setenv("AVALA_API_KEY_FILE", str(key_file))
    provider = FileProvider()
    assert provider.name == "file:$AVALA_API_KEY_FILE"
    assert AsyncClient(credentials=provider).credential.api_key == "avk_k8s_secret"


def test_file_provider_rereads_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "rotating"
    key_file.write_text("first", encoding="utf-8")
    chain = CredentialChain([FileProvider(key_file)])
    assert chain.resolve().api_key == "first"
    key_file.write_text("second", encoding="utf-8")
    assert chain.resolve().api_key == "second"


def test_file_provider_unavailable_when_unset_or_missing(tmp_path: Path) -> None:
    with pytest.raises(CredentialsNotFoundError, match="AVALA_API_KEY_FILE is not set"):
        CredentialChain([FileProvider()]).resolve()
    with pytest.raises(CredentialsNotFoundError, match="not found"):
        CredentialChain([FileProvider(tmp_path / "nope")]).resolve()


def test_file_provider_on_a_directory_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    later = RecordingProvider("later", key="k")
    with pytest.raises(CredentialProviderError) as info:
        CredentialChain([FileProvider(tmp_path), later]).resolve()
    assert info.value.provider == f"file:{tmp_path}"
    assert later.calls == 0


def test_environment_provider_custom_variable_and_mapping() -> None:
    provider = EnvironmentProvider("TEAM_AVALA_KEY", environ={"TEAM_AVALA_KEY": " team-key "})
    assert provider.name == "env:TEAM_AVALA_KEY"
    assert CredentialChain([provider]).resolve().api_key == "team-key"


def test_custom_provider_object_implementing_the_protocol() -> None:
    provider = RecordingProvider("vault:prod", key="avk_vault")
    assert isinstance(provider, CredentialProvider)
    client = AsyncClient(credentials=provider)
    assert client.credential.api_key == "avk_vault"
    assert client.credential.provider == "vault:prod"
    assert provider.calls == 1


def test_chain_of_user_providers_first_key_wins() -> None:
    first = RecordingProvider("first")
    second = RecordingProvider("second", key="second-key")
    third = RecordingProvider("third", key="third-key")
    chain = CredentialChain([first, second, third])
    client = AsyncClient(credentials=chain)
    assert client.credential.api_key == "second-key"
    assert client.credential.provider == "second"
    assert (first.calls, second.calls, third.calls) == (1, 1, 0)
    assert chain.name == "chain(first, second, third)"


def test_nested_chain_that_finds_nothing_lets_the_outer_chain_continue() -> None:
    inner = CredentialChain([RecordingProvider("inner-a"), RecordingProvider("inner-b")])
    outer = CredentialChain([inner, RecordingProvider("fallback", key="fallback-key")])
    credential = outer.resolve()
    assert credential.api_key == "fallback-key"
    assert credential.provider == "fallback"


def test_nested_chain_that_finds_nothing_lists_inner_attempts() -> None:
    inner = CredentialChain([RecordingProvider("inner-a")])
    with pytest.raises(CredentialsNotFoundError) as info:
        CredentialChain([inner, RecordingProvider("outer-b")]).resolve()
    assert [a.provider for a in info.value.attempts] == ["inner-a", "outer-b"]


def test_non_provider_in_credentials_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        AsyncClient(credentials=[object()])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="api_key"):
        AsyncClient(credentials="avk_string_key")  # type: ignore[arg-type]


def test_api_key_and_credentials_together_is_an_error() -> None:
    with pytest.raises(ValueError, match="either api_key= or credentials="):
        AsyncClient(api_key="k", credentials=ExplicitKeyProvider("k"))


# --- key validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  avk_padded  ", "avk_padded"), ("avk_newline\n", "avk_newline"), ("\tavk_tab", "avk_tab")],
)
def test_keys_are_stripped_of_surrounding_whitespace(
    raw: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert AsyncClient(api_key=raw).credential.api_key == expected
    monkeypatch.setenv("AVALA_API_KEY", raw)
    assert AsyncClient().credential.api_key == expected


@pytest.mark.parametrize(
    "bad",
    [
        "avk_inner space_SECRETPART",
        "avk_inner\nnewline_SECRETPART",
        "avk_inner\r\nX-Injected: SECRETPART",
        "avk_inner\x00nul_SECRETPART",
        "avk_inner\x1bescape_SECRETPART",
        "avk_inner\x7fdel_SECRETPART",
        "avk_inner\ttab_SECRETPART",
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        AsyncClient(api_key=bad)
    assert isinstance(info.value, CredentialError)
    assert "SECRETPART" not in str(info.value)
    assert "avk_inner" not in str(info.value)


@pytest.mark.parametrize("bad", ["", "   ", "\n"])
def test_empty_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        AsyncClient(api_key=bad)


def test_malformed_env_key_error_names_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "abc\ndef-SECRETPART")
    with pytest.raises(CredentialProviderError) as info:
        AsyncClient()
    assert info.value.provider == "env:AVALA_API_KEY"
    assert "SECRETPART" not in str(info.value)


def test_non_string_key_is_refused() -> None:
    with pytest.raises(ValueError, match="str"):
        AsyncClient(api_key=12345)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="callable:num"):
        AsyncClient(credentials=CallableProvider(lambda: 42, name="num"))  # type: ignore[arg-type, return-value]


# --- the Credential object --------------------------------------------------------------


def test_credential_repr_and_str_hide_the_key() -> None:
    credential = Credential("avk_super_secret_value", "explicit")
    for text in (repr(credential), str(credential), f"{credential}"):
        assert "avk_super_secret_value" not in text
    assert "explicit" in repr(credential)
    assert credential.api_key == "avk_super_secret_value"


def test_client_and_provider_reprs_hide_the_key() -> None:
    client = AsyncClient(api_key="avk_super_secret_value")
    assert "avk_super_secret_value" not in repr(client)
    assert "avk_super_secret_value" not in repr(client.credential)
    assert "avk_super_secret_value" not in repr(ExplicitKeyProvider("avk_super_secret_value"))


def test_credential_cannot_be_pickled_or_copied() -> None:
    credential = Credential("avk_super_secret_value", "explicit")
    with pytest.raises(TypeError):
        pickle.dumps(credential)
    with pytest.raises(TypeError):
        copy.copy(credential)


def test_credential_records_the_winning_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "env-key")
    assert AsyncClient().credential == Credential("env-key", "env:AVALA_API_KEY")
    assert AsyncClient(api_key="x").credential.provider == "explicit"


# --- the resolved key is what goes on the wire -------------------------------------------


async def test_resolved_key_is_sent(http: aioresponses) -> None:
    def get_secret() -> str:
        return "  avk_sent_on_the_wire\n"

    http.get(url("/datasets/a/"), payload=dataset("a"))
    async with AsyncClient(credentials=CallableProvider(get_secret)) as client:
        await client.datasets.get("a")
    (call,) = [c for _, _, c in calls(http)]
    assert headers_of(call)["X-Avala-Api-Key"] == "avk_sent_on_the_wire"


async def test_rejected_key_is_replaced_by_a_fresh_one_from_the_chain(
    http: aioresponses,
) -> None:
    keys = iter(["old-key", "new-key"])
    provider = CallableProvider(lambda: next(keys), name="rotating")
    http.get(url("/datasets/a/"), status=401, payload={"detail": "Invalid API key."})
    http.get(url("/datasets/a/"), payload=dataset("a"))
    async with AsyncClient(credentials=provider, max_retries=0) as client:
        assert (await client.datasets.get("a")).uid == "a"
        assert client.credential.api_key == "new-key"
    sent = [headers_of(c)["X-Avala-Api-Key"] for _, _, c in calls(http)]
    assert sent == ["old-key", "new-key"]
