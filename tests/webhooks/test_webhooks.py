"""Unit tests for avala.webhooks: signatures, parsing, freshness, and secrecy."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from starlette.datastructures import Headers

from avala.errors import AvalaError
from avala.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookError,
    WebhookEvent,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
    compute_signature,
    construct_event,
    signed_headers,
    verify_signature,
)

SECRET = "whsec_Tq8v3LmZ0pKe71XbYw"
DELIVERY = "5b0e6f55-3f5f-4a4e-9a43-0a8f2d6a1c11"
NOW = datetime(2025, 3, 14, 12, 0, 0, tzinfo=timezone.utc)


def encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def reference_signature(body: bytes, secret: str | bytes = SECRET) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def wrapper_body(**overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "event": "export.completed",
        "timestamp": NOW.isoformat(),
        "data": {"uid": "exp_1", "status": "completed"},
    }
    body.update(overrides)
    return encode(body)


def headers_for(body: bytes, secret: str | bytes = SECRET, **extra: str) -> dict[str, str]:
    return {SIGNATURE_HEADER: reference_signature(body, secret), **extra}


# --- signatures ------------------------------------------------------------------------------


def test_compute_signature_matches_a_known_hmac_sha256_vector() -> None:
    body = b"The quick brown fox jumps over the lazy dog"
    expected = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert compute_signature(body, "key") == expected
    assert compute_signature(body, b"key") == expected


def test_good_signature_verifies() -> None:
    body = wrapper_body()
    verify_signature(body, reference_signature(body), SECRET)
    event = construct_event(body, headers_for(body), SECRET)
    assert event.data == {"uid": "exp_1", "status": "completed"}


def test_wrong_secret_is_a_mismatch() -> None:
    body = wrapper_body()
    with pytest.raises(WebhookSignatureError, match="does not match") as info:
        verify_signature(body, reference_signature(body, "another-secret"), SECRET)
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.replace(b"exp_1", b"exp_2"),
        lambda b: b + b" ",
        lambda b: json.dumps(json.loads(b), indent=2).encode(),  # re-serialized by a framework
        lambda b: b[:-1],
    ],
    ids=["changed-value", "trailing-space", "reserialized", "truncated"],
)
def test_tampered_body_is_a_mismatch(tamper: Callable[[bytes], bytes]) -> None:
    body = wrapper_body()
    signature = reference_signature(body)
    tampered = tamper(body)
    assert tampered != body
    with pytest.raises(WebhookSignatureError) as info:
        construct_event(tampered, {SIGNATURE_HEADER: signature}, SECRET)
    assert info.value.reason == "mismatch"


def test_missing_signature_header() -> None:
    body = wrapper_body()
    with pytest.raises(WebhookSignatureError, match=f"missing {SIGNATURE_HEADER}") as info:
        construct_event(body, {EVENT_HEADER: "export.completed"}, SECRET)
    assert info.value.reason == "missing"
    with pytest.raises(WebhookSignatureError, match="missing"):
        verify_signature(body, None, SECRET)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("sha256=", "empty"),
        ("abc123", "got 6 characters"),
        ("z" * 64, "not all hex digits"),
        ("sha1=" + "a" * 40, "got 45 characters"),
        ("a" * 65, "got 65 characters"),
        ("a" * 32 + " " + "a" * 31, "not all hex digits"),
    ],
)
def test_malformed_signature_header(header: str, expected: str) -> None:
    body = wrapper_body()
    with pytest.raises(WebhookSignatureError, match="malformed") as info:
        verify_signature(body, header, SECRET)
    assert info.value.reason == "malformed"
    assert expected in info.value.message
    with pytest.raises(WebhookSignatureError, match="malformed"):
        construct_event(body, {SIGNATURE_HEADER: header}, SECRET)


@pytest.mark.parametrize(
    "decorate",
    [
        lambda s: "sha256=" + s,
        lambda s: "SHA256=" + s,
        lambda s: f"  sha256={s}\t",
        lambda s: f" {s}\n",
        lambda s: s.upper(),
    ],
    ids=["prefix", "upper-prefix", "prefix-and-space", "whitespace", "upper-hex"],
)
def test_tolerated_signature_spellings(decorate: Callable[[str], str]) -> None:
    body = wrapper_body()
    verify_signature(body, decorate(reference_signature(body)), SECRET)
    event = construct_event(body, {SIGNATURE_HEADER: decorate(reference_signature(body))}, SECRET)
    assert event.event == "export.completed"


def test_prefix_does_not_rescue_a_wrong_signature() -> None:
    body = wrapper_body()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(body, "sha256=" + reference_signature(body, "other"), SECRET)


def test_bytes_and_str_secrets_are_interchangeable() -> None:
    body = wrapper_body()
    assert compute_signature(body, SECRET) == compute_signature(body, SECRET.encode())
    verify_signature(body, compute_signature(body, SECRET), SECRET.encode())
    verify_signature(body, compute_signature(body, SECRET.encode()), SECRET)
    construct_event(body, headers_for(body), SECRET.encode())


def test_non_ascii_str_secret_is_utf8() -> None:
    body = wrapper_body()
    secret = "clé-secrète-✓"
    assert compute_signature(body, secret) == reference_signature(body, secret.encode("utf-8"))
    construct_event(body, headers_for(body, secret.encode("utf-8")), secret)


def test_binary_bytes_secret() -> None:
    body = wrapper_body()
    secret = bytes(range(256))
    construct_event(body, headers_for(body, secret), secret)
    with pytest.raises(WebhookSignatureError):
        construct_event(body, headers_for(body, secret[1:]), secret)


def test_bytearray_and_memoryview_bodies_are_raw_bytes() -> None:
    body = wrapper_body()
    verify_signature(bytearray(body), reference_signature(body), SECRET)  # type: ignore[arg-type]
    event = construct_event(memoryview(body), headers_for(body), SECRET)  # type: ignore[arg-type]
    assert event.payload == json.loads(body)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ('{"event":"export.completed"}', "str"),
        ({"event": "export.completed"}, "dict"),
        ([{"event": "export.completed"}], "list"),
        (None, "NoneType"),
    ],
)
def test_non_bytes_body_is_a_type_error_pointing_at_the_raw_body(body: Any, kind: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: compute_signature(body, SECRET),
        lambda: verify_signature(body, "a" * 64, SECRET),
        lambda: construct_event(body, {SIGNATURE_HEADER: "a" * 64}, SECRET),
    ]
    for call in calls:
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert f"got {kind}" in message
        assert "raw request body" in message
        assert "await request.body()" in message
        assert "await request.read()" in message


@pytest.mark.parametrize("secret", ["", "   ", b"", b"\n"])
def test_empty_secret_is_a_value_error_naming_the_argument(secret: str | bytes) -> None:
    body = wrapper_body()
    for call in (
        lambda: compute_signature(body, secret),
        lambda: verify_signature(body, reference_signature(body), secret),
        lambda: construct_event(body, headers_for(body), secret),
    ):
        with pytest.raises(ValueError, match="secret") as info:
            call()
        assert not isinstance(info.value, WebhookError)


@pytest.mark.parametrize("secret", [None, 1234, ["s"]])
def test_secret_of_the_wrong_type_is_a_type_error(secret: Any) -> None:
    body = wrapper_body()
    with pytest.raises(TypeError, match="secret must be str or bytes"):
        construct_event(body, headers_for(body), secret)


# --- payloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"event": "export.completed"', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'{"value": NaN}', "not valid JSON"),
        (b"[1, 2, 3]", "got a JSON array"),
        (b'"export.completed"', "got a JSON string"),
        (b"42", "got a JSON number"),
        (b"true", "got a JSON boolean"),
        (b"null", "got a JSON null"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=[
        "text",
        "empty",
        "truncated",
        "binary",
        "nan",
        "array",
        "string",
        "number",
        "boolean",
        "null",
        "deep",
    ],
)
def test_signed_body_that_is_not_a_json_object(body: bytes, expected: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        construct_event(body, headers_for(body), SECRET)
    assert expected in info.value.message


def test_signature_is_checked_before_the_body_is_parsed() -> None:
    body = b"not json at all"
    with pytest.raises(WebhookSignatureError):
        construct_event(body, headers_for(body, "wrong"), SECRET)
    with pytest.raises(WebhookSignatureError):
        construct_event(body, {}, SECRET)


def test_wrapper_body_is_unwrapped() -> None:
    body = wrapper_body()
    event = construct_event(body, headers_for(body, **{DELIVERY_HEADER: DELIVERY}), SECRET)
    assert event.event == "export.completed"
    assert event.delivery_id == DELIVERY
    assert event.timestamp == NOW
    assert event.data == {"uid": "exp_1", "status": "completed"}
    assert event.payload == json.loads(body)


def test_bare_body_is_exposed_whole() -> None:
    payload = {"uid": "ds_1", "name": "Highway scenes", "created_at": "2024-05-01T08:30:00Z"}
    body = encode(payload)
    event = construct_event(body, headers_for(body, **{EVENT_HEADER: "dataset.created"}), SECRET)
    assert event.event == "dataset.created"
    assert event.data == payload
    assert event.payload == payload
    assert event.timestamp == datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("payload", "unwrapped"),
    [
        ({"type": "task.completed", "data": {"uid": "t1"}}, True),
        ({"event": "x", "data": [1, 2]}, False),
        ({"event": "x", "data": "text"}, False),
        ({"data": {"uid": "t1"}, "uid": "r1"}, False),
        ({"event": "x"}, False),
    ],
)
def test_what_counts_as_the_wrapper(payload: dict[str, Any], unwrapped: bool) -> None:
    body = encode(payload)
    event = construct_event(body, headers_for(body), SECRET)
    assert event.payload == payload
    assert event.data == (payload["data"] if unwrapped else payload)


@pytest.mark.parametrize(
    ("headers", "payload", "expected"),
    [
        ({EVENT_HEADER: "task.completed"}, {"event": "ignored.by.header"}, "task.completed"),
        ({}, {"event": "result.submitted", "type": "other"}, "result.submitted"),
        ({}, {"type": "dataset.updated"}, "dataset.updated"),
        ({EVENT_HEADER: "  export.failed \r\n"}, {}, "export.failed"),
        ({EVENT_HEADER: ""}, {"event": "dataset.deleted"}, "dataset.deleted"),
        ({}, {"event": 7}, None),
        ({}, {"uid": "x"}, None),
    ],
)
def test_event_name_comes_from_the_header_then_the_body(
    headers: dict[str, str], payload: dict[str, Any], expected: str | None
) -> None:
    body = encode(payload)
    event = construct_event(body, {**headers_for(body), **headers}, SECRET)
    assert event.event == expected


def test_delivery_id_is_optional() -> None:
    body = wrapper_body()
    assert construct_event(body, headers_for(body), SECRET).delivery_id is None
    blank = construct_event(body, headers_for(body, **{DELIVERY_HEADER: " "}), SECRET)
    assert blank.delivery_id is None


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda h: {k.lower(): v for k, v in h.items()},
        lambda h: {k.upper(): v for k, v in h.items()},
        lambda h: {"x-AVALA-webhook-" + k.split("-")[-1].lower(): v for k, v in h.items()},
        lambda h: CIMultiDict({k.lower(): v for k, v in h.items()}),
        lambda h: CIMultiDictProxy(CIMultiDict({k.upper(): v for k, v in h.items()})),
        lambda h: Headers(headers={k.lower(): v for k, v in h.items()}),
    ],
    ids=["dict-lower", "dict-upper", "dict-mixed", "cimultidict", "cimultidictproxy", "starlette"],
)
def test_header_names_are_case_insensitive(
    make_headers: Callable[[dict[str, str]], Mapping[str, str]],
) -> None:
    body = wrapper_body(event="ignored")
    canonical = headers_for(body, **{EVENT_HEADER: "task.completed", DELIVERY_HEADER: DELIVERY})
    headers = make_headers(canonical)
    if isinstance(headers, dict):  # a plain dict must be searched, not indexed
        assert SIGNATURE_HEADER not in headers
    event = construct_event(body, headers, SECRET)
    assert (event.event, event.delivery_id) == ("task.completed", DELIVERY)


def test_signed_headers_round_trip() -> None:
    body = wrapper_body()
    headers = signed_headers(body, SECRET, event="export.completed", delivery_id=DELIVERY)
    assert headers == {
        SIGNATURE_HEADER: reference_signature(body),
        EVENT_HEADER: "export.completed",
        DELIVERY_HEADER: DELIVERY,
    }
    assert signed_headers(body, SECRET) == {SIGNATURE_HEADER: reference_signature(body)}
    event = construct_event(body, headers, SECRET)
    assert event.delivery_id == DELIVERY


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-14T12:00:00Z", NOW),
        ("2025-03-14T12:00:00z", NOW),
        ("2025-03-14T13:00:00+01:00", NOW),
        ("2025-03-14T12:00:00", NOW),
        ("2025-03-14 12:00:00+00:00", NOW),
        ("2025-03-14T12:00:00.5Z", NOW + timedelta(milliseconds=500)),
        ("2025-03-14T12:00:00.123456789Z", NOW + timedelta(microseconds=123456)),
        (NOW.timestamp(), NOW),
        (int(NOW.timestamp()), NOW),
        (int(NOW.timestamp() * 1000), NOW),
    ],
)
def test_timestamp_formats(value: Any, expected: datetime) -> None:
    body = wrapper_body(timestamp=value)
    event = construct_event(body, headers_for(body), SECRET)
    assert event.timestamp == expected
    assert event.timestamp is not None and event.timestamp.tzinfo is not None


def test_timestamp_prefers_timestamp_over_created_at() -> None:
    body = encode({"timestamp": "2025-03-14T12:00:00Z", "created_at": "2020-01-01T00:00:00Z"})
    assert construct_event(body, headers_for(body), SECRET).timestamp == NOW
    body = encode({"timestamp": None, "created_at": "2025-03-14T12:00:00Z"})
    assert construct_event(body, headers_for(body), SECRET).timestamp == NOW
    body = encode({"event": "x", "data": {"created_at": "2025-03-14T12:00:00Z"}})
    assert construct_event(body, headers_for(body), SECRET).timestamp is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yesterday", "'yesterday' is not an ISO 8601"),
        ("", "is not an ISO 8601"),
        (True, "got a JSON boolean"),
        ([2025, 3, 14], "got a JSON array"),
        (1e300, "out-of-range"),
    ],
)
def test_unreadable_timestamp_is_a_payload_error(value: Any, expected: str) -> None:
    body = wrapper_body(timestamp=value)
    with pytest.raises(WebhookPayloadError, match="'timestamp'") as info:
        construct_event(body, headers_for(body), SECRET)
    assert expected in info.value.message
    assert not isinstance(info.value, WebhookTimestampError)


def test_within_tolerance() -> None:
    body = wrapper_body()
    now = NOW.timestamp()
    for offset in (0.0, 299.0, -299.0, 300.0, -300.0):
        event = construct_event(body, headers_for(body), SECRET, tolerance=300, now=now + offset)
        assert event.timestamp == NOW


def test_too_old() -> None:
    body = wrapper_body()
    with pytest.raises(WebhookTimestampError) as info:
        construct_event(body, headers_for(body), SECRET, tolerance=300, now=NOW.timestamp() + 450)
    error = info.value
    assert (error.reason, error.tolerance, error.age) == ("too_old", 300.0, 450.0)
    assert "too old" in error.message
    assert "450.0 seconds" in error.message
    assert "tolerance of 300 seconds" in error.message


def test_in_the_future() -> None:
    body = wrapper_body()
    with pytest.raises(WebhookTimestampError) as info:
        construct_event(body, headers_for(body), SECRET, tolerance=60, now=NOW.timestamp() - 90.5)
    error = info.value
    assert (error.reason, error.tolerance, error.age) == ("in_future", 60.0, -90.5)
    assert "future" in error.message
    assert "90.5 seconds" in error.message
    assert "tolerance of 60 seconds" in error.message


def test_missing_timestamp_with_tolerance() -> None:
    body = encode({"event": "task.completed", "data": {"uid": "t1"}})
    event = construct_event(body, headers_for(body), SECRET)  # fine without a tolerance
    assert event.timestamp is None
    with pytest.raises(WebhookTimestampError, match="no timestamp") as info:
        construct_event(body, headers_for(body), SECRET, tolerance=300, now=NOW.timestamp())
    assert (info.value.reason, info.value.age) == ("missing", None)
    assert "tolerance of 300 seconds" in info.value.message


def test_tolerance_uses_the_real_clock_by_default() -> None:
    fresh = wrapper_body(timestamp=datetime.now(timezone.utc).isoformat())
    construct_event(fresh, headers_for(fresh), SECRET, tolerance=3600)
    stale = wrapper_body(timestamp="2001-01-01T00:00:00Z")
    with pytest.raises(WebhookTimestampError, match="too old"):
        construct_event(stale, headers_for(stale), SECRET, tolerance=3600)


def test_bad_signature_wins_over_a_stale_timestamp() -> None:
    body = wrapper_body(timestamp="2001-01-01T00:00:00Z")
    with pytest.raises(WebhookSignatureError):
        construct_event(body, headers_for(body, "wrong"), SECRET, tolerance=1)


@pytest.mark.parametrize("tolerance", [0, -5, float("nan"), float("inf"), True, "300"])
def test_invalid_tolerance(tolerance: Any) -> None:
    body = wrapper_body()
    with pytest.raises(ValueError, match="tolerance must be a positive number"):
        construct_event(body, headers_for(body), SECRET, tolerance=tolerance, now=NOW.timestamp())


# --- the event object, the errors, and secrecy ----------------------------------------------


def test_event_repr_shows_only_event_and_delivery() -> None:
    body = wrapper_body(data={"blob": "x" * 100_000, "marker": "PAYLOAD-MARKER"})
    event = construct_event(body, headers_for(body, **{DELIVERY_HEADER: DELIVERY}), SECRET)
    text = repr(event)
    assert text == f"WebhookEvent(event='export.completed', delivery_id='{DELIVERY}')"
    assert "PAYLOAD-MARKER" not in text


def test_event_is_frozen() -> None:
    body = wrapper_body()
    event = construct_event(body, headers_for(body), SECRET)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event = "other"  # type: ignore[misc]
    assert isinstance(event, WebhookEvent)


def test_error_tree() -> None:
    for cls in (WebhookSignatureError, WebhookPayloadError, WebhookTimestampError):
        assert issubclass(cls, WebhookError)
    assert issubclass(WebhookError, AvalaError)
    body = wrapper_body()
    with pytest.raises(AvalaError) as info:
        construct_event(body, {}, SECRET)
    assert info.value.status_code is None
    assert str(info.value) == info.value.message


def failures() -> list[Callable[[], object]]:
    body = wrapper_body()
    good = reference_signature(body)
    old = NOW.timestamp() + 10_000
    text_body: Any = body.decode()
    return [
        lambda: construct_event(body, {}, SECRET),
        lambda: construct_event(body, {SIGNATURE_HEADER: "nope"}, SECRET),
        lambda: construct_event(body, {SIGNATURE_HEADER: "z" * 64}, SECRET),
        lambda: construct_event(body, headers_for(body, "other"), SECRET),
        lambda: construct_event(body + b"x", {SIGNATURE_HEADER: good}, SECRET),
        lambda: construct_event(b"[]", headers_for(b"[]"), SECRET),
        lambda: construct_event(b"{", headers_for(b"{"), SECRET),
        lambda: construct_event(body, headers_for(body), SECRET, tolerance=5, now=old),
        lambda: construct_event(body, headers_for(body), SECRET, tolerance=5, now=0.0),
        lambda: construct_event(b"{}", headers_for(b"{}"), SECRET, tolerance=5),
        lambda: construct_event(text_body, {SIGNATURE_HEADER: good}, SECRET),
        lambda: construct_event(body, {SIGNATURE_HEADER: good}, SECRET, tolerance=-1),
        lambda: verify_signature(body, None, SECRET),
        lambda: verify_signature(body, reference_signature(body, "x"), SECRET.encode()),
    ]


def test_the_secret_and_the_expected_signature_never_appear_in_errors() -> None:
    body = wrapper_body()
    forbidden = [SECRET, reference_signature(body), SECRET.encode().hex()]
    seen = 0
    for failure in failures():
        with pytest.raises((WebhookError, TypeError, ValueError)) as info:
            failure()
        exc = info.value
        rendered = [str(exc), repr(exc), *map(repr, exc.args), repr(vars(exc))]
        for text in rendered:
            for secret in forbidden:
                assert secret not in text, (type(exc).__name__, text)
        seen += 1
    assert seen == len(failures())


def test_the_secret_never_appears_in_an_event() -> None:
    body = wrapper_body()
    event = construct_event(body, headers_for(body, **{DELIVERY_HEADER: DELIVERY}), SECRET)
    assert SECRET not in repr(event)
    assert SECRET not in str(attrs.asdict(event))


def test_errors_survive_pickling() -> None:
    errors: list[WebhookError] = []
    for failure in failures():
        try:
            failure()
        except WebhookError as exc:
            errors.append(exc)
        except (TypeError, ValueError):
            pass
    assert {type(e) for e in errors} == {
        WebhookSignatureError,
        WebhookPayloadError,
        WebhookTimestampError,
    }
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.message, vars(copy)) == (error.message, vars(error))
