"""Response models: plain attrs classes, built from JSON by :mod:`avala._serde`.

Nothing is imported until a name is used (PEP 562), so ``import avala.models`` stays cheap;
type checkers see every name through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents import (
        Agent,
        AgentExecution,
        AgentTestResult,
    )
    from .annotation_issues import (
        AnnotationIssue,
        AnnotationIssueMetrics,
        AnnotationIssueProblem,
        AnnotationIssueProject,
        AnnotationIssueReporter,
        AnnotationIssueTool,
        AnnotationIssueToolDetail,
        AnnotationIssueToolProblem,
    )
    from .annotations import (
        BulkEdit,
        BulkEditResult,
    )
    from .auto_label_jobs import (
        AutoLabelJob,
    )
    from .consensus import (
        ConsensusComputeResult,
        ConsensusConfig,
        ConsensusScore,
        ConsensusSummary,
    )
    from .datasets import (
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
    from .exports import (
        Export,
    )
    from .fleet import (
        Alert,
        AlertChannel,
        AlertChannelTestResult,
        BatchEventParams,
        Device,
        FleetEvent,
        Recording,
        Rule,
    )
    from .inference_providers import (
        InferenceProvider,
        InferenceProviderTestResult,
    )
    from .organizations import (
        IndustryChoice,
        IndustryChoices,
        Invitation,
        Organization,
        OrganizationMember,
        Team,
        TeamMember,
    )
    from .projects import (
        Project,
    )
    from .quality_targets import (
        QualityTarget,
        QualityTargetEvaluation,
    )
    from .signup import (
        SignupResponse,
        SignupUser,
    )
    from .slices import (
        Slice,
        SliceItem,
        SubSlice,
    )
    from .storage_configs import (
        StorageConfig,
        StorageConfigSetupInfo,
        StorageConfigTestResult,
    )
    from .tasks import (
        Task,
    )
    from .webhooks import (
        Webhook,
        WebhookDelivery,
        WebhookTestResult,
    )

_EXPORTS: dict[str, str] = {
    "Agent": "agents",
    "AgentExecution": "agents",
    "AgentTestResult": "agents",
    "Alert": "fleet",
    "AlertChannel": "fleet",
    "AlertChannelTestResult": "fleet",
    "AllowedMimes": "datasets",
    "AnnotationIssue": "annotation_issues",
    "AnnotationIssueMetrics": "annotation_issues",
    "AnnotationIssueProblem": "annotation_issues",
    "AnnotationIssueProject": "annotation_issues",
    "AnnotationIssueReporter": "annotation_issues",
    "AnnotationIssueTool": "annotation_issues",
    "AnnotationIssueToolDetail": "annotation_issues",
    "AnnotationIssueToolProblem": "annotation_issues",
    "AutoLabelJob": "auto_label_jobs",
    "BatchEventParams": "fleet",
    "BulkEdit": "annotations",
    "BulkEditResult": "annotations",
    "CameraCalibration": "datasets",
    "ConsensusComputeResult": "consensus",
    "ConsensusConfig": "consensus",
    "ConsensusScore": "consensus",
    "ConsensusSummary": "consensus",
    "Dataset": "datasets",
    "DatasetCalibration": "datasets",
    "DatasetFrame": "datasets",
    "DatasetHealth": "datasets",
    "DatasetItem": "datasets",
    "DatasetSequence": "datasets",
    "Device": "fleet",
    "Export": "exports",
    "FleetEvent": "fleet",
    "FrameImage": "datasets",
    "IndustryChoice": "organizations",
    "IndustryChoices": "organizations",
    "InferenceProvider": "inference_providers",
    "InferenceProviderTestResult": "inference_providers",
    "Invitation": "organizations",
    "ManualUploadTarget": "datasets",
    "Organization": "organizations",
    "OrganizationMember": "organizations",
    "Project": "projects",
    "QualityTarget": "quality_targets",
    "QualityTargetEvaluation": "quality_targets",
    "Quat": "datasets",
    "Recording": "fleet",
    "Rule": "fleet",
    "SequenceHealth": "datasets",
    "SignupResponse": "signup",
    "SignupUser": "signup",
    "Slice": "slices",
    "SliceItem": "slices",
    "StorageConfig": "storage_configs",
    "StorageConfigSetupInfo": "storage_configs",
    "StorageConfigTestResult": "storage_configs",
    "SubSlice": "slices",
    "Task": "tasks",
    "Team": "organizations",
    "TeamMember": "organizations",
    "UploadQuota": "datasets",
    "Vec3": "datasets",
    "Webhook": "webhooks",
    "WebhookDelivery": "webhooks",
    "WebhookTestResult": "webhooks",
}
"""Public name -> the submodule that defines it."""

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


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use, then cache the value."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'avala.models' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, listed before any submodule is imported."""
    return sorted({*globals(), *__all__})
