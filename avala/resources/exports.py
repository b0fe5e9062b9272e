"""``client.exports``: exports of annotations."""

from __future__ import annotations

from collections.abc import Callable

from ..models.exports import TERMINAL_EXPORT_STATUSES, Export
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path, poll


class AsyncExports(AsyncResource):
    """Create exports and wait for them to finish."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Export]:
        """List exports.

        Returns:
            A paginator: iterate it for every export, or call ``first_page()`` for one page.
        """
        return self._list("/exports/", Export, locals())

    async def create(self, *, project: str | None = None, dataset: str | None = None) -> Export:
        """Start an export of a project or a dataset (by uid).

        Returns:
            The new export, usually ``pending``; see :meth:`wait`.
        """
        return await self._post("/exports/", Export, given(locals()))

    async def get(self, uid: str) -> Export:
        """Fetch an export by uid."""
        return await self._get(path("/exports/{uid}/", uid=uid), Export)

    async def wait(
        self,
        uid: str,
        *,
        interval: float = 2.0,
        timeout: float = 300.0,
        on_poll: Callable[[Export], object] | None = None,
        _on_poll: Callable[[], object] | None = None,
    ) -> Export:
        """Poll an export until it finishes (``exported``, ``failed`` or ``completed``).

        A failed export is returned, not raised: check ``export.status``.

        Args:
            uid: The export.
            interval: Seconds between polls (> 0).
            timeout: Seconds to wait in all (>= 0).
            on_poll: Called with the export after each poll that has not finished.
            _on_poll: The official SDK's per-poll callback, called with no arguments as there,
                so its code runs as is.

        Raises:
            TimeoutError: it did not finish in time; the message names the last status.
        """
        path("/exports/{uid}/", uid=uid)  # a bad uid fails here, before any wait
        if on_poll is None and _on_poll is not None:
            official = _on_poll

            def on_poll(_: Export) -> object:
                return official()

        return await poll(
            lambda: self.get(uid),
            lambda e: e.status in TERMINAL_EXPORT_STATUSES,
            lambda e: e.status,
            what=f"Export {uid} did not finish",
            interval=interval,
            timeout=timeout,
            on_poll=on_poll,
        )
