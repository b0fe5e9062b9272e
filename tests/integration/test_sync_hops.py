"""The sync facade spends exactly one thread hop per HTTP request, and a walk abandoned
early cancels its read-ahead without warnings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from avala import Client
from avala._portal import Portal
from avala.testing import ServerHandle


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every hop from a calling thread to a client's loop thread."""
    seen: list[str] = []
    real_call = Portal.call

    def counting_call(self: Portal, func: Callable[[], Any]) -> Any:
        seen.append(getattr(func, "__qualname__", repr(func)))
        return real_call(self, func)

    monkeypatch.setattr(Portal, "call", counting_call)
    yield seen


def api_requests(server: ServerHandle) -> list[str]:
    return [r.path for r in server.state.requests if r.path.startswith("/api/v1/")]


def test_one_hop_per_request(local_env: ServerHandle, hops: list[str]) -> None:
    with Client() as client:
        dataset = next(iter(client.datasets.list(name="highway")))
        owner, slug = dataset.owner_name or "", dataset.slug
        hops.clear()
        local_env.state.clear_requests()

        client.datasets.get(dataset.uid)
        assert len(hops) == len(api_requests(local_env)) == 1

        items = list(client.datasets.list_items(owner, slug, limit=5))
        assert len(items) == dataset.item_count
        pages = -(-dataset.item_count // 5)
        assert len(api_requests(local_env)) == 1 + pages
        assert len(hops) == 1 + pages  # one per page, none per item


def test_abandoned_sync_walk_cancels_read_ahead(local_env: ServerHandle) -> None:
    with Client() as client:
        dataset = next(iter(client.datasets.list(name="highway")))
        local_env.state.clear_requests()
        items = client.datasets.list_items(dataset.owner_name or "", dataset.slug, limit=5)
        for walked, _ in enumerate(items, start=1):
            if walked == 7:  # in the second page
                break
        # page 1, page 2, and at most page 3 read ahead; never more
        assert 2 <= len(api_requests(local_env)) <= 3
        assert client.projects.list().items  # still usable
