"""``avala datasets resolve``: anonymous, typed JSON, nothing listed or downloaded."""

from __future__ import annotations

import json

from avala.testing import ServerHandle
from avala.testing._api.resolver import resolver_settings

from .conftest import Run


def test_datasets_resolve_prints_the_revision_anonymously(
    local_env: ServerHandle, avala: Run
) -> None:
    seeded = next(
        r
        for r in resolver_settings(local_env.state.store).revisions
        if r.dataset == "tiny-episodes"
    )
    before = len(local_env.state.requests)
    result = avala("-o", "json", "datasets", "resolve", "avala-demo/tiny-episodes")
    doc = json.loads(result.stdout)
    assert doc["canonical_reference"] == seeded.canonical_reference
    assert doc["revision_sha256"] == seeded.revision_sha256
    assert doc["manifest"]["object_count"] == 8  # typed: a number, not a display string
    assert doc["rights"]["access"] == "open_download"
    assert "alias 'main'" in result.stderr  # the mutable-alias note goes to stderr
    seen = local_env.state.requests[before:]
    assert [r.path for r in seen] == ["/api/v1/resolve/avala-demo/tiny-episodes@main/"]
    assert seen[0].header("X-Avala-Api-Key") is None  # a key is configured, none is sent
    pinned = avala("datasets", "resolve", seeded.canonical_reference)
    assert "Canonical reference" in pinned.stdout and seeded.dataset_uid in pinned.stdout
    assert not pinned.stderr  # pinned: no alias note
    bad = avala("datasets", "resolve", "not-a-reference", code=2)
    assert "exactly one '/'" in bad.stderr
