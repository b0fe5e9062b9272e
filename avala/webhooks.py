"""Receive Avala webhooks safely: verify the signature, check freshness, parse the event.

Avala delivers each webhook as an HTTP ``POST`` whose raw body is JSON, with three headers:

``X-Avala-Webhook-Signature``
    Lowercase hex HMAC-SHA256 of the raw body, keyed with the subscription's secret (the
    ``secret`` returned once, when the webhook is created).
``X-Avala-Webhook-Event``
    The event name, e.g. ``export.completed``, ``dataset.created``, ``task.completed``.
``X-Avala-Webhook-Delivery``
    A UUID naming this delivery; the same delivery retried keeps its id, so use it to make
    your handler idempotent.

:func:`construct_event` does all of it in one call and returns a :class:`WebhookEvent`, or
raises a :class:`WebhookError` that your route should turn into a ``400``::

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from avala.webhooks import WebhookError, construct_event

    app = FastAPI()
    SECRET = "..."  # the webhook's signing secret

    @app.post("/avala/webhooks")
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()  # the raw bytes: never the parsed JSON
        try:
            event = construct_event(body, request.headers, SECRET)
        except WebhookError as exc:
            return JSONResponse({"detail": exc.message}, status_code=400)
        if event.event == "export.completed":
            ...  # event.data is the export, event.delivery_id names the delivery
        return JSONResponse({"received": event.event})

In aiohttp the raw body is ``await request.read()`` and the headers are
``request.headers``; complete receivers for both frameworks are in ``examples/``.

Points worth knowing:

* The signature covers the body bytes exactly, so verify the raw body *before* any JSON
  parsing. Passing a ``str`` or a ``dict`` raises :class:`TypeError` for that reason.
* Only the body is signed: the event and delivery headers are not. When the body carries
  its own ``event`` you may prefer ``event.payload["event"]``.
* Avala's docs show more than one body shape. The documented wrapper
  ``{"event": ..., "timestamp": ..., "data": {...}}`` is unwrapped into
  :attr:`WebhookEvent.data`; any other JSON object is exposed whole, as both
  :attr:`WebhookEvent.data` and :attr:`WebhookEvent.payload`.
* ``tolerance`` rejects stale or future-dated deliveries (a replay defence), but it needs a
  ``timestamp`` (or ``created_at``) in the body, and a delivery without one is then refused.
* :func:`signed_headers` builds the headers Avala would send, for testing your own receiver.

No message or ``repr`` produced here contains the secret or the expected signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

import attrs

from .errors import AvalaError

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "SignatureFailure",
    "TimestampFailure",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "compute_signature",
    "construct_event",
    "signed_headers",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Avala-Webhook-Signature"
"""Header carrying the hex HMAC-SHA256 of the raw body."""
EVENT_HEADER = "X-Avala-Webhook-Event"
"""Header carrying the event name, e.g. ``export.completed``."""
DELIVERY_HEADER = "X-Avala-Webhook-Delivery"
"""Header carrying the delivery's UUID."""

SignatureFailure = Literal["missing", "malformed", "mismatch"]
TimestampFailure = Literal["too_old", "in_future", "missing"]

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_SHA256_PREFIX = "sha256="
_TIMESTAMP_KEYS = ("timestamp", "created_at")
_EVENT_KEYS = ("event", "type")
# Numbers above this are taken as milliseconds since the epoch (1e11 s is the year 5138).
_MILLISECONDS_THRESHOLD = 1e11


class WebhookError(AvalaError):
    """Base class of every error raised while receiving a webhook.

    A receiver should answer any :class:`WebhookError` with a ``400``: the delivery is not
    one it can trust or use. ``.message`` is safe to send back; it never contains the secret.
    """


class WebhookSignatureError(WebhookError):
    """The signature header is missing, malformed, or does not match the body.

    Attributes:
        reason: ``"missing"``, ``"malformed"`` or ``"mismatch"``.
    """

    def __init__(self, message: str, *, reason: SignatureFailure) -> None:
        super().__init__(message)
        self.reason: SignatureFailure = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, {"reason": self.reason}))


class WebhookPayloadError(WebhookError):
    """The (correctly signed) body is not a JSON object, or its timestamp is unreadable."""


class WebhookTimestampError(WebhookError):
    """The delivery's timestamp is outside the requested tolerance, or it has none.

    Attributes:
        reason: ``"too_old"``, ``"in_future"`` or ``"missing"``.
        tolerance: The tolerance that was requested, in seconds.
        age: How old the delivery is in seconds (negative when it is dated in the future),
            or ``None`` when it has no timestamp.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: TimestampFailure,
        tolerance: float,
        age: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: TimestampFailure = reason
        self.tolerance: float = tolerance
        self.age: float | None = age

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {"reason": self.reason, "tolerance": self.tolerance, "age": self.age}
        return (_rebuild, (type(self), self.message, fields))


def _rebuild(cls: type[WebhookError], message: str, fields: dict[str, Any]) -> WebhookError:
    """Unpickle an error whose constructor takes keyword-only fields."""
    return cls(message, **fields)


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One verified webhook delivery.

    The ``repr`` shows only the event name and the delivery id, never the payload.
    """

    event: str | None
    """The event name: the ``X-Avala-Webhook-Event`` header, else the body's ``event`` (or
    ``type``) string, else ``None``."""
    delivery_id: str | None
    """The ``X-Avala-Webhook-Delivery`` header (a UUID), or ``None`` when it was not sent."""
    timestamp: datetime | None = attrs.field(repr=False)
    """When the event happened, timezone-aware, from the body's ``timestamp`` (else
    ``created_at``) at the top level; ``None`` when the body has neither."""
    data: dict[str, Any] = attrs.field(repr=False)
    """The event's object: the body's ``data`` for the ``{"event", "timestamp", "data"}``
    wrapper, otherwise the whole body."""
    payload: dict[str, Any] = attrs.field(repr=False)
    """The whole decoded body, exactly as sent."""


def compute_signature(body: bytes, secret: str | bytes) -> str:
    """Return the lowercase hex HMAC-SHA256 of ``body`` keyed with ``secret``.

    This is the value Avala sends in ``X-Avala-Webhook-Signature``. A ``str`` secret is
    encoded as UTF-8.

    Raises:
        TypeError: ``body`` is not bytes (see :func:`verify_signature`), or ``secret`` is
            neither ``str`` nor ``bytes``.
        ValueError: ``secret`` is empty.
    """
    raw = _require_raw_body(body)
    key = _secret_bytes(secret)
    return hmac.new(key, raw, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, secret: str | bytes) -> None:
    """Check that ``signature`` is the HMAC-SHA256 of ``body`` under ``secret``.

    ``signature`` is the ``X-Avala-Webhook-Signature`` header value (``None`` when absent).
    Surrounding whitespace, an optional ``sha256=`` prefix and upper-case hex digits are
    accepted. The comparison takes constant time.

    ``body`` must be the raw request body: ``await request.body()`` in FastAPI or Starlette,
    ``await request.read()`` in aiohttp, ``request.get_data()`` in Flask. Parsing and
    re-serializing JSON changes the bytes, so a ``str`` or ``dict`` is refused.

    Raises:
        TypeError: ``body`` is not bytes, or ``secret`` is neither ``str`` nor ``bytes``.
        ValueError: ``secret`` is empty.
        WebhookSignatureError: the header is missing or malformed, or does not match.
    """
    raw = _require_raw_body(body)
    key = _secret_bytes(secret)
    received = _normalize_signature(signature)
    expected = hmac.new(key, raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), received.encode("ascii")):
        raise WebhookSignatureError(
            f"{SIGNATURE_HEADER} does not match the body: the secret is not this webhook's "
            "signing secret, or the body was changed (verify the raw request body, before any "
            "JSON parsing or re-encoding)",
            reason="mismatch",
        )


def construct_event(
    body: bytes,
    headers: Mapping[str, str],
    secret: str | bytes,
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> WebhookEvent:
    """Verify a delivery and return it as a :class:`WebhookEvent`.

    Args:
        body: The raw request body, as bytes.
        headers: The request headers. Names are matched case-insensitively, so a plain
            ``dict``, aiohttp's ``CIMultiDictProxy`` and Starlette's ``Headers`` all work.
        secret: The webhook's signing secret (``str`` or ``bytes``).
        tolerance: If given, refuse deliveries whose body timestamp is more than this many
            seconds in the past or in the future, and deliveries that carry no timestamp.
        now: The current time as seconds since the epoch (defaults to :func:`time.time`);
            for tests and for callers with their own clock.

    The signature is checked before the body is parsed, so nothing unauthenticated is
    ever decoded.

    Raises:
        TypeError: ``body`` is not bytes, or ``secret`` is neither ``str`` nor ``bytes``.
        ValueError: ``secret`` is empty, or ``tolerance`` is not a positive number.
        WebhookSignatureError: the signature is missing, malformed or wrong.
        WebhookPayloadError: the body is not a JSON object, or its timestamp is unreadable.
        WebhookTimestampError: the timestamp is outside ``tolerance``, or missing.
    """
    if tolerance is not None:
        tolerance = _check_tolerance(tolerance)
    raw = _require_raw_body(body)
    verify_signature(raw, _header(headers, SIGNATURE_HEADER), secret)
    payload = _decode_object(raw)
    timestamp = _find_timestamp(payload)
    if tolerance is not None:
        _check_freshness(timestamp, tolerance, time.time() if now is None else now)
    return WebhookEvent(
        event=_header(headers, EVENT_HEADER) or _body_event(payload),
        delivery_id=_header(headers, DELIVERY_HEADER) or None,
        timestamp=timestamp,
        data=_unwrap(payload),
        payload=payload,
    )


def signed_headers(
    body: bytes,
    secret: str | bytes,
    *,
    event: str | None = None,
    delivery_id: str | None = None,
) -> dict[str, str]:
    """Return the headers Avala would send with ``body``: for testing your own receiver.

    The result always has ``X-Avala-Webhook-Signature``, and ``X-Avala-Webhook-Event`` /
    ``X-Avala-Webhook-Delivery`` when ``event`` / ``delivery_id`` are given.
    """
    headers = {SIGNATURE_HEADER: compute_signature(body, secret)}
    if event is not None:
        headers[EVENT_HEADER] = event
    if delivery_id is not None:
        headers[DELIVERY_HEADER] = delivery_id
    return headers


# --- internals ------------------------------------------------------------------------------


def _require_raw_body(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    what = "already-parsed JSON" if isinstance(body, (dict, list)) else "decoded text"
    hint = f" ({what})" if isinstance(body, (str, dict, list)) else ""
    raise TypeError(
        f"body must be the raw request body as bytes, got {type(body).__name__}{hint}. "
        "The signature covers the exact bytes Avala sent, and decoding or parsing them first "
        "breaks it: pass the raw body, e.g. `await request.body()` in FastAPI or Starlette, "
        "`await request.read()` in aiohttp"
    )


def _secret_bytes(secret: object) -> bytes:
    if isinstance(secret, str):
        key = secret.encode("utf-8")
    elif isinstance(secret, (bytes, bytearray)):
        key = bytes(secret)
    else:
        raise TypeError(f"secret must be str or bytes, got {type(secret).__name__}")
    if not key.strip():
        raise ValueError(
            "secret is empty (or only whitespace): pass the webhook's signing secret, which "
            "Avala returns when the webhook is created"
        )
    return key


def _normalize_signature(signature: object) -> str:
    if signature is None:
        raise WebhookSignatureError(
            f"missing {SIGNATURE_HEADER} header: the request is not a signed Avala delivery",
            reason="missing",
        )
    if not isinstance(signature, str):
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: expected a string, "
            f"got {type(signature).__name__}",
            reason="malformed",
        )
    value = signature.strip()
    if value[: len(_SHA256_PREFIX)].lower() == _SHA256_PREFIX:
        value = value[len(_SHA256_PREFIX) :].strip()
    value = value.lower()
    if not value:
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: it is empty", reason="malformed"
        )
    if not _HEX_DIGEST.fullmatch(value):
        got = (
            f"{len(value)} characters"
            if len(value) != 64
            else "64 characters that are not all hex digits"
        )
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: expected 64 hex digits (an HMAC-SHA256), "
            f"optionally prefixed with 'sha256=', got {got}",
            reason="malformed",
        )
    return value


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Look ``name`` up case-insensitively; return it stripped, or ``None`` when absent."""
    value: object = headers.get(name)
    if value is None:
        folded = name.casefold()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.casefold() == folded:
                value = candidate
                break
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)


def _decode_object(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise WebhookPayloadError("webhook body is nested too deeply to decode") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WebhookPayloadError(f"webhook body is not valid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise WebhookPayloadError(
            f"webhook body must be a JSON object, got a JSON {_json_kind(decoded)}"
        )
    return decoded


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null"


def _body_event(payload: Mapping[str, Any]) -> str | None:
    for key in _EVENT_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """The documented wrapper is an object ``data`` next to an ``event`` or ``type`` key."""
    data = payload.get("data")
    if isinstance(data, dict) and any(key in payload for key in _EVENT_KEYS):
        return data
    return payload


def _find_timestamp(payload: Mapping[str, Any]) -> datetime | None:
    for key in _TIMESTAMP_KEYS:
        value = payload.get(key)
        if value is not None:
            return _parse_timestamp(key, value)
    return None


def _parse_timestamp(key: str, value: object) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if abs(seconds) > _MILLISECONDS_THRESHOLD:
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise WebhookPayloadError(
                f"webhook body has an out-of-range {key!r}: {value!r}"
            ) from None
    if isinstance(value, str):
        parsed = _parse_iso8601(value.strip())
        if parsed is None:
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise WebhookPayloadError(
                f"webhook body has an unreadable {key!r}: {shown!r} is not an ISO 8601 "
                "date-time or a number of seconds since the epoch"
            )
        return parsed
    raise WebhookPayloadError(
        f"webhook body has an unreadable {key!r}: expected an ISO 8601 string or a number, "
        f"got a JSON {_json_kind(value)}"
    )


_FRACTION = re.compile(r"(?<=\d)[.,](\d+)")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def _parse_iso8601(text: str) -> datetime | None:
    """Parse an ISO 8601 date-time on every supported Python; naive values are taken as UTC."""
    if not text:
        return None
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    if sys.version_info < (3, 11):  # 3.10 wants 3 or 6 fraction digits and a colon offset
        text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
        if "T" in text or " " in text:
            text = _COMPACT_OFFSET.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _check_tolerance(tolerance: object) -> float:
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise ValueError(f"tolerance must be a positive number of seconds, got {tolerance!r}")
    return float(tolerance)


def _check_freshness(timestamp: datetime | None, tolerance: float, now: float) -> None:
    if timestamp is None:
        raise WebhookTimestampError(
            f"webhook body has no timestamp ('timestamp' or 'created_at'), but a tolerance of "
            f"{tolerance:g} seconds requires one",
            reason="missing",
            tolerance=tolerance,
        )
    age = now - timestamp.timestamp()
    if age > tolerance:
        raise WebhookTimestampError(
            f"webhook delivery is too old: its timestamp is {age:.1f} seconds in the past, "
            f"beyond the tolerance of {tolerance:g} seconds",
            reason="too_old",
            tolerance=tolerance,
            age=age,
        )
    if -age > tolerance:
        raise WebhookTimestampError(
            f"webhook delivery is dated in the future: its timestamp is {-age:.1f} seconds "
            f"ahead, beyond the tolerance of {tolerance:g} seconds (check this machine's clock)",
            reason="in_future",
            tolerance=tolerance,
            age=age,
        )
