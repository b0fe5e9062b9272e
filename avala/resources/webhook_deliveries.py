"""``client.webhook_deliveries``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncWebhookDeliveries(AsyncResource):
    """Deliveries of webhook events, with their outcome (read-only)."""

    __slots__ = ()
