"""Models imported from the official SDK's module paths, used as type hints and checked with
isinstance."""

from __future__ import annotations

from avala import Client
from avala.types import Task, Webhook
from avala.types.account import SignupResponse
from avala.types.dataset import Dataset, DatasetHealth, DatasetItem, DatasetSequence
from avala.types.export import Export
from avala.types.fleet import Device, Recording
from avala.types.fleet_managed_upload import ManagedFleetUploadStatus
from avala.types.fleet_upload import UploadProgress, UploadSession
from avala.types.manual_upload import AllowedMimes, UploadQuota
from avala.types.organization import Organization
from avala.types.project import Project
from avala.types.storage_config import StorageConfig


def describe(dataset: Dataset) -> str:
    return f"{dataset.slug} ({dataset.data_type}, {dataset.item_count} items)"


with Client() as client:
    datasets: list[Dataset] = list(client.datasets.list().items)
    print([describe(d) for d in datasets])
    item = client.datasets.list_items("demo", "highway-lidar", limit=1).items[0]
    sequence = client.datasets.list_sequences("demo", "highway-lidar").items[0]
    health = client.datasets.get_health("demo", "highway-lidar")
    quota = client.datasets.manual_upload_quota()
    mimes = client.datasets.manual_upload_allowed_mimes()
    checks = {
        "DatasetItem": isinstance(item, DatasetItem),
        "DatasetSequence": isinstance(sequence, DatasetSequence),
        "DatasetHealth": isinstance(health, DatasetHealth),
        "UploadQuota": isinstance(quota, UploadQuota) and quota.remaining >= 0,
        "AllowedMimes": isinstance(mimes, AllowedMimes),
        "Project": isinstance(client.projects.list().items[0], Project),
        "Task": isinstance(client.tasks.list().items[0], Task),
        "Export": isinstance(client.exports.list().items[0], Export),
        "StorageConfig": isinstance(client.storage_configs.list().items[0], StorageConfig),
        "Webhook": isinstance(client.webhooks.list().items[0], Webhook),
        "Device": isinstance(client.fleet.devices.list().items[0], Device),
        "Recording": isinstance(client.fleet.recordings.list().items[0], Recording),
        "Organization": isinstance(client.organizations.list().items[0], Organization),
    }
    print("isinstance", sorted(name for name, ok in checks.items() if not ok) or "all ok")
    names = [SignupResponse, ManagedFleetUploadStatus, UploadProgress, UploadSession]
    print("classes", [cls.__name__ for cls in names])
