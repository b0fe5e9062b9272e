"""Fixtures for ``avala.load`` against the bundled server: the resolver's knobs (reset after
each test), publishing revisions, both surfaces, and waits recorded instead of slept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import avala
from avala._load import _client
from avala.testing import ServerHandle
from avala.testing._api.resolver import (
    PublishedRevision,
    ResolverSettings,
    publish_revision,
    resolver_settings,
)

Publish = Callable[..., PublishedRevision]


@pytest.fixture
def resolver(local_env: ServerHandle) -> Iterator[ResolverSettings]:
    settings = resolver_settings(local_env.state.store)
    settings.reset()
    yield settings
    settings.reset()


@pytest.fixture
def publish(local_env: ServerHandle, resolver: ResolverSettings) -> Publish:
    """Publish a revision of a fresh dataset (so tests never share objects)."""

    def make(objects: list[Any], **options: Any) -> PublishedRevision:
        name = f"set-{uuid.uuid4().hex[:10]}"
        state = local_env.state
        return publish_revision(state.store, state.storage, "load-tests", name, objects, **options)

    return make


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoffs the resolver client asks for, recorded and skipped."""
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(_client, "_pause", record)
    return seen


@pytest.fixture(params=["async", "sync"])
def surface(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def load_all(surface: str, reference: str, **options: Any) -> tuple[dict[str, Any], list[Any]]:
    """Load ``reference`` on one surface: (its properties, [(role, ordinal, path, bytes)])."""
    names = (
        "canonical_reference",
        "requested_reference",
        "display_reference",
        "dataset_uid",
        "revision_uid",
        "revision_sha256",
        "manifest_sha256",
        "object_count",
        "total_size_bytes",
        "rights",
    )
    if surface == "sync":
        with avala.load(reference, **options) as ds:
            props = {n: getattr(ds, n) for n in names}
            got = [(o.role, o.ordinal, o.logical_path, o.read()) for o in ds.objects]
        return props, got

    async def main() -> tuple[dict[str, Any], list[Any]]:
        async with await avala.async_load(reference, **options) as ads:
            props = {n: getattr(ads, n) for n in names}
            got = [(o.role, o.ordinal, o.logical_path, await o.read()) async for o in ads.objects]
        return props, got

    return asyncio.run(main())
