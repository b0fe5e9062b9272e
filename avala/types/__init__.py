"""Every model and typed dict, under the official SDK's import paths.

Code written for the official SDK imports its models from ``avala.types``: both
``from avala.types import Dataset`` and ``from avala.types.dataset import Dataset`` work here,
and give the classes of :mod:`avala.models` (``avala.types.Dataset is avala.models.Dataset``).

The submodules are the official SDK 0.10's: ``account``, ``agent``, ``annotation_issue``,
``auto_label_job``, ``consensus``, ``dataset``, ``export``, ``fleet``,
``fleet_managed_upload``, ``fleet_upload``, ``inference_provider``, ``manual_upload``,
``organization``, ``project``, ``quality_target``, ``slice``, ``storage_config``, ``task``
and ``webhook``; each holds the official SDK's names for that module (and the typed dicts
this SDK adds for the same family). ``BulkEdit`` and ``BulkEditResult``, which the official
SDK has no module for, are here at the top level only.

Nothing is loaded until a name is used (PEP 562): a model loads the one
``avala.models`` submodule that defines it, and ``avala.types.dataset`` loads only
:mod:`avala.models.datasets`.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

from .. import models as _models
from ..models import __all__ as __all__

if TYPE_CHECKING:
    from ..models import (
        Agent as Agent,
        AgentExecution as AgentExecution,
        AgentTestResult as AgentTestResult,
        Alert as Alert,
        AlertChannel as AlertChannel,
        AlertChannelTestResult as AlertChannelTestResult,
        AllowedMimes as AllowedMimes,
        AnnotationIssue as AnnotationIssue,
        AnnotationIssueMetrics as AnnotationIssueMetrics,
        AnnotationIssueProblem as AnnotationIssueProblem,
        AnnotationIssueProject as AnnotationIssueProject,
        AnnotationIssueReporter as AnnotationIssueReporter,
        AnnotationIssueTool as AnnotationIssueTool,
        AnnotationIssueToolDetail as AnnotationIssueToolDetail,
        AnnotationIssueToolProblem as AnnotationIssueToolProblem,
        AutoLabelJob as AutoLabelJob,
        BatchEventParams as BatchEventParams,
        BulkEdit as BulkEdit,
        BulkEditResult as BulkEditResult,
        CameraCalibration as CameraCalibration,
        CameraIntrinsics as CameraIntrinsics,
        ConsensusComputeResult as ConsensusComputeResult,
        ConsensusConfig as ConsensusConfig,
        ConsensusScore as ConsensusScore,
        ConsensusSummary as ConsensusSummary,
        Dataset as Dataset,
        DatasetCalibration as DatasetCalibration,
        DatasetFrame as DatasetFrame,
        DatasetHealth as DatasetHealth,
        DatasetItem as DatasetItem,
        DatasetSequence as DatasetSequence,
        DeliveryTestResult as DeliveryTestResult,
        Device as Device,
        Export as Export,
        ExportDownload as ExportDownload,
        FleetEvent as FleetEvent,
        FrameImage as FrameImage,
        IndustryChoice as IndustryChoice,
        IndustryChoices as IndustryChoices,
        InferenceProvider as InferenceProvider,
        InferenceProviderTestResult as InferenceProviderTestResult,
        Invitation as Invitation,
        ManagedFinalization as ManagedFinalization,
        ManagedFleetUploadStatus as ManagedFleetUploadStatus,
        ManagedGeneration as ManagedGeneration,
        ManagedOriginal as ManagedOriginal,
        ManualUploadTarget as ManualUploadTarget,
        Organization as Organization,
        OrganizationMember as OrganizationMember,
        Project as Project,
        QualityTarget as QualityTarget,
        QualityTargetEvaluation as QualityTargetEvaluation,
        Quat as Quat,
        Recording as Recording,
        Rule as Rule,
        SequenceHealth as SequenceHealth,
        SignupResponse as SignupResponse,
        SignupUser as SignupUser,
        Slice as Slice,
        SliceItem as SliceItem,
        SourceFile as SourceFile,
        SourceInventory as SourceInventory,
        StorageConfig as StorageConfig,
        StorageConfigSetupInfo as StorageConfigSetupInfo,
        StorageConfigTestResult as StorageConfigTestResult,
        SubSlice as SubSlice,
        Task as Task,
        Team as Team,
        TeamMember as TeamMember,
        UploadConfirmResponse as UploadConfirmResponse,
        UploadFinalizeResponse as UploadFinalizeResponse,
        UploadProgress as UploadProgress,
        UploadQuota as UploadQuota,
        UploadSession as UploadSession,
        UploadStatusResponse as UploadStatusResponse,
        UploadUrlEntry as UploadUrlEntry,
        UploadUrlsResponse as UploadUrlsResponse,
        Vec3 as Vec3,
        Webhook as Webhook,
        WebhookDelivery as WebhookDelivery,
        WebhookTestResult as WebhookTestResult,
    )
    from . import (
        account as account,
        agent as agent,
        annotation_issue as annotation_issue,
        auto_label_job as auto_label_job,
        consensus as consensus,
        dataset as dataset,
        export as export,
        fleet as fleet,
        fleet_managed_upload as fleet_managed_upload,
        fleet_upload as fleet_upload,
        inference_provider as inference_provider,
        manual_upload as manual_upload,
        organization as organization,
        project as project,
        quality_target as quality_target,
        slice as slice,
        storage_config as storage_config,
        task as task,
        webhook as webhook,
    )

_SUBMODULES = frozenset(
    {
        "account",
        "agent",
        "annotation_issue",
        "auto_label_job",
        "consensus",
        "dataset",
        "export",
        "fleet",
        "fleet_managed_upload",
        "fleet_upload",
        "inference_provider",
        "manual_upload",
        "organization",
        "project",
        "quality_target",
        "slice",
        "storage_config",
        "task",
        "webhook",
    }
)
"""The official SDK's ``avala.types`` submodules, every one of which exists here."""


def __getattr__(name: str) -> Any:
    """Load a model, or one of the official submodules, on first use."""
    if name in _SUBMODULES:
        return _import_module(f".{name}", __name__)  # the import binds it on this package
    if name in __all__:
        value = getattr(_models, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'avala.types' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names and submodules, listed before any of them is loaded."""
    return sorted({*globals(), *__all__, *_SUBMODULES})
