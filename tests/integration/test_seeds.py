"""Every example of the two seed documents (API authentication, SDK authentication), written
as a user would write it, run against the bundled server over loopback, through both the
AsyncClient and the generated sync Client."""

from __future__ import annotations

import json
import os
import runpy
import sys
import types
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import avala
from avala import AsyncClient, Client
from avala.errors import AuthenticationError
from avala.testing import ServerHandle

EXAMPLE_KEY = "avk_your_api_key"


@pytest.fixture
def seed_env(monkeypatch: pytest.MonkeyPatch, local_env: ServerHandle) -> ServerHandle:
    """The bundled server accepts the seed's example key; AVALA_API_KEY is not set."""
    local_env.state.add_key(EXAMPLE_KEY)
    # setenv then delenv registers a restore, so load_dotenv() cannot leak into other tests.
    monkeypatch.setenv("AVALA_API_KEY", "placeholder")
    monkeypatch.delenv("AVALA_API_KEY")
    return local_env


# --- API authentication document -------------------------------------------------------


def raw_get(url: str, key: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if key is not None:
        request.add_header("X-Avala-Api-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def dataset_names(server: ServerHandle) -> list[str]:
    """What the server itself lists, read with plain urllib (one large page)."""
    status, body = raw_get(server.url("/datasets/?limit=1000"), server.api_key)
    assert status == 200 and body["next"] is None
    return sorted(d["name"] for d in body["results"])


def test_api_doc_header_authenticates(server: ServerHandle) -> None:
    # curl .../datasets/ -H "X-Avala-Api-Key: your-api-key"
    status, body = raw_get(server.url("/datasets/"), server.api_key)
    assert status == 200
    assert body["results"]


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        ("not-a-real-key", "Invalid API key."),
        ("expired", "API key has expired."),
        (None, "Authentication credentials were not provided."),
    ],
)
def test_api_doc_error_responses(server: ServerHandle, key: str | None, detail: str) -> None:
    if key == "expired":
        key = server.expired_api_key
    status, body = raw_get(server.url("/datasets/"), key)
    assert (status, body) == (401, {"detail": detail})


def test_api_doc_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "your-api-key")
    API_KEY = os.environ.get("AVALA_API_KEY")
    assert API_KEY == "your-api-key"


# --- SDK authentication document: the sync Client --------------------------------------


def test_client_reads_env_var(seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "avk_your_api_key")

    client = Client()  # Reads AVALA_API_KEY automatically

    with client:
        assert client.credential.provider == "env:AVALA_API_KEY"
        assert sorted(d.name for d in client.datasets.list()) == dataset_names(seed_env)


def test_client_explicit_key(seed_env: ServerHandle) -> None:
    client = Client(api_key="avk_your_api_key")

    with client:
        assert client.credential.provider == "explicit"
        assert sorted(d.name for d in client.datasets.list()) == dataset_names(seed_env)


DOTENV_SCRIPT = """
from dotenv import load_dotenv
from avala import Client

load_dotenv()  # Loads .env into environment variables
client = Client()  # Reads AVALA_API_KEY from environment
"""


def test_client_dotenv_with_load_dotenv(seed_env: ServerHandle, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AVALA_API_KEY=avk_your_api_key\n")
    (tmp_path / ".gitignore").write_text(".env\n")
    # load_dotenv() looks for .env beside the calling script, so run it as a script there.
    script = tmp_path / "app.py"
    script.write_text(DOTENV_SCRIPT)

    client = runpy.run_path(str(script))["client"]

    with client:
        assert os.environ["AVALA_API_KEY"] == EXAMPLE_KEY
        assert client.credential.provider == "env:AVALA_API_KEY"
        assert len(list(client.datasets.list())) == len(dataset_names(seed_env))


def test_client_dotenv_without_load_dotenv(seed_env: ServerHandle, tmp_path: Path) -> None:
    # The default chain also reads ./.env itself, without touching os.environ.
    (tmp_path / ".env").write_text("AVALA_API_KEY=avk_your_api_key\n")
    with Client() as client:
        assert client.credential.provider.startswith("dotenv:")
        assert client.datasets.list().items
    assert "AVALA_API_KEY" not in os.environ


def test_handle_authentication_errors(
    seed_env: ServerHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        client = Client(api_key="invalid_key")
        datasets = client.datasets.list()
    except AuthenticationError as e:
        print(f"Authentication failed: {e.message}")
        print("Check that your API key is valid")
    else:
        pytest.fail(f"no AuthenticationError; got {datasets!r}")
    client.close()
    out = capsys.readouterr().out
    assert out == "Authentication failed: Invalid API key.\nCheck that your API key is valid\n"


def test_no_key_raises_value_error_before_any_request(seed_env: ServerHandle) -> None:
    seed_env.state.clear_requests()
    with pytest.raises(ValueError, match="AVALA_API_KEY"):
        Client()
    with pytest.raises(ValueError, match="AVALA_API_KEY"):
        AsyncClient()
    assert seed_env.state.requests == []


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_aws_secrets_manager_example(
    seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    class SecretsManager:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            calls.append(("get_secret_value", SecretId))
            return {"SecretString": EXAMPLE_KEY}

    def boto3_client(service: str, region_name: str) -> SecretsManager:
        calls.append((service, region_name))
        return SecretsManager()

    fake_module(monkeypatch, "boto3", client=boto3_client)

    import boto3

    from avala import Client

    def get_secret():  # type: ignore[no-untyped-def]
        client = boto3.client("secretsmanager", region_name="us-east-1")
        response = client.get_secret_value(SecretId="avala/api-key")
        return response["SecretString"]

    avala_client = Client(api_key=get_secret())

    with avala_client:
        assert avala_client.datasets.list().items
    assert calls == [("secretsmanager", "us-east-1"), ("get_secret_value", "avala/api-key")]

    # The same function as a credential provider: resolved by the client, named in errors.
    from avala.credentials import CallableProvider

    with Client(credentials=CallableProvider(get_secret)) as provided:
        assert (
            provided.credential.provider == "callable:test_aws_secrets_manager_example."
            "<locals>.get_secret"
        )
        assert provided.datasets.list().items


def test_google_secret_manager_example(
    seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    class Payload:
        data = EXAMPLE_KEY.encode("UTF-8")

    class Version:
        payload = Payload()

    class SecretManagerServiceClient:
        def access_secret_version(self, request: dict[str, str]) -> Version:
            seen.append(request["name"])
            return Version()

    secretmanager = types.SimpleNamespace(SecretManagerServiceClient=SecretManagerServiceClient)
    cloud = fake_module(monkeypatch, "google.cloud", secretmanager=secretmanager)
    fake_module(monkeypatch, "google", cloud=cloud)
    fake_module(
        monkeypatch,
        "google.cloud.secretmanager",
        SecretManagerServiceClient=SecretManagerServiceClient,
    )

    from google.cloud import secretmanager  # type: ignore[import-not-found]

    from avala import Client

    def get_secret():  # type: ignore[no-untyped-def]
        client = secretmanager.SecretManagerServiceClient()
        name = "projects/PROJECT_ID/secrets/avala-api-key/versions/latest"
        response = client.access_secret_version(request={"name": name})
        return response.payload.data.decode("UTF-8")

    avala_client = Client(api_key=get_secret())

    with avala_client:
        assert avala_client.projects.list().items
    assert seen == ["projects/PROJECT_ID/secrets/avala-api-key/versions/latest"]


def test_custom_base_url_argument(seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVALA_BASE_URL")
    client = Client(api_key="avk_your_api_key", base_url="https://custom-api.example.com/api/v1")
    with client:
        assert client.base_url == "https://custom-api.example.com/api/v1"
    # ...and the same argument pointed at the bundled server really routes requests there.
    with Client(api_key=EXAMPLE_KEY, base_url=seed_env.base_url) as local:
        assert local.datasets.list().items


def test_custom_base_url_env(seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_BASE_URL", "https://custom-api.example.com/api/v1")
    monkeypatch.setenv("AVALA_API_KEY", "avk_your_api_key")
    with Client() as client:
        assert client.base_url == "https://custom-api.example.com/api/v1"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", EXAMPLE_KEY)
    with Client() as client:
        assert client.base_url == "https://api.avala.ai/api/v1"


def test_https_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", EXAMPLE_KEY)
    monkeypatch.setenv("AVALA_BASE_URL", "http://localhost:8000/api/v1")
    with pytest.raises(ValueError, match="AVALA_ALLOW_INSECURE_BASE_URL"):
        Client()
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    monkeypatch.setenv("AVALA_BASE_URL", "http://api.example.com/api/v1")
    with pytest.raises(ValueError, match="localhost"):
        Client()


def test_local_development(seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_env.state.add_key("avk_test_key")
    # export AVALA_BASE_URL="http://localhost:8000/api/v1" (our server's port instead)
    monkeypatch.setenv("AVALA_BASE_URL", f"http://localhost:{seed_env.port}/api/v1")
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    monkeypatch.setenv("AVALA_API_KEY", "avk_test_key")
    with Client() as client:
        assert client.datasets.list().items


def test_base_url_must_have_scheme_and_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVALA_API_KEY", EXAMPLE_KEY)
    with pytest.raises(ValueError, match=r"the base_url argument.*scheme"):
        Client(base_url="api.avala.ai/api/v1")
    monkeypatch.setenv("AVALA_BASE_URL", "not a url")
    with pytest.raises(ValueError, match="AVALA_BASE_URL"):
        AsyncClient()


def test_troubleshooting_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AVALA_API_KEY", EXAMPLE_KEY)
    # Check if the variable is set
    import os

    print(os.environ.get("AVALA_API_KEY"))  # Should print your key
    assert capsys.readouterr().out == f"{EXAMPLE_KEY}\n"


# --- SDK authentication document: the AsyncClient --------------------------------------


async def test_async_client_env_and_explicit(
    seed_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_API_KEY", EXAMPLE_KEY)
    from avala import AsyncClient

    # From environment variable
    async with AsyncClient() as client:
        datasets = await client.datasets.list()

    assert sorted(d.name for d in datasets) == dataset_names(seed_env)
    monkeypatch.delenv("AVALA_API_KEY")

    # Or pass explicitly
    async with AsyncClient(api_key="avk_your_api_key") as client:
        datasets = await client.datasets.list()

    assert sorted(d.name for d in datasets) == dataset_names(seed_env)


async def test_async_authentication_error(seed_env: ServerHandle) -> None:
    for key, detail in [
        ("invalid_key", "Invalid API key."),
        (seed_env.expired_api_key, "API key has expired."),
    ]:
        async with AsyncClient(api_key=key) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.datasets.list()
        assert info.value.message == detail
        assert info.value.status_code == 401
        assert key not in repr(info.value) and key not in str(info.value)


def test_sync_authentication_error_expired(seed_env: ServerHandle) -> None:
    with (
        Client(api_key=seed_env.expired_api_key) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.projects.get("anything")
    assert info.value.message == "API key has expired."


def test_version_is_exported() -> None:
    assert avala.__version__
