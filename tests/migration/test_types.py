"""The official SDK's model import paths: ``avala.types`` and every one of its submodules, each
holding the names it holds in the official SDK 0.10, as the very classes of ``avala.models``."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import avala
import avala.models
import avala.types

# The official SDK 0.10's ``avala/types/`` modules and the public names each defines.
OFFICIAL: dict[str, set[str]] = {
    "account": {"SignupResponse", "SignupUser"},
    "agent": {"Agent", "AgentExecution"},
    "annotation_issue": {
        "AnnotationIssue",
        "AnnotationIssueMetrics",
        "AnnotationIssueProblem",
        "AnnotationIssueProject",
        "AnnotationIssueReporter",
        "AnnotationIssueTool",
        "AnnotationIssueToolDetail",
        "AnnotationIssueToolProblem",
    },
    "auto_label_job": {"AutoLabelJob"},
    "consensus": {
        "ConsensusComputeResult",
        "ConsensusConfig",
        "ConsensusScore",
        "ConsensusSummary",
    },
    "dataset": {
        "CameraCalibration",
        "Dataset",
        "DatasetCalibration",
        "DatasetFrame",
        "DatasetHealth",
        "DatasetItem",
        "DatasetSequence",
        "FrameImage",
        "Quat",
        "SequenceHealth",
        "Vec3",
    },
    "export": {"Export"},
    "fleet": {
        "Alert",
        "AlertChannel",
        "BatchEventParams",
        "Device",
        "FleetEvent",
        "Recording",
        "Rule",
    },
    "fleet_managed_upload": {
        "PROTOCOL",
        "ManagedFinalization",
        "ManagedFleetUploadStatus",
        "ManagedGeneration",
        "ManagedOriginal",
    },
    "fleet_upload": {
        "UploadConfirmResponse",
        "UploadProgress",
        "UploadSession",
        "UploadStatusResponse",
        "UploadUrlEntry",
        "UploadUrlsResponse",
    },
    "inference_provider": {"InferenceProvider"},
    "manual_upload": {"AllowedMimes", "UploadQuota"},
    "organization": {"Invitation", "Organization", "OrganizationMember", "Team", "TeamMember"},
    "project": {"Project"},
    "quality_target": {"QualityTarget", "QualityTargetEvaluation"},
    "slice": {"Slice", "SliceItem"},
    "storage_config": {"StorageConfig", "StorageConfigSetupInfo"},
    "task": {"Task"},
    "webhook": {"Webhook", "WebhookDelivery"},
}

# Names of ours that no official module holds: reachable from ``avala.types`` only.
TOP_LEVEL_ONLY = {"BulkEdit", "BulkEditResult"}


def _run(code: str) -> str:
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


@pytest.mark.parametrize("module", sorted(OFFICIAL))
def test_official_module_has_its_official_names(module: str) -> None:
    mod = importlib.import_module(f"avala.types.{module}")
    assert OFFICIAL[module] <= set(mod.__all__)
    for name in mod.__all__:
        value = getattr(mod, name)
        if name == "PROTOCOL":
            continue
        assert value is getattr(avala.models, name) is getattr(avala.types, name)
        assert value.__doc__


@pytest.mark.parametrize("module", sorted(OFFICIAL))
def test_submodule_is_reachable_as_an_attribute(module: str) -> None:
    assert getattr(avala.types, module) is importlib.import_module(f"avala.types.{module}")
    assert module in dir(avala.types)


def test_every_model_is_under_some_official_module_but_bulk_edits() -> None:
    placed: set[str] = set()
    for module in OFFICIAL:
        placed |= set(importlib.import_module(f"avala.types.{module}").__all__)
    assert placed - {"PROTOCOL"} | TOP_LEVEL_ONLY == set(avala.models.__all__)
    assert not TOP_LEVEL_ONLY & placed


def test_extras_belong_to_the_module_of_their_family() -> None:
    """What we add to an official module is defined next to that module's official classes."""
    for module, official in OFFICIAL.items():
        mod = importlib.import_module(f"avala.types.{module}")
        homes = {getattr(mod, n).__module__ for n in official if n != "PROTOCOL"}
        for extra in set(mod.__all__) - official:
            assert getattr(mod, extra).__module__ in homes, (module, extra)


def test_managed_protocol_name_is_the_one_the_uploader_speaks() -> None:
    from avala._uploads._managed import PROTOCOL
    from avala.types.fleet_managed_upload import PROTOCOL as OFFICIAL_PROTOCOL

    assert OFFICIAL_PROTOCOL == PROTOCOL == "fleet-managed-mcap-v1"


def test_unknown_names_are_attribute_and_import_errors() -> None:
    message = "module 'avala.types' has no attribute 'Nope'"
    with pytest.raises(AttributeError, match=re.escape(message)):
        avala.types.Nope  # noqa: B018
    with pytest.raises(ImportError):
        from avala.types import Nope  # noqa: F401
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("avala.types.sequence_outcome")  # not in the official 0.10


def test_star_import_gives_every_model() -> None:
    namespace: dict[str, object] = {}
    exec("from avala.types import *", namespace)
    assert set(avala.models.__all__) <= set(namespace)


def test_imports_stay_lazy() -> None:
    out = _run(
        """
        import sys

        def loaded():
            return sorted(m for m in sys.modules if m.startswith(("avala.models.", "avala.types")))

        import avala
        print(loaded())
        import avala.types
        print(loaded())
        from avala.types.dataset import Dataset
        print(loaded())
        from avala.types import Webhook
        print(loaded())
        import avala.types.fleet_managed_upload
        print("avala._uploads._managed" in sys.modules)
        """
    )
    assert out.splitlines() == [
        "[]",
        "['avala.types']",
        "['avala.models.datasets', 'avala.types', 'avala.types.dataset']",
        "['avala.models.agents', 'avala.models.datasets', 'avala.models.webhooks', "
        "'avala.types', 'avala.types.dataset']",
        "False",
    ]


def test_type_checkers_see_every_name_and_submodule() -> None:
    """``avala.types`` loads lazily, so type checkers read its ``TYPE_CHECKING`` imports:
    they must name every model and every official submodule."""
    tree = ast.parse(Path(avala.types.__file__).read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen: dict[str, set[str]] = {"..models": set(), ".": set()}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        source = "." * node.level + (node.module or "")
        for alias in node.names:
            assert alias.asname == alias.name  # an explicit re-export
            seen[source].add(alias.name)
    assert seen["..models"] == set(avala.models.__all__)
    assert seen["."] == set(OFFICIAL) == avala.types._SUBMODULES
