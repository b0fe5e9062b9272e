"""The retry rules as tables: the backoff curve (including its cap, which the wire tests
cannot wait for), the ``Retry-After`` parser, and the status/method decision."""

from __future__ import annotations

import email.utils

import pytest

from avala._transport import (
    DEFAULT_MAX_RETRY_AFTER,
    backoff_delay,
    parse_retry_after,
    should_retry_status,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("retries_so_far", "ceiling"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (30, 8.0), (10_000, 8.0)],
)
def test_backoff_doubles_and_is_capped(retries_so_far: int, ceiling: float) -> None:
    assert backoff_delay(retries_so_far, rand=0.0) == ceiling
    assert backoff_delay(retries_so_far, rand=1.0) == ceiling * 0.75


def test_backoff_is_jittered_within_a_quarter() -> None:
    draws = [backoff_delay(1) for _ in range(500)]
    assert all(0.75 <= d <= 1.0 for d in draws)
    assert len(set(draws)) > 400  # really random, not a constant
    assert max(draws) - min(draws) > 0.2  # spread over most of the 25% band


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "3600"}, 3600.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"retry-after": "Mon, 99 Foo 2024 99:99:99 GMT"}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "-5", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "x", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "inf"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_the_cap_is_a_minute() -> None:
    assert DEFAULT_MAX_RETRY_AFTER == 60.0


RETRYABLE_ANY_METHOD = [408, 409, 429, 500, 502, 503, 504, 599]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
@pytest.mark.parametrize("status", [*RETRYABLE_ANY_METHOD, 400, 401, 403, 404, 418, 422])
def test_idempotent_methods(method: str, status: int) -> None:
    assert should_retry_status(method, status, {}) == (status in RETRYABLE_ANY_METHOD)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {}, True),
        (503, {"retry-after": "1"}, True),
        (503, {"retry-after-ms": "100"}, True),
        (503, {}, False),
        (500, {"retry-after": "1"}, False),
        (502, {}, False),
        (504, {}, False),
        (408, {}, False),
        (409, {}, False),
        (400, {"retry-after": "1"}, False),
        (500, {"x-should-retry": "true"}, True),
        (429, {"x-should-retry": "false"}, False),
        (503, {"retry-after": "1", "x-should-retry": " FALSE "}, False),
        (503, {"x-should-retry": "maybe"}, False),
    ],
)
def test_non_idempotent_methods(
    method: str, status: int, headers: dict[str, str], expected: bool
) -> None:
    assert should_retry_status(method, status, headers) is expected


def test_x_should_retry_false_beats_an_idempotent_5xx() -> None:
    assert should_retry_status("GET", 503, {"x-should-retry": "false"}) is False
    assert should_retry_status("GET", 400, {"x-should-retry": "true"}) is True
