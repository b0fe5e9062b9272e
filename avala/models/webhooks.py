"""Webhook and webhook delivery models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from .agents import DeliveryTestResult


@attrs.frozen(kw_only=True)
class Webhook:
    """A webhook subscription: an HTTPS URL that receives the events listed."""

    uid: str
    """The subscription's unique id."""
    target_url: str
    """HTTPS URL the events are posted to."""
    events: list[str] = attrs.Factory(list)
    """Subscribed events, e.g. ``export.completed``."""
    is_active: bool = True
    """Whether events are delivered."""
    secret: str | None = attrs.field(default=None, repr=False)
    """HMAC signing secret; returned only when the webhook is created (kept out of ``repr``)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One attempt at delivering an event to a webhook, and the receiver's answer."""

    uid: str
    """The delivery's unique id."""
    subscription: str
    """Uid of the webhook."""
    event_type: str
    """The event delivered."""
    payload: dict[str, Any] | None = None
    """The JSON posted."""
    response_status: int | None = None
    """The HTTP status the receiver answered."""
    response_body: str | None = None
    """The body the receiver answered."""
    attempts: int = 0
    """Attempts so far."""
    next_retry_at: datetime | None = None
    """Time of the next attempt, if one is planned (timezone-aware)."""
    status: str | None = None
    """``pending``, ``delivered`` or ``failed``."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class WebhookTestResult(DeliveryTestResult, total=False):
    """The outcome of sending a test event to a webhook."""

    delivery_uid: str  # uid of the test delivery
