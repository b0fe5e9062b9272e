"""``client.webhook_deliveries``: each attempt at delivering a webhook event (read-only)."""

from __future__ import annotations

from ..models.webhooks import WebhookDelivery
from ..pagination import AsyncPaginator
from ._base import AsyncResource, path


class AsyncWebhookDeliveries(AsyncResource):
    """Deliveries of webhook events, with their outcome (read-only)."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[WebhookDelivery]:
        """List webhook deliveries: the event, the payload, the receiver's answer.

        Returns:
            A paginator: iterate it for every delivery, or call ``first_page()`` for one page.
        """
        return self._list("/webhook-deliveries/", WebhookDelivery, locals())

    async def get(self, uid: str) -> WebhookDelivery:
        """Fetch one delivery, e.g. the ``delivery_uid`` a webhook test reported.

        Raises:
            NotFoundError: no such delivery.
        """
        return await self._get(path("/webhook-deliveries/{uid}/", uid=uid), WebhookDelivery)
