"""``client.webhooks``: subscriptions that receive Avala's events, signed with a secret."""

from __future__ import annotations

from collections.abc import Sequence

from ..models.webhooks import Webhook, WebhookTestResult
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path


def _check_events(events: Sequence[str] | None) -> None:
    if isinstance(events, str):
        raise TypeError(f"events must be a sequence of event names, not a str: pass [{events!r}].")


class AsyncWebhooks(AsyncResource):
    """Webhook subscriptions: where Avala POSTs events, signed with a secret."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Webhook]:
        """List webhook subscriptions (their secrets are not included).

        Returns:
            A paginator: iterate it for every webhook, or call ``first_page()`` for one page.
        """
        return self._list("/webhooks/", Webhook, locals())

    async def get(self, uid: str) -> Webhook:
        """Fetch a webhook subscription by uid (its secret is not included).

        Raises:
            NotFoundError: no such webhook.
        """
        return await self._get(path("/webhooks/{uid}/", uid=uid), Webhook)

    async def create(
        self,
        *,
        target_url: str,
        events: Sequence[str],
        is_active: bool | None = None,
        secret: str | None = None,
    ) -> Webhook:
        """Subscribe a URL to events.

        Args:
            target_url: The HTTPS URL the events are POSTed to.
            events: The events to deliver, e.g. ``["export.completed"]``.
            is_active: Whether events are delivered (the server's default: active).
            secret: The HMAC signing secret; the server generates one when omitted.

        Returns:
            The webhook. Its ``secret`` is returned only here: keep it, it is what
            :func:`avala.webhooks.construct_event` verifies deliveries with.

        Raises:
            TypeError: ``events`` is a str rather than a sequence of names (before any
                request).
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        fields = given(locals())
        _check_events(events)
        fields["events"] = list(events)
        return await self._post("/webhooks/", Webhook, fields)

    async def update(
        self,
        uid: str,
        *,
        target_url: str | None = None,
        events: Sequence[str] | None = None,
        is_active: bool | None = None,
    ) -> Webhook:
        """Change a webhook: only the fields given are sent (PATCH). The secret cannot be
        changed; create a new webhook to rotate it.

        Args:
            uid: The webhook.
            target_url: New HTTPS URL.
            events: New events (replaces the list).
            is_active: Pause (False) or resume (True) deliveries.

        Raises:
            TypeError: ``events`` is a str (before any request).
        """
        fields = given(locals(), "uid")
        _check_events(events)
        if events is not None:
            fields["events"] = list(events)
        return await self._patch(path("/webhooks/{uid}/", uid=uid), Webhook, fields)

    async def delete(self, uid: str) -> None:
        """Delete a webhook subscription.

        Raises:
            NotFoundError: no such webhook.
        """
        await self._void("DELETE", path("/webhooks/{uid}/", uid=uid))

    async def test(self, uid: str) -> WebhookTestResult:
        """Send a signed ``webhook.test`` event to the webhook's URL (no body is sent to the
        API). Each test is recorded as a delivery (see ``client.webhook_deliveries``).

        Returns:
            The server's report as a dict: ``{"success", "delivered", "status_code",
            "delivery_uid"}`` (``status_code`` only when the receiver answered).
        """
        return await self._post(path("/webhooks/{uid}/test/", uid=uid), WebhookTestResult)
