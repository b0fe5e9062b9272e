"""The secret-manager credential providers: AWS Secrets Manager against moto's standalone
server, Google Cloud Secret Manager against a local fake of its REST API, and rotation
against the bundled Avala server on both clients.

The AWS tests skip without boto3 and moto, the Google tests without
google-cloud-secret-manager; the rest (the chain's refresh, the cache, the missing-extra
errors) always run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from avala import AsyncClient, Client
from avala.credentials import (
    CredentialChain,
    CredentialProviderError,
    CredentialsNotFoundError,
    CredentialUnavailable,
    EnvironmentProvider,
    RefreshableProvider,
)
from avala.errors import AuthenticationError, ConfigurationError
from avala.integrations import _secrets
from avala.integrations.aws import AWSSecretsManagerProvider
from avala.integrations.gcp import GoogleSecretManagerProvider, _crc32c
from avala.testing import ServerHandle

KEY_HEADER = "X-Avala-Api-Key"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "secret-managers.md"


def secret_value() -> str:
    """A key-shaped value unique to the test, so finding it anywhere is a leak."""
    return f"avk_sm_{uuid.uuid4().hex}"


def failure(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises, caught in a frame that holds no secret of its own."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("expected an exception")


def everything_about(exc: BaseException) -> str:
    """The exception as a traceback printer that shows locals would print it, causes too."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def assert_no_leak(exc: BaseException, *secrets: str) -> None:
    text = everything_about(exc)
    for secret in secrets:
        assert secret not in text


class Since:
    """The API keys the bundled server received from the moment this object was made."""

    def __init__(self, server: ServerHandle) -> None:
        self._state = server.state
        self._start = time.monotonic()

    def keys(self) -> list[str | None]:
        return [r.header(KEY_HEADER) for r in self._state.requests if r.time >= self._start]


@pytest.fixture
def avala_server(server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> ServerHandle:
    """The session's bundled server, reachable over loopback http."""
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    server.state.faults.clear()
    return server


@pytest.fixture
def new_key(avala_server: ServerHandle) -> Iterator[Callable[..., str]]:
    """Mint keys the server accepts (unless ``valid=False``); revoked after the test."""
    minted: list[str] = []

    def mint(valid: bool = True) -> str:
        key = secret_value()
        minted.append(key)
        if valid:
            avala_server.state.add_key(key)
        return key

    yield mint
    for key in minted:
        avala_server.state.revoke_key(key)


# --- the chain's refresh path (no optional packages) ---------------------------------------


class Counting:
    """A caching provider that counts its reads and invalidations."""

    def __init__(self, values: list[str], name: str = "counting") -> None:
        self._values = values
        self._name = name
        self.reads = 0
        self.invalidations = 0
        self._cached: str | None = None

    @property
    def name(self) -> str:
        return self._name

    def get_api_key(self) -> str:
        if self._cached is None:
            self._cached = self._values[min(self.reads, len(self._values) - 1)]
            self.reads += 1
        return self._cached

    def invalidate(self) -> None:
        self.invalidations += 1
        self._cached = None


def test_refresh_invalidates_caching_providers_then_resolves() -> None:
    inner = Counting(["first", "second"], name="inner")
    chain = CredentialChain([EnvironmentProvider("AVALA_TEST_UNSET"), CredentialChain([inner])])
    assert isinstance(inner, RefreshableProvider)
    assert chain.resolve().api_key == "first"
    assert chain.resolve().api_key == "first"  # cached: resolve alone never re-reads
    assert inner.reads == 1
    fresh = chain.refresh()
    assert (fresh.api_key, fresh.provider) == ("second", "chain(inner)")
    assert (inner.reads, inner.invalidations) == (2, 1)  # the nested chain passed it on


def test_a_failing_invalidate_is_reported_by_provider_name() -> None:
    class Broken(Counting):
        def invalidate(self) -> None:
            raise RuntimeError("cache backend down")

    chain = CredentialChain([Broken(["k"], name="broken")])
    with pytest.raises(CredentialProviderError) as info:
        chain.refresh()
    assert info.value.provider == "broken"
    assert "cache backend down" in str(info.value)


def test_providers_without_invalidate_are_left_alone() -> None:
    calls: list[int] = []

    class Plain:
        name = "plain"

        def get_api_key(self) -> str:
            calls.append(1)
            return "k"

    assert not isinstance(Plain(), RefreshableProvider)
    assert CredentialChain([Plain()]).refresh().api_key == "k"
    assert len(calls) == 1


def test_cache_keeps_a_value_until_cleared_or_stale() -> None:
    now = [100.0]

    def clock() -> float:
        return now[0]

    reads: list[int] = []

    def fetch() -> str:
        reads.append(1)
        return f"v{len(reads)}"

    forever = _secrets.SecretCache(None, clock)
    assert [forever.get(fetch), forever.get(fetch)] == ["v1", "v1"]
    forever.clear()
    assert forever.get(fetch) == "v2"

    reads.clear()
    ttl = _secrets.SecretCache(30.0, clock)
    assert ttl.get(fetch) == "v1"
    now[0] += 29
    assert ttl.get(fetch) == "v1"
    now[0] += 2
    assert ttl.get(fetch) == "v2"

    reads.clear()
    never = _secrets.SecretCache(0.0, clock)
    assert [never.get(fetch), never.get(fetch)] == ["v1", "v2"]
    assert "v" not in repr(never).replace("SecretCache", "")


def test_cache_shares_one_read_between_threads() -> None:
    started, release = threading.Event(), threading.Event()
    reads: list[int] = []

    def fetch() -> str:
        reads.append(1)
        started.set()
        release.wait(5)
        return "value"

    cache = _secrets.SecretCache(None)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(fetch))) for _ in range(4)]
    threads[0].start()
    assert started.wait(5)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["value"] * 4
    assert len(reads) == 1


def test_cached_value_is_redacted_and_not_picklable() -> None:
    import pickle

    cache = _secrets.SecretCache(None)
    secret = secret_value()
    cache.get(lambda: secret)
    assert secret not in repr(cache._held)
    with pytest.raises(TypeError, match="holds a secret"):
        pickle.dumps(cache._held)


@pytest.mark.parametrize("ttl", [-1, float("nan"), True, "10"])
def test_cache_ttl_is_checked(ttl: Any) -> None:
    with pytest.raises(ConfigurationError, match="cache_ttl"):
        _secrets.check_cache_ttl(ttl)


def test_missing_extras_name_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # "import boto3" now raises ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "avala[aws]"')):
        AWSSecretsManagerProvider("avala/api-key")
    monkeypatch.setitem(sys.modules, "google.cloud.secretmanager", None)
    with pytest.raises(ImportError, match=re.escape('pip install "avala[gcp]"')):
        GoogleSecretManagerProvider("projects/p/secrets/s")


def test_the_pure_python_crc32c_matches_the_standard_check_value() -> None:
    assert _crc32c(b"123456789") == 0xE3069283
    assert _crc32c(b"") == 0


def test_the_untested_doc_snippets_at_least_compile() -> None:
    """```py blocks are not run (they need AWS or Google); they must still be Python."""
    text = DOCS.read_text()
    blocks = re.findall(r"^```py\n(.*?)^```", text, re.S | re.M)
    assert blocks
    for block in blocks:
        compile(block, str(DOCS), "exec")


# --- AWS Secrets Manager, against moto's server --------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's standalone server on a free loopback port, for this module."""
    pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Dummy AWS credentials and region (never a developer's own), and a client to moto."""
    import boto3

    for name in (
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=moto_url)


def aws_secret(aws: Any, value: str) -> str:
    """A new secret holding ``value``; its name."""
    name = f"avala/test-{uuid.uuid4().hex[:12]}"
    aws.create_secret(Name=name, SecretString=value)
    return name


class RecordingAWS:
    """A boto3 client wrapper recording which thread each GetSecretValue ran on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.meta = inner.meta
        self.threads: list[int] = []

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.threads.append(threading.get_ident())
        return self.inner.get_secret_value(**kwargs)


def test_aws_plain_secret(aws: Any, moto_url: str) -> None:
    key = secret_value()
    name = aws_secret(aws, key)
    provider = AWSSecretsManagerProvider(name, region_name="us-east-1", endpoint_url=moto_url)
    assert provider.name == f"aws-secretsmanager:{name}"
    assert provider.get_api_key() == key
    assert provider.region_name == "us-east-1"
    assert CredentialChain([provider]).resolve().provider == f"aws-secretsmanager:{name}"


def test_aws_json_key_secret(aws: Any) -> None:
    key = secret_value()
    name = aws_secret(aws, json.dumps({"api_key": key, "other": "x"}))
    provider = AWSSecretsManagerProvider(name, json_key="api_key", client=aws)
    assert provider.get_api_key() == key


def test_aws_binary_secret(aws: Any) -> None:
    key = secret_value()
    name = f"avala/bin-{uuid.uuid4().hex[:12]}"
    aws.create_secret(Name=name, SecretBinary=key.encode())
    assert AWSSecretsManagerProvider(name, client=aws).get_api_key() == key


def test_aws_caches_until_invalidated(aws: Any) -> None:
    key, newer = secret_value(), secret_value()
    name = aws_secret(aws, key)
    recording = RecordingAWS(aws)
    provider = AWSSecretsManagerProvider(name, client=recording)
    assert [provider.get_api_key(), provider.get_api_key()] == [key, key]
    assert len(recording.threads) == 1
    aws.put_secret_value(SecretId=name, SecretString=newer)
    assert provider.get_api_key() == key  # still cached
    provider.invalidate()
    assert provider.get_api_key() == newer
    assert len(recording.threads) == 2


def test_aws_version_stage(aws: Any) -> None:
    old, new = secret_value(), secret_value()
    name = aws_secret(aws, old)
    aws.put_secret_value(SecretId=name, SecretString=new)  # old becomes AWSPREVIOUS
    assert AWSSecretsManagerProvider(name, client=aws).get_api_key() == new
    previous = AWSSecretsManagerProvider(name, version_stage="AWSPREVIOUS", client=aws)
    assert previous.get_api_key() == old


def test_aws_missing_secret_lets_the_chain_move_on(
    aws: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = AWSSecretsManagerProvider(
        "avala/does-not-exist", region_name="us-east-1", endpoint_url=moto_url
    )
    with pytest.raises(CredentialUnavailable, match="no such secret in us-east-1"):
        missing.get_api_key()

    with pytest.raises(CredentialsNotFoundError) as info:
        CredentialChain([missing]).resolve()
    assert "aws-secretsmanager:avala/does-not-exist: no such secret in us-east-1" in str(info.value)
    assert [a.provider for a in info.value.attempts] == ["aws-secretsmanager:avala/does-not-exist"]
    with pytest.raises(ValueError, match="aws-secretsmanager:avala/does-not-exist"):
        AsyncClient(credentials=missing)

    monkeypatch.setenv("AVALA_API_KEY", "avk_from_env")
    credential = CredentialChain([missing, EnvironmentProvider()]).resolve()
    assert (credential.api_key, credential.provider) == ("avk_from_env", "env:AVALA_API_KEY")


@pytest.mark.parametrize(
    ("stored", "json_key", "problem"),
    [
        ('{{"api_key": "{key}"}}', None, "pass json_key="),
        ('{{"token": "{key}"}}', "api_key", "no field 'api_key'"),
        ('{{"api_key": "{key}"', "api_key", "not valid JSON"),
        ('["{key}"]', "api_key", "JSON array, not an object"),
        ('{{"api_key": {{"v": "{key}"}}}}', "api_key", "JSON object, expected a string"),
    ],
)
def test_aws_unusable_secrets_fail_without_the_value(
    aws: Any, stored: str, json_key: str | None, problem: str
) -> None:
    key = secret_value()
    name = aws_secret(aws, stored.format(key=key))
    provider = AWSSecretsManagerProvider(name, json_key=json_key, client=aws)
    error = failure(lambda: CredentialChain([provider]).resolve())
    assert isinstance(error, CredentialProviderError)
    assert error.provider == f"aws-secretsmanager:{name}"
    assert problem in str(error)
    assert_no_leak(error, key)


def test_aws_access_denied_names_the_provider(aws: Any) -> None:
    from botocore.stub import Stubber

    stubber = Stubber(aws)
    stubber.add_client_error(
        "get_secret_value",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/ci is not authorized",
        http_status_code=400,
    )
    with stubber:
        error = failure(
            lambda: CredentialChain([AWSSecretsManagerProvider("avala/x", client=aws)]).resolve()
        )
    assert isinstance(error, CredentialProviderError)
    assert error.provider == "aws-secretsmanager:avala/x"
    assert "access denied (AccessDeniedException)" in str(error)
    assert "is not authorized" in str(error)


def test_aws_without_credentials_is_a_provider_error(
    aws: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    provider = AWSSecretsManagerProvider("avala/x", endpoint_url=moto_url)
    with pytest.raises(CredentialProviderError, match="NoCredentialsError"):
        provider.get_api_key()


def test_aws_repr_and_logs_never_show_the_value(aws: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    key = secret_value()
    name = aws_secret(aws, json.dumps({"api_key": key}))
    provider = AWSSecretsManagerProvider(name, json_key="api_key", client=aws)
    credential = CredentialChain([provider]).resolve()
    assert credential.api_key == key
    for text in (repr(provider), repr(vars(provider)), repr(credential), caplog.text):
        assert key not in text
    assert f"aws-secretsmanager:{name}" in caplog.text
    assert repr(provider) == (
        f"AWSSecretsManagerProvider(secret_id={name!r}, json_key='api_key', "
        "region_name='us-east-1')"
    )


def test_aws_arguments_are_checked(aws: Any) -> None:
    with pytest.raises(ConfigurationError, match="secret_id"):
        AWSSecretsManagerProvider("")
    with pytest.raises(ConfigurationError, match="not both"):
        AWSSecretsManagerProvider("s", client=aws, region_name="eu-west-1")


async def test_aws_rotation_async_client(
    aws: Any,
    avala_server: ServerHandle,
    new_key: Callable[..., str],
) -> None:
    old, new = new_key(), new_key(valid=False)
    name = aws_secret(aws, json.dumps({"api_key": old}))
    recording = RecordingAWS(aws)
    provider = AWSSecretsManagerProvider(name, json_key="api_key", client=recording)
    loop_thread = threading.get_ident()

    # Built in a worker thread, as the docs advise inside a running loop: the first read
    # does not block the loop either.
    client = await asyncio.to_thread(
        AsyncClient, base_url=avala_server.base_url, credentials=provider
    )
    async with client:
        sent = Since(avala_server)
        await client.tasks.list(limit=1).first_page()
        assert sent.keys() == [old]

        # Rotation, as the authentication guide lists it: a new key, the secret updated,
        # the old key deleted.
        avala_server.state.add_key(new)
        aws.put_secret_value(SecretId=name, SecretString=json.dumps({"api_key": new}))
        avala_server.state.revoke_key(old)

        sent = Since(avala_server)
        page = await client.tasks.list(limit=1).first_page()
        assert len(page.items) == 1
        assert sent.keys() == [old, new]
        assert client.credential.provider == f"aws-secretsmanager:{name}"
        assert len(recording.threads) == 2
        assert loop_thread not in recording.threads  # both reads ran off the event loop

        # Concurrent calls after one more rotation share a single re-read.
        newest = new_key()
        aws.put_secret_value(SecretId=name, SecretString=json.dumps({"api_key": newest}))
        avala_server.state.revoke_key(new)
        pages = await asyncio.gather(*(client.tasks.list(limit=1).first_page() for _ in range(5)))
        assert all(len(p.items) == 1 for p in pages)
        assert len(recording.threads) == 3
        assert loop_thread not in recording.threads


def test_aws_rotation_sync_client(
    aws: Any,
    avala_server: ServerHandle,
    new_key: Callable[..., str],
) -> None:
    old, new = new_key(), new_key(valid=False)
    name = aws_secret(aws, old)
    provider = AWSSecretsManagerProvider(name, client=aws)
    with Client(base_url=avala_server.base_url, credentials=provider) as client:
        assert len(client.tasks.list(limit=1).first_page().items) == 1
        avala_server.state.add_key(new)
        aws.put_secret_value(SecretId=name, SecretString=new)
        avala_server.state.revoke_key(old)
        sent = Since(avala_server)
        assert len(client.tasks.list(limit=1).first_page().items) == 1
        assert sent.keys() == [old, new]
        assert client.credential.provider == f"aws-secretsmanager:{name}"


def test_aws_rejected_key_not_yet_rotated_in_the_secret(
    aws: Any,
    avala_server: ServerHandle,
    new_key: Callable[..., str],
) -> None:
    old = new_key()
    name = aws_secret(aws, old)
    with Client(
        base_url=avala_server.base_url, credentials=AWSSecretsManagerProvider(name, client=aws)
    ) as client:
        client.tasks.list(limit=1).first_page()
        avala_server.state.revoke_key(old)  # revoked, but the secret still holds it
        sent = Since(avala_server)
        with pytest.raises(AuthenticationError):
            client.tasks.list(limit=1).first_page()
        assert sent.keys() == [old]  # re-read, same key: the 401 stands, nothing resent


# --- Google Cloud Secret Manager, against a fake of its REST API ---------------------------


class FakeSecretManager:
    """Secrets and their versions, served as ``GET /v1/{version}:access`` answers."""

    def __init__(self) -> None:
        self.versions: dict[str, list[bytes]] = {}
        self.denied: set[str] = set()
        self.corrupt: set[str] = set()
        self.hits: list[str] = []

    def add_version(self, secret: str, data: bytes) -> None:
        self.versions.setdefault(secret, []).append(data)

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access", path)
        if match is None:
            return 404, _google_error(404, "NOT_FOUND", f"no route {path}")
        secret, version = match.groups()
        self.hits.append(f"{secret}/versions/{version}")
        if secret in self.denied:
            return 403, _google_error(
                403, "PERMISSION_DENIED", "Permission 'secretmanager.versions.access' denied"
            )
        versions = self.versions.get(secret, [])
        number = len(versions) if version == "latest" else int(version)
        if not versions or not 1 <= number <= len(versions):
            return 404, _google_error(
                404, "NOT_FOUND", f"Secret [{secret}] not found or has no versions."
            )
        data = versions[number - 1]
        checksum = _crc32c(data) ^ (1 if secret in self.corrupt else 0)
        payload = {"data": base64.b64encode(data).decode(), "dataCrc32c": str(checksum)}
        return 200, {"name": f"{secret}/versions/{number}", "payload": payload}


def _google_error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


@pytest.fixture(scope="module")
def gcp_fake() -> Iterator[tuple[FakeSecretManager, str]]:
    """The fake on a free loopback port, and its URL."""
    pytest.importorskip("google.cloud.secretmanager")
    fake = FakeSecretManager()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = fake.answer(self.path.split("?", 1)[0])
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def gcp_client(gcp_fake: tuple[FakeSecretManager, str]) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import secretmanager

    return secretmanager.SecretManagerServiceClient(
        transport="rest",
        client_options={"api_endpoint": gcp_fake[1]},
        credentials=AnonymousCredentials(),
    )


@pytest.fixture
def fake(gcp_fake: tuple[FakeSecretManager, str]) -> FakeSecretManager:
    return gcp_fake[0]


def gcp_secret(fake: FakeSecretManager, data: str) -> str:
    """A new secret with one version holding ``data``; its resource name."""
    secret = f"projects/test-project/secrets/avala-{uuid.uuid4().hex[:12]}"
    fake.add_version(secret, data.encode())
    return secret


def test_gcp_plain_secret(fake: FakeSecretManager, gcp_client: Any) -> None:
    key = secret_value()
    secret = gcp_secret(fake, key)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client, timeout=5)
    assert provider.name == f"gcp-secretmanager:{secret}/versions/latest"
    assert provider.get_api_key() == key
    assert CredentialChain([provider]).resolve().provider == provider.name


def test_gcp_project_and_secret_and_pinned_versions(
    fake: FakeSecretManager, gcp_client: Any
) -> None:
    first, second = secret_value(), secret_value()
    secret = gcp_secret(fake, first)
    fake.add_version(secret, second.encode())
    project, secret_id = secret.split("/")[1], secret.split("/")[3]
    latest = GoogleSecretManagerProvider(project=project, secret=secret_id, client=gcp_client)
    pinned = GoogleSecretManagerProvider(f"{secret}/versions/1", client=gcp_client)
    by_number = GoogleSecretManagerProvider(secret, version="1", client=gcp_client)
    assert latest.get_api_key() == second
    assert pinned.get_api_key() == by_number.get_api_key() == first
    assert pinned.name == by_number.name == f"gcp-secretmanager:{secret}/versions/1"


def test_gcp_json_key_secret(fake: FakeSecretManager, gcp_client: Any) -> None:
    key = secret_value()
    secret = gcp_secret(fake, json.dumps({"api_key": key}))
    provider = GoogleSecretManagerProvider(secret, json_key="api_key", client=gcp_client)
    assert provider.get_api_key() == key


def test_gcp_caches_until_invalidated(fake: FakeSecretManager, gcp_client: Any) -> None:
    key, newer = secret_value(), secret_value()
    secret = gcp_secret(fake, key)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client)
    assert [provider.get_api_key(), provider.get_api_key()] == [key, key]
    fake.add_version(secret, newer.encode())
    assert provider.get_api_key() == key
    provider.invalidate()
    assert provider.get_api_key() == newer
    assert fake.hits.count(f"{secret}/versions/latest") == 2


def test_gcp_missing_secret_lets_the_chain_move_on(
    gcp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = GoogleSecretManagerProvider("projects/p/secrets/missing", client=gcp_client)
    name = "gcp-secretmanager:projects/p/secrets/missing/versions/latest"
    with pytest.raises(CredentialsNotFoundError) as info:
        CredentialChain([missing]).resolve()
    assert f"{name}: no such secret or version" in str(info.value)
    with pytest.raises(ValueError, match=re.escape(name)):
        Client(credentials=missing)
    monkeypatch.setenv("AVALA_API_KEY", "avk_from_env")
    assert CredentialChain([missing, EnvironmentProvider()]).resolve().provider == (
        "env:AVALA_API_KEY"
    )


def test_gcp_permission_denied_names_the_provider(fake: FakeSecretManager, gcp_client: Any) -> None:
    key = secret_value()
    secret = gcp_secret(fake, key)
    fake.denied.add(secret)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client)
    error = failure(lambda: CredentialChain([provider]).resolve())
    assert isinstance(error, CredentialProviderError)
    assert error.provider == provider.name
    assert "permission denied (Forbidden)" in str(error)
    assert "secretmanager.versions.access" in str(error)
    assert_no_leak(error, key)


@pytest.mark.parametrize(
    ("stored", "json_key", "problem"),
    [
        ('{{"api_key": "{key}"}}', None, "pass json_key="),
        ('{{"token": "{key}"}}', "api_key", "no field 'api_key'"),
        ("api_key={key}", "api_key", "not valid JSON (line 1, column 1)"),
    ],
)
def test_gcp_unusable_secrets_fail_without_the_value(
    fake: FakeSecretManager, gcp_client: Any, stored: str, json_key: str | None, problem: str
) -> None:
    key = secret_value()
    secret = gcp_secret(fake, stored.format(key=key))
    provider = GoogleSecretManagerProvider(secret, json_key=json_key, client=gcp_client)
    error = failure(lambda: CredentialChain([provider]).resolve())
    assert isinstance(error, CredentialProviderError)
    assert problem in str(error)
    assert_no_leak(error, key)


def test_gcp_corrupted_payload_is_refused(fake: FakeSecretManager, gcp_client: Any) -> None:
    key = secret_value()
    secret = gcp_secret(fake, key)
    fake.corrupt.add(secret)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client)
    error = failure(provider.get_api_key)
    assert isinstance(error, CredentialProviderError)
    assert "checksum" in str(error)
    assert_no_leak(error, key)


def test_gcp_repr_and_logs_never_show_the_value(
    fake: FakeSecretManager, gcp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    key = secret_value()
    secret = gcp_secret(fake, key)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client)
    assert provider.get_api_key() == key
    for text in (repr(provider), repr(vars(provider)), caplog.text):
        assert key not in text
    assert repr(provider) == (
        f"GoogleSecretManagerProvider(name='{secret}/versions/latest', json_key=None)"
    )
    assert f"{secret}/versions/1" in caplog.text  # the version read is logged


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({}, "needs the secret"),
        ({"project": "p"}, "needs the secret"),
        ({"name": "avala-api-key"}, "resource name"),
        ({"name": "projects/p/secrets/s", "project": "p"}, "not both"),
        ({"name": "projects/p/secrets/s/versions/3", "version": "4"}, "contradicts"),
        ({"project": "p/x", "secret": "s"}, "without '/'"),
        ({"name": "projects/p/secrets/s", "version": "1/2"}, "version must be"),
        ({"name": "projects/p/secrets/s", "timeout": 0}, "timeout"),
    ],
)
def test_gcp_names_are_checked(gcp_client: Any, kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(problem)):
        GoogleSecretManagerProvider(client=gcp_client, **kwargs)


def test_gcp_regional_names(gcp_client: Any) -> None:
    provider = GoogleSecretManagerProvider(
        "projects/p/locations/europe-west1/secrets/s", client=gcp_client
    )
    assert provider.resource_name == "projects/p/locations/europe-west1/secrets/s/versions/latest"


def test_gcp_without_a_client_uses_default_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No client given: one is made on first use; with no Google credentials that fails as
    a provider error naming the provider (not at construction, and not an ImportError)."""
    pytest.importorskip("google.cloud.secretmanager")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    provider = GoogleSecretManagerProvider("projects/p/secrets/s")
    with pytest.raises(CredentialProviderError) as info:
        provider.get_api_key()
    assert info.value.provider == "gcp-secretmanager:projects/p/secrets/s/versions/latest"
    assert "DefaultCredentialsError" in str(info.value)


async def test_gcp_rotation_async_client(
    fake: FakeSecretManager,
    gcp_client: Any,
    avala_server: ServerHandle,
    new_key: Callable[..., str],
) -> None:
    old, new = new_key(), new_key(valid=False)
    secret = gcp_secret(fake, old)
    provider = GoogleSecretManagerProvider(secret, client=gcp_client)
    client = await asyncio.to_thread(
        AsyncClient, base_url=avala_server.base_url, credentials=provider
    )
    async with client:
        await client.tasks.list(limit=1).first_page()
        avala_server.state.add_key(new)
        fake.add_version(secret, new.encode())  # a new version becomes "latest"
        avala_server.state.revoke_key(old)
        sent = Since(avala_server)
        page = await client.tasks.list(limit=1).first_page()
        assert len(page.items) == 1
        assert sent.keys() == [old, new]
        assert client.credential.provider == provider.name


def test_gcp_rotation_sync_client(
    fake: FakeSecretManager,
    gcp_client: Any,
    avala_server: ServerHandle,
    new_key: Callable[..., str],
) -> None:
    old, new = new_key(), new_key(valid=False)
    secret = gcp_secret(fake, json.dumps({"api_key": old}))
    provider = GoogleSecretManagerProvider(secret, json_key="api_key", client=gcp_client)
    with Client(base_url=avala_server.base_url, credentials=provider) as client:
        client.tasks.list(limit=1).first_page()
        avala_server.state.add_key(new)
        fake.add_version(secret, json.dumps({"api_key": new}).encode())
        avala_server.state.revoke_key(old)
        sent = Since(avala_server)
        assert len(client.tasks.list(limit=1).first_page().items) == 1
        assert sent.keys() == [old, new]
        assert client.credential.provider == provider.name


def test_import_avala_imports_no_cloud_sdk() -> None:
    import subprocess

    code = (
        "import sys, avala, avala.integrations.aws, avala.integrations.gcp\n"
        "loaded = [m for m in ('boto3', 'botocore', 'google.cloud.secretmanager') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
