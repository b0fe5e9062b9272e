"""Every resource, typed on both surfaces (checked by ``mypy --strict``, never run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from typing_extensions import assert_type

from avala import AsyncClient, AsyncPaginator, Client, SyncPaginator, async_signup, signup
from avala.models import (
    Agent,
    AgentTestResult,
    Alert,
    AlertChannel,
    AnnotationIssue,
    AnnotationIssueToolDetail,
    AutoLabelJob,
    BulkEditResult,
    ConsensusConfig,
    ConsensusSummary,
    DatasetCalibration,
    DatasetFrame,
    DatasetHealth,
    Device,
    FleetEvent,
    IndustryChoices,
    InferenceProvider,
    Organization,
    OrganizationMember,
    QualityTarget,
    QualityTargetEvaluation,
    Recording,
    Rule,
    SignupResponse,
    Slice,
    SliceItem,
    StorageConfig,
    StorageConfigSetupInfo,
    Team,
    UploadQuota,
    Webhook,
    WebhookDelivery,
    WebhookTestResult,
)


def sync_usage(client: Client) -> None:
    assert_type(client.datasets.get_frame("o", "s", "sq", 0), DatasetFrame)
    assert_type(client.datasets.get_calibration("o", "s", "sq"), DatasetCalibration)
    assert_type(client.datasets.get_health("o", "s"), DatasetHealth)
    assert_type(client.datasets.manual_upload_quota(), UploadQuota)
    assert_type(client.storage_configs.list(), SyncPaginator[StorageConfig])
    assert_type(client.storage_configs.setup_info(), StorageConfigSetupInfo)
    assert_type(client.agents.test("ag"), AgentTestResult)
    assert_type(
        client.inference_providers.create(name="n", provider_type="http", config={}),
        InferenceProvider,
    )
    assert_type(client.auto_label_jobs.create("p"), AutoLabelJob)
    assert_type(client.auto_label_jobs.cancel("j"), None)
    assert_type(client.quality_targets.evaluate("p"), list[QualityTargetEvaluation])
    assert_type(
        client.quality_targets.create("p", name="n", metric="m", threshold=0.5), QualityTarget
    )
    assert_type(client.consensus.update_config("p", iou_threshold=0.6), ConsensusConfig)
    assert_type(client.webhooks.create(target_url="https://x", events=["e"]), Webhook)
    assert_type(client.webhooks.test("w"), WebhookTestResult)
    assert_type(client.webhook_deliveries.get("d"), WebhookDelivery)
    assert_type(client.organizations.industry_choices(), IndustryChoices)
    assert_type(client.organizations.list_members("acme"), SyncPaginator[OrganizationMember])
    assert_type(client.organizations.slug_for_uid("uid"), str | None)
    assert_type(client.organizations.create_team("acme", name="t"), Team)
    assert_type(client.organizations.leave("acme"), None)
    assert_type(client.slices.get("o", "s"), Slice)
    assert_type(client.slices.list_items("o", "s"), SyncPaginator[SliceItem])
    assert_type(client.annotation_issues.list_by_sequence("sq"), list[AnnotationIssue])
    assert_type(
        client.annotation_issues.list_tools(dataset_type="lidar"), list[AnnotationIssueToolDetail]
    )
    edits = client.annotations.bulk_edit("o", "s", [{"action": "delete"}])
    assert_type(edits, Iterator[tuple[int, BulkEditResult]])
    assert_type(client.fleet.devices.register(name="d", type="ugv"), Device)
    assert_type(client.fleet.recordings.list(device_id="d"), SyncPaginator[Recording])
    assert_type(client.fleet.events.get("e"), FleetEvent)
    assert_type(client.fleet.events.create_batch(events=[]), int)
    assert_type(client.fleet.rules.list(enabled=True), SyncPaginator[Rule])
    assert_type(client.fleet.alerts.acknowledge("a"), Alert)
    assert_type(client.fleet.alert_channels.create(name="c", type="slack", config={}), AlertChannel)
    assert_type(signup(email="a@b.co", password="p"), SignupResponse)


async def async_usage(client: AsyncClient) -> None:
    assert_type(await client.datasets.get_health("o", "s"), DatasetHealth)
    assert_type(client.agents.list(), AsyncPaginator[Agent])
    assert_type(await client.consensus.get_summary("p"), ConsensusSummary)
    assert_type(await client.organizations.get("acme"), Organization)
    assert_type(await client.organizations.slug_for_uid("uid"), str | None)
    assert_type(await client.annotation_issues.list_by_dataset("o", "s"), list[AnnotationIssue])
    edits = client.annotations.bulk_edit("o", "s", [{"action": "delete"}], chunk_size=100)
    assert_type(edits, AsyncIterator[tuple[int, BulkEditResult]])
    async for index, result in edits:
        assert_type(index, int)
        assert_type(result, BulkEditResult)
    assert_type(await client.fleet.alerts.resolve("a", resolution_note="fixed"), Alert)
    assert_type(await client.fleet.events.create_batch(events=[]), int)
    assert_type(await async_signup(email="a@b.co", password="p"), SignupResponse)
