"""Async resource classes, one module per API family.

``import avala`` does not import these: each is loaded when its client attribute is first
used. Importing this package loads them all.
"""

from .agents import AsyncAgents
from .annotation_issues import AsyncAnnotationIssues
from .annotations import AsyncAnnotations
from .auto_label_jobs import AsyncAutoLabelJobs
from .consensus import AsyncConsensus
from .datasets import AsyncDatasets
from .exports import AsyncExports
from .fleet import (
    AsyncAlertChannels,
    AsyncAlerts,
    AsyncDevices,
    AsyncFleet,
    AsyncFleetEvents,
    AsyncFleetUploads,
    AsyncRecordings,
    AsyncRules,
)
from .inference_providers import AsyncInferenceProviders
from .organizations import AsyncOrganizations
from .projects import AsyncProjects
from .quality_targets import AsyncQualityTargets
from .slices import AsyncSlices
from .storage_configs import AsyncStorageConfigs
from .tasks import AsyncTasks
from .webhook_deliveries import AsyncWebhookDeliveries
from .webhooks import AsyncWebhooks

__all__ = [
    "AsyncAgents",
    "AsyncAlertChannels",
    "AsyncAlerts",
    "AsyncAnnotationIssues",
    "AsyncAnnotations",
    "AsyncAutoLabelJobs",
    "AsyncConsensus",
    "AsyncDatasets",
    "AsyncDevices",
    "AsyncExports",
    "AsyncFleet",
    "AsyncFleetEvents",
    "AsyncFleetUploads",
    "AsyncInferenceProviders",
    "AsyncOrganizations",
    "AsyncProjects",
    "AsyncQualityTargets",
    "AsyncRecordings",
    "AsyncRules",
    "AsyncSlices",
    "AsyncStorageConfigs",
    "AsyncTasks",
    "AsyncWebhookDeliveries",
    "AsyncWebhooks",
]
