"""What the bundled server serves and what the models declare are the same thing: every
collection's objects structure into their model with the strict converter (no unknown
field, every required field present, every type right)."""

from __future__ import annotations

from typing import Any, get_origin

import aiohttp
import pytest

from avala._serde import make_converter, structure
from avala.models import (
    Agent,
    AgentExecution,
    Alert,
    AlertChannel,
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueToolDetail,
    AutoLabelJob,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
    Dataset,
    DatasetHealth,
    DatasetItem,
    DatasetSequence,
    Device,
    Export,
    FleetEvent,
    InferenceProvider,
    Invitation,
    Organization,
    OrganizationMember,
    Project,
    QualityTarget,
    Recording,
    Rule,
    Slice,
    SliceItem,
    StorageConfig,
    StorageConfigSetupInfo,
    Task,
    Team,
    TeamMember,
    Webhook,
    WebhookDelivery,
)
from avala.testing import ServerHandle

STRICT = make_converter(strict=True)

#: (path under /api/v1, model); "{x}" parts are filled from the seed data.
COLLECTIONS: list[tuple[str, Any]] = [
    ("/datasets/", Dataset),
    ("/datasets/demo/highway-lidar/items/", DatasetItem),
    ("/datasets/demo/highway-lidar/sequences/", DatasetSequence),
    ("/datasets/demo/highway-lidar/sequences/{sequence}/", DatasetSequence),
    ("/datasets/demo/highway-lidar/health/", DatasetHealth),
    ("/users/me/projects/", Project),
    ("/tasks/", Task),
    ("/exports/", Export),
    ("/storage-configs/", StorageConfig),
    ("/storage-configs/setup-info/", StorageConfigSetupInfo),
    ("/agents/", Agent),
    ("/agents/{agent}/executions/", AgentExecution),
    ("/inference-providers/", InferenceProvider),
    ("/auto-label-jobs/", AutoLabelJob),
    ("/projects/{project}/quality-targets/", QualityTarget),
    ("/projects/{project}/consensus/", ConsensusSummary),
    ("/projects/{project}/consensus/scores/", ConsensusScore),
    ("/projects/{project}/consensus/config/", ConsensusConfig),
    ("/webhooks/", Webhook),
    ("/webhook-deliveries/", WebhookDelivery),
    ("/organizations/", Organization),
    ("/organizations/{org}/members/", OrganizationMember),
    ("/organizations/{org}/invitations/", Invitation),
    ("/organizations/{org}/teams/", Team),
    ("/slices/demo/list/", Slice),
    ("/slices/demo/{slice}/items/list/", SliceItem),
    ("/sequences/{sequence}/annotation-issues/", list[AnnotationIssue]),
    ("/datasets/demo/highway-lidar/annotation-issues/metrics/", AnnotationIssueMetrics),
    ("/qc-available-tools/?dataset_type=lidar", list[AnnotationIssueToolDetail]),
    ("/fleet/devices/", Device),
    ("/fleet/recordings/", Recording),
    ("/fleet/events/", FleetEvent),
    ("/fleet/rules/", Rule),
    ("/fleet/alerts/", Alert),
    ("/fleet/alert-channels/", AlertChannel),
]


async def _get(session: aiohttp.ClientSession, server: ServerHandle, path: str) -> Any:
    async with session.get(server.url(path)) as response:
        assert response.status == 200, (path, await response.text())
        return await response.json()


@pytest.fixture
async def ids(server: ServerHandle) -> dict[str, str]:
    """Ids of seeded objects, to fill the nested paths."""
    async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": server.api_key}) as s:
        first = {
            name: (await _get(s, server, path))["results"][0]
            for name, path in [
                ("sequence", "/datasets/demo/highway-lidar/sequences/"),
                ("agent", "/agents/"),
                ("project", "/users/me/projects/"),
                ("org", "/organizations/"),
                ("slice", "/slices/demo/list/"),
            ]
        }
    return {
        "sequence": first["sequence"]["uid"],
        "agent": first["agent"]["uid"],
        "project": first["project"]["uid"],
        "org": first["org"]["slug"],
        "slice": first["slice"]["slug"],
    }


@pytest.mark.parametrize(("path", "model"), COLLECTIONS, ids=[p for p, _ in COLLECTIONS])
async def test_served_objects_match_their_model_exactly(
    path: str, model: Any, server: ServerHandle, ids: dict[str, str]
) -> None:
    async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": server.api_key}) as s:
        data = await _get(s, server, path.format(**ids))
    objects = data["results"] if isinstance(data, dict) and "results" in data else data
    # A ``list[Model]`` entry is checked whole (``get_origin``: on 3.10 ``list[X]`` passes
    # ``isinstance(..., type)``).
    if isinstance(objects, list) and get_origin(model) is list:
        assert objects, path
        structure(objects, model, STRICT)
    elif isinstance(objects, list):
        assert objects, f"{path} serves nothing to check"
        for item in objects:
            structure(item, model, STRICT)
    else:
        structure(objects, model, STRICT)


async def test_every_team_member_matches_its_model(
    server: ServerHandle, ids: dict[str, str]
) -> None:
    async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": server.api_key}) as s:
        teams = (await _get(s, server, f"/organizations/{ids['org']}/teams/"))["results"]
        for team in teams:
            path = f"/organizations/{ids['org']}/teams/{team['slug']}/members/"
            for member in (await _get(s, server, path))["results"]:
                structure(member, TeamMember, STRICT)
