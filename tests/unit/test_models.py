"""Response models of every API family (catalog section 3 and 0.10 section 3.1).

Each model gets a realistic payload with every field; the lenient converter must build it
(ignoring an extra key) and the strict one must accept it as is, which proves the field list
covers what the payload carries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_type_hints

import attrs
import pytest

import avala
import avala.models
import avala.types
from avala import APIResponseValidationError
from avala._serde import converter, make_converter, structure
from avala.models import (
    Agent,
    AgentExecution,
    AgentTestResult,
    Alert,
    AlertChannel,
    AlertChannelTestResult,
    AllowedMimes,
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueProblem,
    AnnotationIssueProject,
    AnnotationIssueReporter,
    AnnotationIssueTool,
    AnnotationIssueToolDetail,
    AnnotationIssueToolProblem,
    AutoLabelJob,
    BatchEventParams,
    BulkEdit,
    BulkEditResult,
    CameraCalibration,
    CameraIntrinsics,
    ConsensusComputeResult,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
    Dataset,
    DatasetCalibration,
    DatasetFrame,
    DatasetHealth,
    DatasetItem,
    DatasetSequence,
    DeliveryTestResult,
    Device,
    Export,
    ExportDownload,
    FleetEvent,
    FrameImage,
    IndustryChoice,
    IndustryChoices,
    InferenceProvider,
    InferenceProviderTestResult,
    Invitation,
    ManagedFinalization,
    ManagedFleetUploadStatus,
    ManagedGeneration,
    ManagedOriginal,
    ManualUploadTarget,
    Organization,
    OrganizationMember,
    Project,
    QualityTarget,
    QualityTargetEvaluation,
    Quat,
    Recording,
    Rule,
    SequenceHealth,
    SignupResponse,
    SignupUser,
    Slice,
    SliceItem,
    SourceFile,
    SourceInventory,
    StorageConfig,
    StorageConfigSetupInfo,
    StorageConfigTestResult,
    SubSlice,
    Task,
    Team,
    TeamMember,
    UploadConfirmResponse,
    UploadFinalizeResponse,
    UploadProgress,
    UploadQuota,
    UploadSession,
    UploadStatusResponse,
    UploadUrlEntry,
    UploadUrlsResponse,
    Vec3,
    Webhook,
    WebhookDelivery,
    WebhookTestResult,
)

STRICT = make_converter(strict=True)

TS = "2024-01-15T10:30:00Z"
TS_UTC = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)
TS_OFFSET = "2024-03-02T08:00:00.250+02:00"
TS_NAIVE = "2024-05-06T07:08:09"

VEC: dict[str, Any] = {"x": 1.5, "y": -2.0, "z": 0.25}
QUAT: dict[str, Any] = {"x": 0.0, "y": 0.0, "z": 0.7071, "w": 0.7071}
IMAGE: dict[str, Any] = {
    "image_url": "https://cdn.avala.ai/f/0/front.jpg",
    "position": VEC,
    "heading": QUAT,
    "width": 1920,
    "height": 1080,
    "fx": 1000.5,
    "fy": 1001.0,
    "cx": 960.0,
    "cy": 540.0,
    "model": "doublesphere",
    "camera_model": "doublesphere",
    "xi": -0.2,
    "alpha": 0.6,
}
CAMERA: dict[str, Any] = {
    "camera_id": "front",
    "position": VEC,
    "heading": QUAT,
    "width": 1920,
    "height": 1080,
    "fx": 1000.5,
    "fy": 1001.0,
    "cx": 960.0,
    "cy": 540.0,
    "model": "pinhole",
    "xi": None,
    "alpha": None,
}
SEQUENCE_HEALTH: dict[str, Any] = {
    "uid": "sq-1",
    "key": "drive-1",
    "status": "ready",
    "frame_count": 120,
    "has_lidar_calibration": True,
    "has_camera_calibration": False,
}
ISSUE_PROJECT: dict[str, Any] = {"uid": "p-1", "name": "Lidar QA"}
REPORTER: dict[str, Any] = {
    "username": "qa-bot",
    "picture": "https://cdn.avala.ai/u/qa.png",
    "full_name": "QA Bot",
    "type": "customer",
    "is_staff": False,
}
TOOL: dict[str, Any] = {"uid": "tool-1", "name": "Cuboid review", "default": True}
PROBLEM: dict[str, Any] = {"uid": "prob-1", "title": "Wrong class"}
SIGNUP_USER: dict[str, Any] = {
    "uid": "u-1",
    "username": "ada",
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "in_waitlist": False,
}
ITEM_FIELDS: dict[str, Any] = {
    "id": 7,
    "uid": "it-1",
    "is_hidden": True,
    "key": "img/0001.jpg",
    "dataset": "ds-1",
    "dataset_owner_name": "acme",
    "dataset_slug": "cars",
    "url": "https://cdn.avala.ai/x.jpg",
    "gpu_texture_url": None,
    "thumbnails": ["https://cdn.avala.ai/t.jpg"],
    "video_thumbnail": None,
    "metadata": {"weather": "rain"},
    "export_snippet": {"id": 7},
    "annotations": {"cuboids": []},
    "crop_data": None,
    "related_items": [{"uid": "it-2"}],
    "related_sequence_uid": "sq-1",
    "created_at": TS,
    "updated_at": TS_OFFSET,
}

PAYLOADS: dict[type, dict[str, Any]] = {
    # uploads
    UploadProgress: {
        "total_files": 3, "uploaded_files": 2, "total_bytes": 300, "uploaded_bytes": 200,
        "failed_files": 0, "skipped_files": 1, "bytes_sent": 100, "bytes_per_second": 50.0,
        "elapsed_seconds": 2.0, "current_path": "a/b.jpg", "finished": False,
    },
    SourceFile: {"path": "cam/0.bin", "size_bytes": 10, "sha256": "ab" * 32, "md5": "cd" * 16},
    SourceInventory: {
        "source": "rec", "files": [{"path": "a", "size_bytes": 1, "sha256": "0", "md5": "1"}],
    },
    UploadSession: {
        "uid": "us-1", "total_files": 2, "total_bytes": 20, "confirmed_files": 1,
        "confirmed_bytes": 10, "s3_prefix": "fleet/acme/rec-1/", "status": "uploading",
    },
    UploadUrlEntry: {
        "path": "a.bin", "put_url": "https://data.avala.ai/x", "s3_key": "fleet/a.bin",
        "headers": {"content-type": "application/octet-stream"},
    },
    UploadUrlsResponse: {
        "urls": [{"path": "a", "put_url": "https://data.avala.ai/a", "s3_key": "k", "headers": {}}],
    },
    UploadStatusResponse: {
        "session_uid": "us-1", "status": "uploading", "total_files": 2, "confirmed_files": 1,
        "total_bytes": 20, "confirmed_bytes": 10, "pending_paths": ["b.bin"],
    },
    ManagedGeneration: {"generation_uid": "g-1", "number": 1, "state": "active"},
    ManagedOriginal: {
        "file_uid": "f-1", "path": "a.mcap", "size_bytes": 10, "content_sha256": "ab" * 32,
        "content_type": "application/octet-stream", "content_encoding": "", "part_size": 64,
        "part_count": 1, "verified": True,
        "generation": {"generation_uid": "g-1", "number": 1, "state": "completed"},
    },
    ManagedFinalization: {
        "uid": "fin-1", "state": "succeeded", "stage": "publish", "attempts": 1, "failures": 0,
        "code": "published", "available_at": TS, "publication_uid": "pub-1",
        "dataset_uid": "ds-1",
    },
    ManagedFleetUploadStatus: {
        "protocol": "fleet-managed-mcap-v1", "session_uid": "s-1", "recording_uid": "r-1",
        "status": "completed", "total_files": 1, "total_bytes": 10, "confirmed_files": 1,
        "confirmed_bytes": 10, "files": [], "finalization": None,
    },
    # datasets
    Dataset: {
        "uid": "ds-1", "name": "Cars", "slug": "cars", "item_count": 12, "status": "created",
        "data_type": "image", "is_sequence": False, "predefined_labels": [{"name": "car"}],
        "visibility": "private", "owner_name": "acme", "project_count": 2,
        "size_bytes": 1_048_576, "annotations_count": 40, "created_at": TS,
        "updated_at": TS_OFFSET,
    },
    DatasetItem: {
        **ITEM_FIELDS, "status": "ready", "data_url": "https://cdn.avala.ai/x.json",
        "thumbnail_url": "https://cdn.avala.ai/t.jpg", "annotations_count": 3,
    },
    DatasetSequence: {
        "uid": "sq-1", "is_hidden": False, "key": "drive-1", "custom_uuid": "c-1",
        "status": "ready", "featured_image": "https://cdn.avala.ai/f.jpg",
        "number_of_frames": 2, "views": [{"camera": "front"}], "crop_data": None,
        "predefined_labels": [], "frames": [{"images": [IMAGE]}], "metrics": {"a": 1},
        "dataset_uid": "ds-1", "dataset_data_type": "lidar", "device_id": "dev-1",
        "allow_lidar_calibration": True, "lidar_calibration_enabled": False,
        "camera_calibration_enabled": True, "camera_calibration": [{"camera": "front"}],
        "coc_timeline": [{"event": "created"}], "is_workflow_terminal": False,
        "sequence_status_workflow": {"state": "annotating"},
        "sequence_deliverable_workflow": {"state": "pending"},
    },
    Vec3: VEC,
    Quat: QUAT,
    FrameImage: IMAGE,
    DatasetFrame: {
        "frame_index": 3, "key": "frame-3", "model": "pinhole", "camera_model": "pinhole",
        "xi": None, "alpha": None, "device_position": VEC, "device_heading": QUAT,
        "images": [IMAGE], "raw": {"images": [IMAGE], "timestamp": 12.5},
    },
    CameraCalibration: CAMERA,
    CameraIntrinsics: {k: v for k, v in CAMERA.items() if k != "camera_id"},
    DatasetCalibration: {
        "sequence_uid": "sq-1", "cameras": [CAMERA, {**CAMERA, "camera_id": "rear"}],
        "dataset_level_camera_calibration": None,
    },
    SequenceHealth: SEQUENCE_HEALTH,
    DatasetHealth: {
        "dataset_uid": "ds-1", "dataset_slug": "drives", "dataset_status": "created",
        "data_type": "lidar", "is_sequence": True, "item_count": 240, "sequence_count": 2,
        "total_frames": 240, "s3_prefix": None, "gc_storage_prefix": None,
        "last_updated_at": TS, "sequences": [SEQUENCE_HEALTH], "ingest_ok": True,
        "issues": ["sequence sq-2 has no frames"],
    },
    UploadQuota: {"used": 300, "limit": 1000},
    AllowedMimes: {"mime_types": ["image/jpeg", "image/png"], "video_prefix": "video/"},
    # exports, projects, tasks
    Export: {
        "uid": "ex-1", "status": "exported", "download_url": "https://cdn.avala.ai/e.zip",
        "name": "Export 1", "format": "avala-json-external", "total_task_count": 10,
        "exported_task_count": 10, "datasets": ["ds-1"], "projects": ["p-1"], "slices": [],
        "organization": {"uid": "org-1"}, "created_at": TS, "updated_at": TS,
    },
    Project: {
        "uid": "p-1", "name": "Lidar QA", "status": "active",
        "task_type": "point-cloud-annotation", "created_at": TS, "updated_at": TS,
    },
    Task: {
        "uid": "t-1", "type": "image-annotation", "name": "Task 1", "status": "pending",
        "project": "p-1", "created_at": TS, "updated_at": TS,
    },
    # storage
    StorageConfig: {
        "uid": "sc-1", "name": "Raw drives", "provider": "aws_s3", "s3_bucket_name": "drives",
        "s3_bucket_region": "us-west-2", "s3_bucket_prefix": "raw/", "s3_auth_method": "iam_role",
        "s3_is_accelerated": True, "gc_storage_bucket_name": None, "gc_storage_prefix": None,
        "is_verified": True, "last_verified_at": TS, "created_at": TS, "updated_at": TS,
    },
    StorageConfigSetupInfo: {"avala_aws_account_id": "123456789012", "external_id": "ext-9"},
    # agents and inference
    Agent: {
        "uid": "ag-1", "name": "Reviewer", "description": "Checks results",
        "events": ["result.submitted", "task.completed"],
        "callback_url": "https://hooks.example.com/agent", "is_active": False, "project": "p-1",
        "task_types": ["image-annotation"], "secret": "agent-secret-value",
        "execution_stats": {"success": 10, "failed": 1}, "created_at": TS, "updated_at": TS,
    },
    AgentExecution: {
        "uid": "ax-1", "registration": "ag-1", "event_type": "result.submitted", "task": "t-1",
        "result": "r-1", "status": "completed", "action": "approve",
        "event_payload": {"task": "t-1"}, "response_payload": {"action": "approve"},
        "error_message": None, "started_at": TS, "completed_at": TS_OFFSET, "created_at": TS,
        "updated_at": TS,
    },
    InferenceProvider: {
        "uid": "ip-1", "name": "Detector", "description": "YOLO endpoint",
        "provider_type": "http", "config": {"endpoint_url": "https://models.example.com"},
        "is_active": True, "project": "p-1", "last_test_at": TS, "last_test_success": True,
        "created_at": TS, "updated_at": TS,
    },
    AutoLabelJob: {
        "uid": "al-1", "status": "running", "model_type": "yolo", "confidence_threshold": 0.5,
        "labels": ["car", "person"], "dry_run": True, "total_items": 100,
        "processed_items": 40, "successful_items": 38, "failed_items": 1, "skipped_items": 1,
        "progress_pct": 40.0, "error_message": None, "summary": {"boxes": 120},
        "started_at": TS, "completed_at": None, "created_at": TS,
    },
    # quality and consensus
    QualityTarget: {
        "uid": "qt-1", "name": "Box accuracy", "metric": "accuracy", "operator": "lt",
        "threshold": 0.9, "severity": "critical", "is_active": True, "notify_webhook": False,
        "notify_emails": ["qa@example.com"], "last_evaluated_at": TS, "last_value": 0.85,
        "is_breached": True, "breach_count": 3, "last_breached_at": TS, "created_at": TS,
        "updated_at": TS,
    },
    QualityTargetEvaluation: {
        "uid": "qt-1", "name": "Box accuracy", "metric": "accuracy", "threshold": 0.9,
        "operator": "lt", "current_value": 0.85, "is_breached": True, "severity": "warning",
    },
    ConsensusConfig: {
        "uid": "cc-1", "iou_threshold": 0.7, "min_agreement_ratio": 0.6, "min_annotations": 3,
        "created_at": TS, "updated_at": TS,
    },
    ConsensusScore: {
        "uid": "cs-1", "dataset_item_uid": "it-1", "task_name": "boxes",
        "score_type": "inter_annotator", "score": 0.82, "annotator_count": 3,
        "details": {"pairs": 3}, "created_at": TS,
    },
    ConsensusSummary: {
        "mean_score": 0.8, "median_score": 0.82, "min_score": 0.1, "max_score": 1.0,
        "total_items": 50, "items_with_consensus": 45, "score_distribution": {"0.8-0.9": 20},
        "by_task_name": [{"task_name": "boxes", "mean_score": 0.8}],
    },
    ConsensusComputeResult: {"status": "started", "message": "Consensus computation started."},
    # webhooks
    Webhook: {
        "uid": "wh-1", "target_url": "https://hooks.example.com/avala",
        "events": ["export.completed"], "is_active": True, "secret": "whsec-value",
        "created_at": TS, "updated_at": TS,
    },
    WebhookDelivery: {
        "uid": "wd-1", "subscription": "wh-1", "event_type": "export.completed",
        "payload": {"export": "ex-1"}, "response_status": 200, "response_body": "ok",
        "attempts": 1, "next_retry_at": None, "status": "delivered", "created_at": TS,
        "updated_at": TS,
    },
    # organizations
    Organization: {
        "uid": "org-1", "name": "Acme", "slug": "acme", "handle": "acme",
        "description": "Robots", "readme": "# Acme", "logo": "https://cdn.avala.ai/l.png",
        "website": "https://acme.example.com", "industry": "robotics",
        "organization_type": "company", "x_url": "https://x.com/acme",
        "hugging_face_url": "https://huggingface.co/acme", "github_url": "https://github.com/acme",
        "linkedin_url": "https://linkedin.com/company/acme", "email": "hi@acme.example.com",
        "phone": "+1 555 0100", "visibility": "public", "plan": "team", "is_verified": True,
        "is_active": True, "member_count": 12, "team_count": 2, "dataset_count": 5,
        "project_count": 3, "slice_count": 1, "role": "admin", "joined_at": TS,
        "slug_edits_remaining": 1, "allowed_domains": ["acme.example.com"],
        "billing_status": "active", "public_slug": "acme", "created_at": TS, "updated_at": TS,
    },
    OrganizationMember: {
        "user_uid": "u-1", "username": "ada", "email": "ada@example.com",
        "full_name": "Ada Lovelace", "picture": None, "role": "member", "created_at": TS,
        "last_active_at": TS_NAIVE,
    },
    TeamMember: {
        "user_uid": "u-1", "username": "ada", "email": "ada@example.com",
        "full_name": "Ada Lovelace", "picture": None, "role": "lead", "created_at": TS,
    },
    Invitation: {
        "uid": "inv-1", "organization_name": "Acme", "organization_slug": "acme",
        "invited_email": "bob@example.com", "invited_by_username": "ada", "role": "member",
        "status": "pending", "expires_at": TS, "is_expired": False,
        "accept_url": "https://avala.ai/invitations/inv-1/accept",
        "copy_link": "https://avala.ai/i/inv-1", "created_at": TS,
    },
    Team: {
        "uid": "tm-1", "name": "Labelers", "slug": "labelers", "description": "Night shift",
        "color": "#ff0000", "organization_uid": "org-1", "organization_name": "Acme",
        "organization_slug": "acme", "member_count": 4, "created_at": TS, "updated_at": TS,
    },
    # slices
    Slice: {
        "uid": "sl-1", "name": "Rainy", "slug": "rainy", "owner_name": "acme",
        "organization": {"uid": "org-1"}, "visibility": "private", "status": "ready",
        "item_count": 20, "sub_slices": [{"type": "dataset", "dataset_uid": "ds-1"}],
        "source_data": {"query": "weather=rain"},
        "featured_slice_item_urls": ["https://cdn.avala.ai/s.jpg"],
        "description": "Rainy drives", "created_at": TS, "updated_at": TS_OFFSET,
    },
    SliceItem: {
        **ITEM_FIELDS, "status": "ready", "data_url": "https://cdn.avala.ai/x.json",
        "thumbnail_url": "https://cdn.avala.ai/t.jpg", "annotations_count": 3,
    },
    # annotation issues
    AnnotationIssueProject: ISSUE_PROJECT,
    AnnotationIssueReporter: REPORTER,
    AnnotationIssueTool: TOOL,
    AnnotationIssueProblem: PROBLEM,
    AnnotationIssue: {
        "uid": "ai-1", "dataset_item_uid": "it-1", "sequence_uid": "sq-1",
        "project": ISSUE_PROJECT, "reporter": REPORTER, "priority": "high",
        "severity": "major", "description": "Car labeled as truck", "status": "open",
        "tool": TOOL, "problem": PROBLEM, "wrong_class": "truck", "correct_class": "car",
        "should_re_annotate": True, "should_delete": False, "frames_affected": "3-7",
        "coordinates": [1.0, 2.0, 3.0], "query_params": {"frame": 3}, "created_at": TS,
        "closed_at": None, "object_uid": "obj-1",
    },
    AnnotationIssueMetrics: {
        "status_count": {"open": 2}, "priority_count": {"high": 1},
        "severity_count": {"major": 2}, "mean_seconds_close_time_all": 3600,
        "mean_seconds_close_time_customer": 7200, "mean_unresolved_issue_age_all": 100,
        "mean_unresolved_issue_age_customer": 200,
        "object_count_by_annotation_issue_problem_uid": [{"uid": "prob-1", "count": 2}],
    },
    AnnotationIssueToolProblem: PROBLEM,
    AnnotationIssueToolDetail: {
        "uid": "tool-1", "name": "Cuboid review", "dataset_type": "lidar", "default": True,
        "problems": [PROBLEM, {"uid": "prob-2", "title": "Missing object"}],
    },
    # fleet
    Device: {
        "uid": "dev-1", "name": "Rover 1", "type": "rover", "status": "online",
        "tags": ["west"], "firmware_version": "2.1.0", "metadata": {"site": "sf"},
        "last_seen_at": TS, "device_token": "device-token-value", "created_at": TS,
        "updated_at": TS,
    },
    Recording: {
        "uid": "rec-1", "device": "dev-1", "status": "ready", "duration_seconds": 60.5,
        "size_bytes": 2_000_000, "topic_count": 2, "tags": ["drive"],
        "topics": [{"name": "/camera/front", "message_count": 600}], "started_at": TS,
        "ended_at": TS_OFFSET, "created_at": TS, "updated_at": TS,
    },
    FleetEvent: {
        "uid": "ev-1", "recording": "rec-1", "device": "dev-1", "type": "disengagement",
        "label": "takeover", "description": "Driver took over", "timestamp": TS_OFFSET,
        "duration_ms": 1500, "tags": ["safety"], "metadata": {"speed": 12},
        "severity": "high", "created_at": TS, "updated_at": TS,
    },
    Rule: {
        "uid": "ru-1", "name": "Hard brake", "description": "Decel over 5 m/s2",
        "enabled": False, "condition": {"topic": "/imu", "op": "gt", "value": 5},
        "actions": [{"type": "alert"}], "scope": {"tags": ["west"]}, "hit_count": 4,
        "last_hit_at": TS, "created_at": TS, "updated_at": TS,
    },
    Alert: {
        "uid": "al-1", "rule": "ru-1", "device": "dev-1", "recording": "rec-1",
        "severity": "critical", "status": "resolved", "message": "Hard brake",
        "triggered_at": TS, "acknowledged_at": TS, "acknowledged_by": "ada",
        "resolved_at": TS_OFFSET, "resolution_note": "Sensor glitch", "created_at": TS,
        "updated_at": TS,
    },
    AlertChannel: {
        "uid": "ch-1", "name": "Ops Slack", "type": "slack",
        "config": {"webhook_url": "https://hooks.slack.com/x"}, "created_at": TS,
        "updated_at": TS,
    },
    # signup
    SignupUser: SIGNUP_USER,
    SignupResponse: {"user": SIGNUP_USER, "api_key": "avk_signup_key_value"},
}  # fmt: skip

# An SDK-side result (never on the wire), built from a finished download.
PAYLOADS[ExportDownload] = {
    "export": {"uid": "ex-1"} | {k: None for k in PAYLOADS[Export] if k != "uid"},
    "path": "/data/export.json",
    "size": 1024,
    "sha256": "ab" * 32,
    "resumed_from": 512,
}

# The official SDK 0.10's required fields (no default), less DatasetHealth's data_type and
# is_sequence, which an older server may omit (catalog-0.10 gap 13).
REQUIRED: dict[type, set[str]] = {
    UploadProgress: {"total_files", "uploaded_files", "total_bytes", "uploaded_bytes"},
    SourceFile: {"path", "size_bytes", "sha256"},
    SourceInventory: {"source", "files"},
    UploadSession: {"uid"},
    UploadUrlEntry: {"path", "put_url", "s3_key"},
    UploadUrlsResponse: set(),
    UploadStatusResponse: {"session_uid", "status"},
    ManagedGeneration: {"generation_uid", "number", "state"},
    ManagedOriginal: {
        "file_uid", "path", "size_bytes", "content_sha256", "part_size", "part_count",
    },
    ManagedFinalization: {"uid", "state", "stage", "code"},
    ManagedFleetUploadStatus: {
        "protocol", "session_uid", "recording_uid", "status", "total_files", "total_bytes",
    },
    Dataset: {"uid", "name", "slug"},
    DatasetItem: {"uid"},
    DatasetSequence: {"uid"},
    Vec3: {"x", "y", "z"},
    Quat: {"x", "y", "z", "w"},
    FrameImage: set(),
    DatasetFrame: {"frame_index"},
    CameraCalibration: set(),
    CameraIntrinsics: set(),
    DatasetCalibration: {"sequence_uid"},
    SequenceHealth: {"uid"},
    DatasetHealth: {"dataset_uid", "dataset_slug"},
    UploadQuota: {"used", "limit"},
    AllowedMimes: set(),
    Export: {"uid"},
    ExportDownload: {"export", "path", "size", "sha256"},
    Project: {"uid", "name"},
    Task: {"uid"},
    StorageConfig: {"uid", "name", "provider"},
    StorageConfigSetupInfo: {"avala_aws_account_id", "external_id"},
    Agent: {"uid", "name"},
    AgentExecution: {"uid", "registration", "event_type"},
    InferenceProvider: {"uid", "name"},
    AutoLabelJob: {"uid"},
    QualityTarget: {"uid", "name", "metric", "operator", "threshold"},
    QualityTargetEvaluation: {
        "uid", "name", "metric", "threshold", "operator", "current_value", "is_breached",
    },
    ConsensusConfig: {"uid"},
    ConsensusScore: {"uid", "dataset_item_uid", "task_name", "score", "annotator_count"},
    ConsensusSummary: {
        "mean_score", "median_score", "min_score", "max_score", "total_items",
        "items_with_consensus",
    },
    ConsensusComputeResult: {"status", "message"},
    Webhook: {"uid", "target_url"},
    WebhookDelivery: {"uid", "subscription", "event_type"},
    Organization: {"uid", "name", "slug"},
    OrganizationMember: {"user_uid"},
    TeamMember: {"user_uid"},
    Invitation: {"uid", "invited_email"},
    Team: {"uid", "name"},
    Slice: {"uid", "name"},
    SliceItem: {"uid"},
    AnnotationIssueProject: {"uid", "name"},
    AnnotationIssueReporter: set(),
    AnnotationIssueTool: {"uid", "name"},
    AnnotationIssueProblem: {"uid", "title"},
    AnnotationIssue: {"uid"},
    AnnotationIssueMetrics: set(),
    AnnotationIssueToolProblem: {"uid", "title"},
    AnnotationIssueToolDetail: {"uid", "name"},
    Device: {"uid", "name"},
    Recording: {"uid"},
    FleetEvent: {"uid"},
    Rule: {"uid", "name"},
    Alert: {"uid"},
    AlertChannel: {"uid", "name"},
    SignupUser: {"uid", "username"},
    SignupResponse: {"user", "api_key"},
}  # fmt: skip

MODELS = list(PAYLOADS)
ids = lambda m: m.__name__  # noqa: E731


def _plain(value: Any) -> Any:
    """A structured value back as JSON-like data, to compare with the payload."""
    return converter.unstructure(value)


def _expected_datetime(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _required_only(model: type) -> dict[str, Any]:
    return {name: PAYLOADS[model][name] for name in REQUIRED[model]}


def _public_names() -> list[str]:
    return list(avala.models.__all__)


def test_every_model_has_a_full_payload_and_a_required_set() -> None:
    attrs_classes = {
        obj for obj in map(avala.models.__getattr__, _public_names()) if attrs.has(obj)
    }
    assert attrs_classes == set(PAYLOADS) == set(REQUIRED)


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_payload_carries_every_field(model: type) -> None:
    assert set(PAYLOADS[model]) == set(attrs.fields_dict(model))


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_lenient_structure_maps_every_field_and_ignores_unknown_keys(model: type) -> None:
    payload = PAYLOADS[model]
    obj: Any = structure({**payload, "added_by_a_newer_server": {"x": 1}}, model)
    assert isinstance(obj, model)
    assert not hasattr(obj, "added_by_a_newer_server")
    for name, sent in payload.items():
        got = getattr(obj, name)
        if isinstance(got, datetime):
            assert got.tzinfo is not None, name
            assert got == _expected_datetime(sent), name
        else:
            assert _plain(got) == sent, name


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_strict_converter_accepts_the_full_payload(model: type) -> None:
    obj: Any = STRICT.structure(PAYLOADS[model], model)
    assert isinstance(obj, model)
    with pytest.raises(APIResponseValidationError):
        structure({**PAYLOADS[model], "added_by_a_newer_server": 1}, model, STRICT)


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_required_fields_are_the_official_ones(model: type) -> None:
    required = {f.name for f in attrs.fields(model) if f.default is attrs.NOTHING}
    assert required == REQUIRED[model]
    minimal = _required_only(model)
    structure(minimal, model)
    for drop in REQUIRED[model]:
        with pytest.raises(APIResponseValidationError):
            structure({k: v for k, v in minimal.items() if k != drop}, model)


def test_defaults_are_the_official_ones_and_lists_are_not_shared() -> None:
    agent = structure(_required_only(Agent), Agent)
    assert (agent.events, agent.task_types, agent.is_active, agent.secret) == ([], [], True, None)
    assert agent.events is not structure(_required_only(Agent), Agent).events
    job = structure(_required_only(AutoLabelJob), AutoLabelJob)
    assert (job.labels, job.dry_run, job.total_items, job.progress_pct) == ([], False, 0, None)
    target = structure(_required_only(QualityTarget), QualityTarget)
    assert (target.is_active, target.notify_webhook, target.is_breached) == (True, True, False)
    assert (target.notify_emails, target.breach_count) == ([], 0)
    config = structure(_required_only(ConsensusConfig), ConsensusConfig)
    assert (config.iou_threshold, config.min_agreement_ratio, config.min_annotations) == (
        0.5,
        0.5,
        2,
    )
    storage = structure(_required_only(StorageConfig), StorageConfig)
    assert (storage.is_verified, storage.s3_is_accelerated) == (False, False)
    org = structure(_required_only(Organization), Organization)
    assert (org.is_active, org.is_verified) == (True, False)
    rule = structure(_required_only(Rule), Rule)
    assert (rule.enabled, rule.actions, rule.hit_count) == (True, [], 0)
    assert structure(_required_only(DatasetItem), DatasetItem).is_hidden is False
    assert structure(_required_only(DatasetSequence), DatasetSequence).is_hidden is False
    assert structure(_required_only(SliceItem), SliceItem).is_hidden is False
    assert structure(_required_only(SignupUser), SignupUser).in_waitlist is True
    assert structure(_required_only(Webhook), Webhook).is_active is True
    frame = structure({"frame_index": 0}, DatasetFrame)
    assert frame.raw == {}
    assert frame.raw is not structure({"frame_index": 1}, DatasetFrame).raw
    assert structure({}, AllowedMimes) == AllowedMimes(mime_types=[], video_prefix="")
    health = structure(_required_only(DatasetHealth), DatasetHealth)
    assert (health.sequences, health.issues, health.ingest_ok) == ([], [], False)
    assert (health.item_count, health.sequence_count, health.total_frames) == (0, 0, 0)


def test_nested_models_are_built() -> None:
    issue = structure(PAYLOADS[AnnotationIssue], AnnotationIssue)
    assert issue.project == AnnotationIssueProject(uid="p-1", name="Lidar QA")
    assert isinstance(issue.reporter, AnnotationIssueReporter)
    assert issue.reporter.is_staff is False
    assert isinstance(issue.tool, AnnotationIssueTool)
    assert issue.tool.default is True
    assert issue.problem == AnnotationIssueProblem(uid="prob-1", title="Wrong class")

    detail = structure(PAYLOADS[AnnotationIssueToolDetail], AnnotationIssueToolDetail)
    assert detail.problems is not None
    assert [type(p) for p in detail.problems] == [AnnotationIssueToolProblem] * 2
    assert detail.problems[1].title == "Missing object"

    frame = structure(PAYLOADS[DatasetFrame], DatasetFrame)
    assert frame.device_position == Vec3(x=1.5, y=-2.0, z=0.25)
    assert frame.device_heading == Quat(x=0.0, y=0.0, z=0.7071, w=0.7071)
    assert frame.images is not None
    image = frame.images[0]
    assert isinstance(image, FrameImage)
    assert isinstance(image.position, Vec3)
    assert isinstance(image.heading, Quat)
    assert (image.width, image.fx, image.camera_model) == (1920, 1000.5, "doublesphere")

    calibration = structure(PAYLOADS[DatasetCalibration], DatasetCalibration)
    assert [type(c) for c in calibration.cameras] == [CameraCalibration] * 2
    assert [c.camera_id for c in calibration.cameras] == ["front", "rear"]
    assert calibration.cameras[0].heading == Quat(**QUAT)

    health = structure(PAYLOADS[DatasetHealth], DatasetHealth)
    assert health.sequences == [SequenceHealth(**SEQUENCE_HEALTH)]
    assert health.last_updated_at == TS_UTC

    signup = structure(PAYLOADS[SignupResponse], SignupResponse)
    assert signup.user == SignupUser(**SIGNUP_USER)
    assert signup.api_key == "avk_signup_key_value"


def test_a_broken_nested_model_is_a_response_validation_error() -> None:
    payload = {**PAYLOADS[AnnotationIssue], "project": {"uid": "p-1"}}  # no name
    with pytest.raises(APIResponseValidationError) as info:
        structure(payload, AnnotationIssue)
    assert "AnnotationIssue" in info.value.message
    with pytest.raises(APIResponseValidationError):
        structure({"frame_index": 0, "device_position": {"x": 1.0, "y": 2.0}}, DatasetFrame)


def test_timestamps_are_timezone_aware_everywhere() -> None:
    checked = 0
    for model, payload in PAYLOADS.items():
        obj: Any = structure(payload, model)
        for name, hint in get_type_hints(model).items():
            if hint == (datetime | None) and payload[name] is not None:
                value = getattr(obj, name)
                assert isinstance(value, datetime), f"{model.__name__}.{name}"
                assert value.tzinfo is not None, f"{model.__name__}.{name}"
                checked += 1
    assert checked >= 60  # created_at, updated_at, started_at, last_seen_at...
    member = structure(PAYLOADS[OrganizationMember], OrganizationMember)
    assert member.last_active_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    recording = structure(PAYLOADS[Recording], Recording)
    assert recording.ended_at is not None
    assert recording.ended_at.utcoffset() == timedelta(hours=2)
    assert recording.ended_at.microsecond == 250_000


@pytest.mark.parametrize(
    ("model", "field", "secret"),
    [
        (Webhook, "secret", "whsec-value"),
        (Agent, "secret", "agent-secret-value"),
        (Device, "device_token", "device-token-value"),
        (SignupResponse, "api_key", "avk_signup_key_value"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else v,
)
def test_secrets_never_appear_in_repr(model: type, field: str, secret: str) -> None:
    obj: Any = structure(PAYLOADS[model], model)
    assert getattr(obj, field) == secret
    text = repr(obj)
    assert secret not in text
    assert f"{field}=" not in text
    assert text.startswith(f"{model.__name__}(")
    assert secret not in str(obj)


def test_repr_keeps_ordinary_fields() -> None:
    assert "target_url='https://hooks.example.com/avala'" in repr(
        structure(PAYLOADS[Webhook], Webhook)
    )


@pytest.mark.parametrize(
    ("used", "limit", "remaining"),
    [(300, 1000, 700), (0, 10, 10), (1000, 1000, 0), (1500, 1000, 0)],
)
def test_upload_quota_remaining(used: int, limit: int, remaining: int) -> None:
    quota = structure({"used": used, "limit": limit}, UploadQuota)
    assert quota.remaining == remaining


def test_dataset_health_from_an_older_server_without_data_type() -> None:
    payload = {
        k: v for k, v in PAYLOADS[DatasetHealth].items() if k not in ("data_type", "is_sequence")
    }
    health = STRICT.structure(payload, DatasetHealth)
    assert health.data_type is None
    assert health.is_sequence is None
    assert health.ingest_ok is True


def test_inference_provider_project_accepts_an_integer_id_as_text() -> None:
    provider = structure({**PAYLOADS[InferenceProvider], "project": 42}, InferenceProvider)
    assert provider.project == "42"
    assert structure({"uid": "i", "name": "n", "project": None}, InferenceProvider).project is None


@pytest.mark.parametrize(
    "topics",
    [
        [{"name": "/camera/front", "message_count": 600}],
        {"/camera/front": {"message_count": 600}},
        None,
    ],
    ids=["list", "object", "null"],
)
def test_recording_topics_is_kept_as_sent(topics: Any) -> None:
    recording = STRICT.structure({**PAYLOADS[Recording], "topics": topics}, Recording)
    assert recording.topics == topics


def test_wrong_types_are_response_validation_errors() -> None:
    for model, field, bad in [
        (UploadQuota, "used", "lots"),
        (Vec3, "x", None),
        (DatasetHealth, "sequences", {"uid": "sq-1"}),
        (Device, "metadata", ["not", "an", "object"]),
        (Device, "tags", 7),
        (Webhook, "is_active", {"value": True}),
    ]:
        with pytest.raises(APIResponseValidationError):
            structure({**PAYLOADS[model], field: bad}, model)


@pytest.mark.parametrize("bad", ["result.submitted", {"result.submitted": True}])
def test_a_list_field_needs_a_list(bad: Any) -> None:
    with pytest.raises(APIResponseValidationError):
        structure({**PAYLOADS[Agent], "events": bad}, Agent)


def test_models_are_frozen() -> None:
    device = structure(PAYLOADS[Device], Device)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        device.name = "changed"  # type: ignore[misc]


# --- typed dicts -----------------------------------------------------------------------------

RESULTS: dict[Any, dict[str, Any]] = {
    StorageConfigTestResult: {"verified": False, "errors": {"s3_bucket_name": ["Not found."]}},
    AgentTestResult: {"success": True, "delivered": True, "status_code": 200, "detail": "ok"},
    InferenceProviderTestResult: {
        "success": True, "message": "ok", "latency_ms": 12.5, "tested_at": TS,
    },
    WebhookTestResult: {
        "success": True, "delivered": True, "status_code": 204, "delivery_uid": "wd-9",
    },
    AlertChannelTestResult: {"detail": "sent", "channel_uid": "ch-1", "channel_type": "slack"},
    IndustryChoices: {"choices": [{"value": "robotics", "label": "Robotics"}]},
    BulkEditResult: {"updated": 3, "deleted": 1},
    ManualUploadTarget: {
        "method": "MULTIPART", "url": "https://data.avala.ai/u", "fields": {},
        "headers": {"Content-Type": "video/mp4"}, "upload_uid": "3f1c", "part_size": 8388608,
        "part_count": 3, "uploaded_parts": [{"part_number": 1, "size": 8388608}],
        "complete": False,
    },
}  # fmt: skip

KEYS: dict[Any, set[str]] = {
    UploadConfirmResponse: {"confirmed", "total_confirmed", "total_files"},
    UploadFinalizeResponse: {"detail", "session_uid", "status"},
    StorageConfigTestResult: {"verified", "errors"},
    AgentTestResult: {"success", "delivered", "status_code", "detail"},
    DeliveryTestResult: {"success", "delivered", "status_code"},
    InferenceProviderTestResult: {"success", "message", "latency_ms", "tested_at"},
    WebhookTestResult: {"success", "delivered", "status_code", "delivery_uid"},
    AlertChannelTestResult: {"detail", "channel_uid", "channel_type"},
    IndustryChoices: {"choices"},
    IndustryChoice: {"value", "label"},
    BulkEditResult: {"updated", "deleted"},
    ManualUploadTarget: {
        "method", "url", "fields", "headers", "upload_uid", "part_size", "part_count",
        "uploaded_parts", "complete",
    },
    BatchEventParams: {
        "recording", "device", "label", "type", "timestamp", "severity", "description",
        "duration_ms", "tags", "metadata",
    },
    BulkEdit: {
        "action", "object_uuid", "object_type", "dataset_item_uid", "sequence_uid",
        "object_data", "object_name", "object_name_plural", "duration",
    },
    SubSlice: {"type", "dataset_uid"},
}  # fmt: skip


def test_every_typed_dict_is_listed() -> None:
    typed_dicts = {
        obj
        for obj in map(avala.models.__getattr__, _public_names())
        if isinstance(obj, type) and issubclass(obj, dict)
    }
    assert typed_dicts == set(KEYS)
    assert set(RESULTS) <= typed_dicts


@pytest.mark.parametrize("typed_dict", list(KEYS), ids=ids)
def test_typed_dict_keys(typed_dict: Any) -> None:
    assert set(get_type_hints(typed_dict)) == KEYS[typed_dict]
    if typed_dict is not BatchEventParams:
        assert typed_dict.__required_keys__ == frozenset()


def test_batch_event_params_required_and_optional_keys() -> None:
    assert BatchEventParams.__required_keys__ == {
        "recording", "device", "label", "type", "timestamp",
    }  # fmt: skip
    assert BatchEventParams.__optional_keys__ == {
        "severity", "description", "duration_ms", "tags", "metadata",
    }  # fmt: skip
    event: BatchEventParams = {
        "recording": "rec-1", "device": "dev-1", "label": "takeover", "type": "disengagement",
        "timestamp": TS, "tags": ["safety"],
    }  # fmt: skip
    assert type(event) is dict


@pytest.mark.parametrize("typed_dict", list(RESULTS), ids=ids)
def test_results_pass_through_as_the_dict_sent(typed_dict: Any) -> None:
    payload = {**RESULTS[typed_dict], "added_by_a_newer_server": 1}
    got = structure(payload, typed_dict)
    assert type(got) is dict
    assert got == payload
    assert STRICT.structure(payload, typed_dict) == payload
    with pytest.raises(APIResponseValidationError):
        structure(["not", "an", "object"], typed_dict)


def test_result_keys_read_like_a_dict() -> None:
    result = structure(RESULTS[AgentTestResult], AgentTestResult)
    assert result["delivered"] is True
    assert result.get("status_code") == 200


# --- avala.models laziness and avala.types ---------------------------------------------------


def _run(code: str) -> str:
    """Run ``code`` in a fresh interpreter that imports this very checkout of ``avala``."""
    root = str(Path(avala.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_avala_models_loads_no_family_module_until_used() -> None:
    out = _run(
        """
        import sys
        import avala.models
        print("fleet" if "avala.models.fleet" in sys.modules else "-")
        print("organizations" if "avala.models.organizations" in sys.modules else "-")
        device = avala.models.Device
        print(device.__module__, "avala.models.fleet" in sys.modules)
        print("organizations" if "avala.models.organizations" in sys.modules else "-")
        try:
            avala.models.NoSuchModel
        except AttributeError as exc:
            print(exc)
        """
    )
    assert out.splitlines() == [
        "-",
        "-",
        "avala.models.fleet True",
        "-",
        "module 'avala.models' has no attribute 'NoSuchModel'",
    ]


def test_exports_map_every_public_name_to_its_module() -> None:
    exports: dict[str, str] = avala.models._EXPORTS
    assert sorted(exports) == sorted(avala.models.__all__)
    for name, module in exports.items():
        obj = getattr(avala.models, name)
        assert obj.__name__ == name
        assert obj.__module__ == f"avala.models.{module}"


def test_unknown_model_name_is_an_attribute_error() -> None:
    message = "module 'avala.models' has no attribute 'Nope'"
    with pytest.raises(AttributeError, match=re.escape(message)):
        avala.models.Nope  # noqa: B018
    with pytest.raises(ImportError):
        from avala.models import Nope  # noqa: F401
    assert not hasattr(avala.models, "fleet_upload")


def test_dir_lists_every_public_name() -> None:
    assert set(avala.models.__all__) <= set(dir(avala.models))


def test_avala_types_reexports_every_model() -> None:
    assert sorted(avala.types.__all__) == sorted(avala.models.__all__)
    for name in avala.types.__all__:
        assert getattr(avala.types, name) is getattr(avala.models, name)
    out = _run(
        """
        import sys
        from avala.types import Dataset, Device, SignupResponse
        print(Dataset.__name__, Device.__name__, "avala.models.signup" in sys.modules)
        """
    )
    assert out.split() == ["Dataset", "Device", "True"]
