"""Response models: plain attrs classes, built from JSON by :mod:`avala._serde`.

Nothing is imported until a name is used (PEP 562), so ``import avala.models`` stays cheap;
type checkers see every name through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents import (
        Agent as Agent,
        AgentExecution as AgentExecution,
        AgentTestResult as AgentTestResult,
        DeliveryTestResult as DeliveryTestResult,
    )
    from .annotation_issues import (
        AnnotationIssue as AnnotationIssue,
        AnnotationIssueMetrics as AnnotationIssueMetrics,
        AnnotationIssueProblem as AnnotationIssueProblem,
        AnnotationIssueProject as AnnotationIssueProject,
        AnnotationIssueReporter as AnnotationIssueReporter,
        AnnotationIssueTool as AnnotationIssueTool,
        AnnotationIssueToolDetail as AnnotationIssueToolDetail,
        AnnotationIssueToolProblem as AnnotationIssueToolProblem,
    )
    from .annotations import (
        BulkEdit as BulkEdit,
        BulkEditResult as BulkEditResult,
    )
    from .auto_label_jobs import (
        AutoLabelJob as AutoLabelJob,
    )
    from .consensus import (
        ConsensusComputeResult as ConsensusComputeResult,
        ConsensusConfig as ConsensusConfig,
        ConsensusScore as ConsensusScore,
        ConsensusSummary as ConsensusSummary,
    )
    from .datasets import (
        AllowedMimes as AllowedMimes,
        CameraCalibration as CameraCalibration,
        CameraIntrinsics as CameraIntrinsics,
        Dataset as Dataset,
        DatasetCalibration as DatasetCalibration,
        DatasetFrame as DatasetFrame,
        DatasetHealth as DatasetHealth,
        DatasetItem as DatasetItem,
        DatasetSequence as DatasetSequence,
        FrameImage as FrameImage,
        ManualUploadTarget as ManualUploadTarget,
        Quat as Quat,
        SequenceHealth as SequenceHealth,
        UploadQuota as UploadQuota,
        Vec3 as Vec3,
    )
    from .exports import (
        Export as Export,
        ExportDownload as ExportDownload,
    )
    from .fleet import (
        Alert as Alert,
        AlertChannel as AlertChannel,
        AlertChannelTestResult as AlertChannelTestResult,
        BatchEventParams as BatchEventParams,
        Device as Device,
        FleetEvent as FleetEvent,
        Recording as Recording,
        Rule as Rule,
    )
    from .inference_providers import (
        InferenceProvider as InferenceProvider,
        InferenceProviderTestResult as InferenceProviderTestResult,
    )
    from .organizations import (
        IndustryChoice as IndustryChoice,
        IndustryChoices as IndustryChoices,
        Invitation as Invitation,
        Organization as Organization,
        OrganizationMember as OrganizationMember,
        Team as Team,
        TeamMember as TeamMember,
    )
    from .projects import (
        Project as Project,
    )
    from .quality_targets import (
        QualityTarget as QualityTarget,
        QualityTargetEvaluation as QualityTargetEvaluation,
    )
    from .signup import (
        SignupResponse as SignupResponse,
        SignupUser as SignupUser,
    )
    from .slices import (
        Slice as Slice,
        SliceItem as SliceItem,
        SubSlice as SubSlice,
    )
    from .storage_configs import (
        StorageConfig as StorageConfig,
        StorageConfigSetupInfo as StorageConfigSetupInfo,
        StorageConfigTestResult as StorageConfigTestResult,
    )
    from .tasks import (
        Task as Task,
    )
    from .uploads import (
        ManagedFinalization as ManagedFinalization,
        ManagedFleetUploadStatus as ManagedFleetUploadStatus,
        ManagedGeneration as ManagedGeneration,
        ManagedOriginal as ManagedOriginal,
        SourceFile as SourceFile,
        SourceInventory as SourceInventory,
        UploadConfirmResponse as UploadConfirmResponse,
        UploadFinalizeResponse as UploadFinalizeResponse,
        UploadProgress as UploadProgress,
        UploadSession as UploadSession,
        UploadStatusResponse as UploadStatusResponse,
        UploadUrlEntry as UploadUrlEntry,
        UploadUrlsResponse as UploadUrlsResponse,
    )
    from .webhooks import (
        Webhook as Webhook,
        WebhookDelivery as WebhookDelivery,
        WebhookTestResult as WebhookTestResult,
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
    "CameraIntrinsics": "datasets",
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
    "DeliveryTestResult": "agents",
    "Device": "fleet",
    "Export": "exports",
    "ExportDownload": "exports",
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
    "ManagedFinalization": "uploads",
    "ManagedFleetUploadStatus": "uploads",
    "ManagedGeneration": "uploads",
    "ManagedOriginal": "uploads",
    "SourceFile": "uploads",
    "SourceInventory": "uploads",
    "UploadConfirmResponse": "uploads",
    "UploadFinalizeResponse": "uploads",
    "UploadProgress": "uploads",
    "UploadSession": "uploads",
    "UploadStatusResponse": "uploads",
    "UploadUrlEntry": "uploads",
    "UploadUrlsResponse": "uploads",
    "Webhook": "webhooks",
    "WebhookDelivery": "webhooks",
    "WebhookTestResult": "webhooks",
}
"""Public name -> the submodule that defines it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use, then cache the value."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'avala.models' has no attribute {name!r}")
    value = getattr(_import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, listed before any submodule is imported."""
    return sorted({*globals(), *__all__})
