"""Webhook subscriptions and deliveries (the official SDK's ``avala.types.webhook``; the
classes of :mod:`avala.models.webhooks`).

Also here: ``WebhookTestResult``, the typed dict ``webhooks.test()`` returns (a plain dict in
the official SDK).

The classes are those of ``avala.models``: ``avala.types.webhook.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.webhooks import (
    Webhook as Webhook,
    WebhookDelivery as WebhookDelivery,
    WebhookTestResult as WebhookTestResult,
)

__all__ = [
    "Webhook",
    "WebhookDelivery",
    "WebhookTestResult",
]
