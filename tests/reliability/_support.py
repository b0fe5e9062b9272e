"""Helpers shared by the reliability tests."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avala import AsyncClient, AsyncPaginator, Client, SyncPaginator
from avala.testing import RecordedRequest, ServerHandle

#: No single client call in these tests may take longer; a hang fails instead of stalling.
CALL_GUARD = 30.0


class Surface:
    """One test body for both clients.

    ``await api(lambda c: c.tasks.list())`` returns the first page on either surface, and
    ``await api(lambda c: c.tasks.get(uid))`` the model. Sync calls run in a worker thread,
    so the test's own event loop stays free and every call is bounded by ``CALL_GUARD``.
    """

    def __init__(self, client: AsyncClient | Client) -> None:
        self.client: Any = client
        self.is_async = isinstance(client, AsyncClient)

    async def __call__(self, fn: Callable[[Any], Any]) -> Any:
        if self.is_async:
            return await asyncio.wait_for(self._run_async(fn), CALL_GUARD)
        return await asyncio.wait_for(asyncio.to_thread(self._run_sync, fn), CALL_GUARD)

    async def _run_async(self, fn: Callable[[Any], Any]) -> Any:
        value = fn(self.client)
        if isinstance(value, AsyncPaginator):
            return await value.first_page()
        if inspect.isawaitable(value):
            return await value
        return value

    def _run_sync(self, fn: Callable[[Any], Any]) -> Any:
        value = fn(self.client)
        if isinstance(value, SyncPaginator):
            return value.first_page()
        return value

    async def close(self) -> None:
        if self.is_async:
            await self.client.close()
        else:
            await asyncio.to_thread(self.client.close)


class Since:
    """The requests a server received from the moment this object was made."""

    def __init__(self, server: ServerHandle) -> None:
        self._state = server.state
        self._start = time.monotonic()

    def __call__(self, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self._state.requests
            if r.time >= self._start and (method is None or r.method == method)
        ]


TCP_TABLE = Path("/proc/net/tcp")
# States in which a process still holds the socket: connecting, established, or the peer
# closed and we have not (CLOSE_WAIT). After close() the kernel may keep FIN_WAIT/LAST_ACK/
# TIME_WAIT entries for a moment; those belong to no process.
HELD = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "08": "CLOSE_WAIT"}


def sockets_on(port: int) -> list[tuple[int, int, str]]:
    """(local port, remote port, state) of every IPv4 TCP socket with ``port`` at one end."""
    found = []
    for line in TCP_TABLE.read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = (
            int(fields[1].rsplit(":", 1)[1], 16),
            int(fields[2].rsplit(":", 1)[1], 16),
            fields[3],
        )
        if port in (local, remote):
            found.append((local, remote, state))
    return found


def open_sockets(port: int) -> list[tuple[int, int, str]]:
    """Connections to or from ``port`` that some socket still holds open."""
    return [(local, remote, HELD[st]) for local, remote, st in sockets_on(port) if st in HELD]
