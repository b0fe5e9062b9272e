"""``client.webhooks``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncWebhooks(AsyncResource):
    """Webhook subscriptions: where Avala POSTs events, signed with a secret."""

    __slots__ = ()
