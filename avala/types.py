"""Every model and typed dict, imported at once: ``from avala.types import Dataset``.

For code written against the official SDK, whose models live in ``avala.types``. Importing
this module loads every model module; ``avala.models`` loads them only as they are used.
"""

from __future__ import annotations

from .models.agents import (
    Agent,
    AgentExecution,
    AgentTestResult,
)
from .models.annotation_issues import (
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueProblem,
    AnnotationIssueProject,
    AnnotationIssueReporter,
    AnnotationIssueTool,
    AnnotationIssueToolDetail,
    AnnotationIssueToolProblem,
)
from .models.annotations import (
    BulkEdit,
    BulkEditResult,
)
from .models.auto_label_jobs import (
    AutoLabelJob,
)
from .models.consensus import (
    ConsensusComputeResult,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
)
from .models.datasets import (
    AllowedMimes,
    CameraCalibration,
    Dataset,
    DatasetCalibration,
    DatasetFrame,
    DatasetHealth,
    DatasetItem,
    DatasetSequence,
    FrameImage,
    ManualUploadTarget,
    Quat,
    SequenceHealth,
    UploadQuota,
    Vec3,
)
from .models.exports import (
    Export,
)
from .models.fleet import (
    Alert,
    AlertChannel,
    AlertChannelTestResult,
    BatchEventParams,
    Device,
    FleetEvent,
    Recording,
    Rule,
)
from .models.inference_providers import (
    InferenceProvider,
    InferenceProviderTestResult,
)
from .models.organizations import (
    IndustryChoice,
    IndustryChoices,
    Invitation,
    Organization,
    OrganizationMember,
    Team,
    TeamMember,
)
from .models.projects import (
    Project,
)
from .models.quality_targets import (
    QualityTarget,
    QualityTargetEvaluation,
)
from .models.signup import (
    SignupResponse,
    SignupUser,
)
from .models.slices import (
    Slice,
    SliceItem,
    SubSlice,
)
from .models.storage_configs import (
    StorageConfig,
    StorageConfigSetupInfo,
    StorageConfigTestResult,
)
from .models.tasks import (
    Task,
)
from .models.webhooks import (
    Webhook,
    WebhookDelivery,
    WebhookTestResult,
)

__all__ = [
    "Agent",
    "AgentExecution",
    "AgentTestResult",
    "Alert",
    "AlertChannel",
    "AlertChannelTestResult",
    "AllowedMimes",
    "AnnotationIssue",
    "AnnotationIssueMetrics",
    "AnnotationIssueProblem",
    "AnnotationIssueProject",
    "AnnotationIssueReporter",
    "AnnotationIssueTool",
    "AnnotationIssueToolDetail",
    "AnnotationIssueToolProblem",
    "AutoLabelJob",
    "BatchEventParams",
    "BulkEdit",
    "BulkEditResult",
    "CameraCalibration",
    "ConsensusComputeResult",
    "ConsensusConfig",
    "ConsensusScore",
    "ConsensusSummary",
    "Dataset",
    "DatasetCalibration",
    "DatasetFrame",
    "DatasetHealth",
    "DatasetItem",
    "DatasetSequence",
    "Device",
    "Export",
    "FleetEvent",
    "FrameImage",
    "IndustryChoice",
    "IndustryChoices",
    "InferenceProvider",
    "InferenceProviderTestResult",
    "Invitation",
    "ManualUploadTarget",
    "Organization",
    "OrganizationMember",
    "Project",
    "QualityTarget",
    "QualityTargetEvaluation",
    "Quat",
    "Recording",
    "Rule",
    "SequenceHealth",
    "SignupResponse",
    "SignupUser",
    "Slice",
    "SliceItem",
    "StorageConfig",
    "StorageConfigSetupInfo",
    "StorageConfigTestResult",
    "SubSlice",
    "Task",
    "Team",
    "TeamMember",
    "UploadQuota",
    "Vec3",
    "Webhook",
    "WebhookDelivery",
    "WebhookTestResult",
]
