"""Non-2xx responses and network failures become the documented exceptions (catalog 1.7/1.8)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from avala import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    AvalaError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
    ValidationError,
)

from ._helpers import KEY, calls, dataset, headers_of, url

PATH = "/datasets/ds-1/"


async def fail(http: aioresponses, client: AsyncClient, **response: Any) -> APIStatusError:
    """Answer GET PATH with ``response`` and return what ``datasets.get`` raised."""
    http.get(url(PATH), **response)
    with pytest.raises(APIStatusError) as info:
        await client.datasets.get("ds-1")
    return info.value


# --- status -> class ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (405, APIStatusError),
        (409, ConflictError),
        (410, APIStatusError),
        (413, APIStatusError),
        (418, APIStatusError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (529, ServerError),
    ],
)
async def test_status_maps_to_exception_class(
    http: aioresponses, no_retry: AsyncClient, status: int, cls: type[APIStatusError]
) -> None:
    error = await fail(http, no_retry, status=status, payload={"detail": f"status {status}"})
    assert type(error) is cls
    assert isinstance(error, AvalaError)
    assert error.status_code == status
    assert error.message == f"status {status}"
    assert str(error) == f"status {status}"
    assert error.body == {"detail": f"status {status}"}


def test_every_error_class_derives_from_avala_error() -> None:
    for cls in (
        APIStatusError,
        AuthenticationError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        ValidationError,
        RateLimitError,
        ServerError,
        RedirectError,
        APIConnectionError,
        APITimeoutError,
    ):
        assert issubclass(cls, AvalaError)
    assert issubclass(APITimeoutError, APIConnectionError)


async def test_request_id_and_headers_are_kept(http: aioresponses, no_retry: AsyncClient) -> None:
    error = await fail(
        http,
        no_retry,
        status=404,
        payload={"detail": "Not found."},
        headers={"X-Request-Id": "req-abc-123"},
    )
    assert isinstance(error, NotFoundError)
    assert error.request_id == "req-abc-123"
    assert error.headers["X-Request-Id"] == "req-abc-123"
    assert "X-Avala-Api-Key" not in error.headers


async def test_request_id_is_none_when_absent(http: aioresponses, no_retry: AsyncClient) -> None:
    error = await fail(http, no_retry, status=404, payload={"detail": "Not found."})
    assert error.request_id is None


# --- body shapes (catalog 1.7) ------------------------------------------------------------


@pytest.mark.parametrize(
    "detail",
    ["Invalid API key.", "API key has expired.", "Authentication credentials were not provided."],
)
async def test_401_messages_are_exactly_the_server_detail(
    http: aioresponses, no_retry: AsyncClient, detail: str
) -> None:
    error = await fail(http, no_retry, status=401, payload={"detail": detail})
    assert isinstance(error, AuthenticationError)
    assert error.message == detail
    assert str(error) == detail


async def test_detail_text_is_the_message(http: aioresponses, no_retry: AsyncClient) -> None:
    error = await fail(http, no_retry, status=404, payload={"detail": "No Dataset matches."})
    assert error.message == "No Dataset matches."


async def test_detail_dict_becomes_field_errors(http: aioresponses, no_retry: AsyncClient) -> None:
    body = {"detail": {"name": ["This field is required."]}}
    error = await fail(http, no_retry, status=400, payload=body)
    assert isinstance(error, ValidationError)
    assert error.errors == {"name": ["This field is required."]}
    assert "name" in error.message
    assert "This field is required." in error.message
    assert error.body == body


async def test_bare_drf_field_errors(http: aioresponses, no_retry: AsyncClient) -> None:
    body = {"slug": ["This field must be unique.", "Too long."], "data_type": ["Bad choice."]}
    error = await fail(http, no_retry, status=400, payload=body)
    assert isinstance(error, ValidationError)
    assert error.errors == body
    for text in ("slug", "This field must be unique.", "Too long.", "data_type", "Bad choice."):
        assert text in error.message


async def test_bare_list_becomes_non_field_errors(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(http, no_retry, status=422, payload=["Dataset is locked."])
    assert isinstance(error, ValidationError)
    assert error.errors == {"non_field_errors": ["Dataset is locked."]}
    assert "Dataset is locked." in error.message


async def test_detail_with_code_and_doc_url(http: aioresponses, no_retry: AsyncClient) -> None:
    body = {
        "detail": "Your plan does not include exports.",
        "code": "plan_insufficient",
        "doc_url": "https://avala.ai/docs/errors#plan_insufficient",
    }
    error = await fail(http, no_retry, status=403, payload=body)
    assert isinstance(error, ForbiddenError)
    assert error.message == "Your plan does not include exports."
    assert error.code == "plan_insufficient"
    assert error.doc_url == "https://avala.ai/docs/errors#plan_insufficient"


async def test_error_envelope(http: aioresponses, no_retry: AsyncClient) -> None:
    body = {"error": {"code": "not_found", "message": "Dataset not found.", "details": []}}
    error = await fail(http, no_retry, status=404, payload=body)
    assert isinstance(error, NotFoundError)
    assert error.message == "Dataset not found."
    assert error.code == "not_found"


async def test_error_envelope_with_field_details(http: aioresponses, no_retry: AsyncClient) -> None:
    body = {
        "error": {
            "code": "invalid",
            "message": "Validation failed.",
            "details": {"slug": ["Already taken."]},
        }
    }
    error = await fail(http, no_retry, status=422, payload=body)
    assert isinstance(error, ValidationError)
    assert error.message == "Validation failed."
    assert error.code == "invalid"
    assert error.errors == {"slug": ["Already taken."]}


async def test_non_json_body(http: aioresponses, no_retry: AsyncClient) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = await fail(http, no_retry, status=502, body=html, content_type="text/html")
    assert isinstance(error, ServerError)
    assert "502" in error.message
    assert "non-JSON" in error.message
    assert "text/html" in error.message
    assert error.body == html


async def test_empty_body(http: aioresponses, no_retry: AsyncClient) -> None:
    error = await fail(http, no_retry, status=500, body="")
    assert isinstance(error, ServerError)
    assert "500" in error.message
    assert error.body is None


async def test_json_without_known_keys(http: aioresponses, no_retry: AsyncClient) -> None:
    error = await fail(http, no_retry, status=503, payload="Service unavailable")
    assert isinstance(error, ServerError)
    assert "503" in error.message
    assert error.body == "Service unavailable"


async def test_rate_limit_error_parses_retry_after(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    detail = "Request was throttled. Expected available in 30 seconds."
    error = await fail(
        http, no_retry, status=429, payload={"detail": detail}, headers={"Retry-After": "30"}
    )
    assert isinstance(error, RateLimitError)
    assert error.message == detail
    assert error.retry_after == 30.0


async def test_rate_limit_error_without_retry_after(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(http, no_retry, status=429, payload={"detail": "Slow down."})
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None


# --- redaction -----------------------------------------------------------------------------


async def test_echoed_key_is_redacted_from_message_and_body(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    body = {"detail": f"Invalid API key: {KEY}", "received": {"X-Avala-Api-Key": KEY}}
    error = await fail(http, no_retry, status=401, payload=body)
    assert KEY not in error.message
    assert KEY not in repr(error.body)
    assert KEY not in repr(error)
    assert error.message == "Invalid API key: [redacted]"
    assert error.body["received"]["X-Avala-Api-Key"] == "[redacted]"


async def test_echoed_key_is_redacted_from_text_bodies(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(
        http, no_retry, status=500, body=f"Traceback ... api_key={KEY}", content_type="text/plain"
    )
    assert KEY not in error.body
    assert "[redacted]" in error.body


async def test_echoed_key_is_redacted_from_field_errors(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(http, no_retry, status=400, payload={"api_key": [f"{KEY} is invalid"]})
    assert isinstance(error, ValidationError)
    assert KEY not in error.message
    assert KEY not in repr(error.errors)


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_is_an_error_and_never_followed(
    http: aioresponses, client: AsyncClient, status: int
) -> None:
    target = "https://evil.example.com/steal/"
    http.get(target, payload=dataset("stolen"))
    error = await fail(http, client, status=status, headers={"Location": target})
    assert isinstance(error, RedirectError)
    assert error.status_code == status
    assert error.location == target
    assert target in error.message
    assert error.retries_taken == 0
    assert [str(u) for _, u, _ in calls(http)] == [str(url(PATH))]


# --- network failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ClientConnectionError("Connection refused"),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("Response payload is not completed"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
    ],
)
async def test_connection_errors_are_wrapped(
    http: aioresponses, no_retry: AsyncClient, exc: Exception
) -> None:
    http.get(url(PATH), exception=exc)
    with pytest.raises(APIConnectionError) as info:
        await no_retry.datasets.get("ds-1")
    error = info.value
    assert type(error) is APIConnectionError
    assert not isinstance(error, aiohttp.ClientError)
    assert error.status_code is None
    assert "GET" in error.message
    assert error.__cause__ is exc


@pytest.mark.parametrize(
    "exc", [asyncio.TimeoutError(), aiohttp.ServerTimeoutError("read"), TimeoutError()]
)
async def test_timeouts_are_wrapped(
    http: aioresponses, no_retry: AsyncClient, exc: Exception
) -> None:
    http.get(url(PATH), exception=exc)
    with pytest.raises(APITimeoutError) as info:
        await no_retry.datasets.get("ds-1")
    assert not isinstance(info.value, (asyncio.TimeoutError, aiohttp.ClientError))
    assert "Timed out" in info.value.message


async def test_connection_errors_on_post_are_wrapped(
    http: aioresponses, client: AsyncClient
) -> None:
    http.post(url("/exports/"), exception=aiohttp.ClientConnectionError("reset"))
    with pytest.raises(APIConnectionError):
        await client.exports.create(project="p")


# --- retries_taken --------------------------------------------------------------------------


async def test_default_retries_recover_from_a_503(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    http.get(url(PATH), status=503, payload={"detail": "Busy."})
    http.get(url(PATH), payload=dataset("ds-1"))
    got = await client.datasets.get("ds-1")
    assert got.uid == "ds-1"
    assert len(sleeps) == 1
    assert len(calls(http)) == 2


async def test_retries_taken_is_reported_on_errors(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    for _ in range(2):
        http.get(url(PATH), status=503, payload={"detail": "Busy."})
    error = await fail(http, client, status=503, payload={"detail": "Busy."})
    assert isinstance(error, ServerError)
    assert error.retries_taken == 2
    assert len(calls(http)) == 3


async def test_retries_taken_is_zero_without_retries(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(http, no_retry, status=503, payload={"detail": "Busy."})
    assert error.retries_taken == 0


async def test_retries_taken_on_connection_errors(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    for _ in range(3):
        http.get(url(PATH), exception=aiohttp.ClientConnectionError("refused"))
    with pytest.raises(APIConnectionError) as info:
        await client.datasets.get("ds-1")
    assert info.value.retries_taken == 2
    assert len(sleeps) == 2


async def test_error_headers_do_not_include_the_key(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    error = await fail(http, no_retry, status=404, payload={"detail": "Not found."})
    ((_, _, call),) = calls(http)
    assert headers_of(call)["X-Avala-Api-Key"] == KEY
    assert KEY not in repr(error.headers)
    assert KEY not in repr(error)
