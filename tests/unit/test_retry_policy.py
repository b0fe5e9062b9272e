"""The retry policy: its building blocks as tables, then the loop end to end (no real sleeping)."""

from __future__ import annotations

import email.utils
import math
import ssl
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict

from avala import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from avala._transport import backoff_delay, parse_retry_after, should_retry_status

from ._helpers import KEY, calls, dataset, headers_of, url

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


# --- parse_retry_after ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "30"}, 30.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after": "-10"}, None),
        ({"retry-after": "-0.5"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "NaN"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-inf"}, None),
        ({"retry-after": "Infinity"}, None),
        ({"retry-after": "1e400"}, None),
        ({"retry-after": "garbage"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "30s"}, None),
        ({"retry-after": "0x10"}, None),
        ({"retry-after": "99999999999999999999"}, 1e20),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),
        ({"retry-after-ms": "nan", "retry-after": "3"}, 3.0),
        ({"retry-after-ms": "inf", "retry-after": "3"}, 3.0),
        ({"retry-after-ms": "-5", "retry-after": "3"}, 3.0),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after-ms": "soon"}, None),
        ({"retry-after-ms": "1e30"}, 1e27),
    ],
)
def test_parse_retry_after_table(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, now=NOW.timestamp())
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize("offset", [1, 30, 61, 3600])
def test_parse_retry_after_http_date_is_relative_to_now(offset: int) -> None:
    header = http_date(NOW + timedelta(seconds=offset))
    assert parse_retry_after({"retry-after": header}, now=NOW.timestamp()) == pytest.approx(offset)


def test_parse_retry_after_http_date_depends_on_now() -> None:
    header = {"retry-after": http_date(NOW + timedelta(seconds=100))}
    later = (NOW + timedelta(seconds=40)).timestamp()
    assert parse_retry_after(header, now=later) == pytest.approx(60)


def test_parse_retry_after_http_date_without_zone_is_utc() -> None:
    header = (NOW + timedelta(seconds=45)).strftime("%a, %d %b %Y %H:%M:%S")
    assert parse_retry_after({"retry-after": header}, now=NOW.timestamp()) == pytest.approx(45)


def test_parse_retry_after_http_date_in_the_past_is_never_negative() -> None:
    header = http_date(NOW - timedelta(seconds=120))
    got = parse_retry_after({"retry-after": header}, now=NOW.timestamp())
    assert got is None or got == 0.0


@pytest.mark.parametrize(
    "header",
    [
        "Sun, 32 Mar 2026 12:00:00 GMT",
        "Sun, 01 Foo 2026 12:00:00 GMT",
        "Sun, 01 Mar 99999 12:00:00 GMT",
        "Sun, 01 Mar 2026 25:61:00 GMT",
        "yesterday",
    ],
)
def test_parse_retry_after_bad_dates(header: str) -> None:
    assert parse_retry_after({"retry-after": header}, now=NOW.timestamp()) is None


def test_parse_retry_after_header_names_are_case_insensitive() -> None:
    assert parse_retry_after(CIMultiDict({"Retry-After": "5"})) == 5.0
    assert parse_retry_after(CIMultiDict({"Retry-After-Ms": "20"})) == pytest.approx(0.02)


# --- backoff_delay -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries", "base"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (10, 8.0), (10_000, 8.0)],
)
def test_backoff_doubles_from_half_a_second_capped_at_eight(retries: int, base: float) -> None:
    assert backoff_delay(retries, rand=0.0) == pytest.approx(base)
    assert backoff_delay(retries, rand=1.0) == pytest.approx(0.75 * base)
    assert backoff_delay(retries, rand=0.5) == pytest.approx(0.875 * base)
    for _ in range(200):
        assert 0.75 * base <= backoff_delay(retries) <= base


# --- should_retry_status -----------------------------------------------------------------

RA = {"retry-after": "1"}


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        ("GET", 400, {}, False),
        ("GET", 401, {}, False),
        ("GET", 403, {}, False),
        ("GET", 404, {}, False),
        ("GET", 408, {}, True),
        ("GET", 409, {}, True),
        ("GET", 422, {}, False),
        ("GET", 429, {}, True),
        ("GET", 500, {}, True),
        ("GET", 502, {}, True),
        ("GET", 503, {}, True),
        ("GET", 503, RA, True),
        ("GET", 504, {}, True),
        ("GET", 302, {}, False),
        ("DELETE", 500, {}, True),
        ("PUT", 503, {}, True),
        ("POST", 400, {}, False),
        ("POST", 401, {}, False),
        ("POST", 404, {}, False),
        ("POST", 408, {}, False),
        ("POST", 409, {}, False),
        ("POST", 429, {}, True),
        ("POST", 429, RA, True),
        ("POST", 500, {}, False),
        ("POST", 500, RA, False),
        ("POST", 502, {}, False),
        ("POST", 503, {}, False),
        ("POST", 503, RA, True),
        ("POST", 503, {"retry-after-ms": "500"}, True),
        ("POST", 504, {}, False),
        ("PATCH", 408, {}, False),
        ("PATCH", 429, {}, True),
        ("PATCH", 500, {}, False),
        ("PATCH", 503, {}, False),
        ("PATCH", 503, RA, True),
        # the server's hint wins either way
        ("GET", 503, {"x-should-retry": "false"}, False),
        ("GET", 429, {"x-should-retry": "false"}, False),
        ("GET", 404, {"x-should-retry": "true"}, True),
        ("POST", 500, {"x-should-retry": "true"}, True),
        ("POST", 429, {"x-should-retry": "false"}, False),
        ("POST", 503, {**RA, "x-should-retry": "false"}, False),
        ("POST", 500, {"x-should-retry": " TRUE "}, True),
        ("GET", 500, {"x-should-retry": "False"}, False),
        # an unintelligible hint is ignored
        ("GET", 500, {"x-should-retry": "maybe"}, True),
        ("POST", 500, {"x-should-retry": "1"}, False),
    ],
)
def test_should_retry_status_table(
    method: str, status: int, headers: dict[str, str], expected: bool
) -> None:
    assert should_retry_status(method, status, headers) is expected
    assert should_retry_status(method, status, CIMultiDict(headers)) is expected


def test_should_retry_status_reads_headers_case_insensitively() -> None:
    assert should_retry_status("POST", 503, CIMultiDict({"Retry-After": "2"})) is True
    assert should_retry_status("GET", 503, CIMultiDict({"X-Should-Retry": "false"})) is False


# --- the retry loop end to end ----------------------------------------------------------

PATH = "/datasets/ds-1/"


def busy(http: aioresponses, status: int = 503, times: int = 1, **kwargs: Any) -> None:
    for _ in range(times):
        http.get(url(PATH), status=status, payload={"detail": "busy"}, **kwargs)


def ok(http: aioresponses) -> None:
    http.get(url(PATH), payload=dataset("ds-1"))


async def test_default_is_two_retries_three_attempts(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 500, times=3)
    ok(http)  # must never be reached
    with pytest.raises(ServerError) as info:
        await client.datasets.get("ds-1")
    assert len(calls(http)) == 3
    assert info.value.retries_taken == 2
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


async def test_recovers_after_transient_failures(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 502)
    busy(http, 504)
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    assert len(calls(http)) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [408, 409, 429, 500])
async def test_get_retries_retryable_statuses(
    http: aioresponses, client: AsyncClient, sleeps: list[float], status: int
) -> None:
    busy(http, status)
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_get_does_not_retry_client_errors(
    http: aioresponses, client: AsyncClient, sleeps: list[float], status: int
) -> None:
    busy(http, status)
    ok(http)
    with pytest.raises(Exception) as info:
        await client.datasets.get("ds-1")
    assert getattr(info.value, "status_code", None) == status
    assert len(calls(http)) == 1
    assert sleeps == []


async def test_more_retries_back_off_exponentially_up_to_the_cap(
    http: aioresponses, sleeps: list[float]
) -> None:
    busy(http, 503, times=7)
    async with AsyncClient(api_key=KEY, max_retries=6) as client:
        with pytest.raises(ServerError) as info:
            await client.datasets.get("ds-1")
        recorded = list(sleeps)
    assert info.value.retries_taken == 6
    assert len(calls(http)) == 7
    for delay, base in zip(recorded, [0.5, 1, 2, 4, 8, 8], strict=True):
        assert 0.75 * base <= delay <= base


async def test_max_retries_zero_on_constructor_disables_retries(
    http: aioresponses, no_retry: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 503)
    ok(http)
    with pytest.raises(ServerError) as info:
        await no_retry.datasets.get("ds-1")
    assert info.value.retries_taken == 0
    assert len(calls(http)) == 1
    assert sleeps == []


async def test_with_options_max_retries_zero_disables_retries(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 503)
    ok(http)
    with pytest.raises(ServerError):
        await client.with_options(max_retries=0).datasets.get("ds-1")
    assert len(calls(http)) == 1
    assert sleeps == []
    # the original client keeps its policy (and its pool)
    http.clear()
    busy(http, 503)
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    assert len(sleeps) == 1


async def test_with_options_can_raise_the_retry_count(
    http: aioresponses, no_retry: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 503, times=3)
    ok(http)
    assert (await no_retry.with_options(max_retries=3).datasets.get("ds-1")).uid == "ds-1"
    assert len(sleeps) == 3


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (503, {"Retry-After": "2"}, 2.0),
        (429, {"Retry-After": "7"}, 7.0),
        (429, {"Retry-After": "0"}, 0.0),
        (429, {"Retry-After": "60"}, 60.0),
        (429, {"retry-after-ms": "1500"}, 1.5),
        (429, {"retry-after-ms": "250", "Retry-After": "30"}, 0.25),
        (500, {"Retry-After": "3.5"}, 3.5),
    ],
)
async def test_retry_after_is_honoured(
    http: aioresponses,
    client: AsyncClient,
    sleeps: list[float],
    status: int,
    headers: dict[str, str],
    expected: float,
) -> None:
    busy(http, status, headers=headers)
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    # A 429 is waited out at the client's pacing gate (from when it arrived), others by the
    # request itself: one wait either way (none for a 429's "0").
    assert sum(sleeps) == pytest.approx(expected, abs=0.01) and len(sleeps) <= 1


async def test_unusable_retry_after_falls_back_to_backoff(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 429, headers={"Retry-After": "soon"})
    ok(http)
    await client.datasets.get("ds-1")
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "61"}, {"Retry-After": "3600"}, {"retry-after-ms": "60001"}]
)
async def test_retry_after_beyond_the_cap_raises_without_sleeping(
    http: aioresponses, client: AsyncClient, sleeps: list[float], headers: dict[str, str]
) -> None:
    busy(http, 429, headers=headers)
    ok(http)
    with pytest.raises(RateLimitError) as info:
        await client.datasets.get("ds-1")
    assert sleeps == []
    assert len(calls(http)) == 1
    assert info.value.retries_taken == 0
    assert info.value.retry_after is not None
    assert info.value.retry_after > 60


async def test_far_future_http_date_raises_without_sleeping(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    far = datetime.now(timezone.utc) + timedelta(days=1)
    busy(http, 503, headers={"Retry-After": http_date(far)})
    ok(http)
    with pytest.raises(ServerError):
        await client.datasets.get("ds-1")
    assert sleeps == []


async def test_server_hint_false_stops_retries(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 503, headers={"x-should-retry": "false"})
    ok(http)
    with pytest.raises(ServerError):
        await client.datasets.get("ds-1")
    assert sleeps == []


async def test_server_hint_true_retries_a_404(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 404, headers={"x-should-retry": "true"})
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    assert len(sleeps) == 1


async def test_not_found_is_not_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    busy(http, 404)
    with pytest.raises(NotFoundError):
        await client.datasets.get("ds-1")
    assert sleeps == []


# --- POST ---------------------------------------------------------------------------------

EXPORTS = "/exports/"


def post(http: aioresponses, status: int = 200, **kwargs: Any) -> None:
    if status == 200:
        http.post(url(EXPORTS), payload={"uid": "ex-1", "status": "pending"}, **kwargs)
    else:
        http.post(url(EXPORTS), status=status, payload={"detail": "no"}, **kwargs)


@pytest.mark.parametrize("status", [500, 502, 504, 408, 409])
async def test_post_is_not_retried_when_the_server_may_have_acted(
    http: aioresponses, client: AsyncClient, sleeps: list[float], status: int
) -> None:
    post(http, status)
    post(http)
    with pytest.raises(Exception) as info:
        await client.exports.create(project="p")
    assert getattr(info.value, "status_code", None) == status
    assert len(calls(http)) == 1
    assert sleeps == []


async def test_post_503_without_retry_after_is_not_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    post(http, 503)
    post(http)
    with pytest.raises(ServerError):
        await client.exports.create(project="p")
    assert len(calls(http)) == 1


async def test_post_is_retried_on_429(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    post(http, 429)
    post(http)
    assert (await client.exports.create(project="p")).uid == "ex-1"
    assert len(calls(http)) == 2
    assert len(sleeps) == 1


async def test_post_is_retried_on_503_with_retry_after(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    post(http, 503, headers={"Retry-After": "4"})
    post(http)
    assert (await client.exports.create(project="p")).uid == "ex-1"
    assert sleeps == [4.0]


async def test_idempotency_key_is_identical_across_retries_of_one_post(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    post(http, 429)
    post(http, 503, headers={"Retry-After": "1"})
    post(http)
    post(http)
    await client.exports.create(project="p")
    await client.exports.create(project="p")
    keys = [headers_of(c)["Idempotency-Key"] for _, _, c in calls(http)]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    bodies = [c.kwargs["json"] for _, _, c in calls(http)]
    assert bodies == [{"project": "p"}] * 4


# --- network failures -------------------------------------------------------------------


async def test_get_connection_errors_and_timeouts_are_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    http.get(url(PATH), exception=aiohttp.ClientConnectionError("reset"))
    http.get(url(PATH), exception=aiohttp.ServerTimeoutError("read timeout"))
    ok(http)
    assert (await client.datasets.get("ds-1")).uid == "ds-1"
    assert len(sleeps) == 2


async def test_get_timeouts_exhaust_retries(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    for _ in range(3):
        http.get(url(PATH), exception=aiohttp.ServerTimeoutError("read timeout"))
    with pytest.raises(APITimeoutError) as info:
        await client.datasets.get("ds-1")
    assert info.value.retries_taken == 2


async def test_post_that_may_have_been_sent_is_not_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    http.post(url(EXPORTS), exception=aiohttp.ServerDisconnectedError())
    post(http)
    with pytest.raises(APIConnectionError):
        await client.exports.create(project="p")
    assert len(calls(http)) == 1
    assert sleeps == []


async def test_post_read_timeout_is_not_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    http.post(url(EXPORTS), exception=aiohttp.ServerTimeoutError("read timeout"))
    post(http)
    with pytest.raises(APITimeoutError):
        await client.exports.create(project="p")
    assert len(calls(http)) == 1


async def test_post_that_never_left_is_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    key = SimpleNamespace(host="api.avala.ai", port=443, ssl=True, is_ssl=True)
    http.post(url(EXPORTS), exception=aiohttp.ClientConnectorError(key, OSError(111, "refused")))  # type: ignore[arg-type]
    http.post(url(EXPORTS), exception=aiohttp.ConnectionTimeoutError("connect timeout"))
    post(http)
    assert (await client.exports.create(project="p")).uid == "ex-1"
    assert len(calls(http)) == 3
    keys = {headers_of(c)["Idempotency-Key"] for _, _, c in calls(http)}
    assert len(keys) == 1


async def test_certificate_errors_are_not_retried(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    key = SimpleNamespace(host="api.avala.ai", port=443, ssl=True, is_ssl=True)
    cert_error = aiohttp.ClientConnectorCertificateError(
        key,  # type: ignore[arg-type]
        ssl.SSLCertVerificationError("certificate verify failed"),
    )
    http.get(url(PATH), exception=cert_error)
    ok(http)
    with pytest.raises(APIConnectionError):
        await client.datasets.get("ds-1")
    assert len(calls(http)) == 1
    assert sleeps == []


def test_retry_delays_are_finite() -> None:
    assert all(math.isfinite(backoff_delay(n)) for n in range(0, 2000, 37))
