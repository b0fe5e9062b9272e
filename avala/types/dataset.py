"""Datasets, items, sequences, frames, calibration and health (the official SDK's
``avala.types.dataset``; the classes of :mod:`avala.models.datasets`).

Also here: ``CameraIntrinsics``, the base of ``FrameImage`` and ``CameraCalibration``. The
quota and MIME models are in :mod:`avala.types.manual_upload`, as in the official SDK.

The classes are those of ``avala.models``: ``avala.types.dataset.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.datasets import (
    CameraCalibration as CameraCalibration,
    CameraIntrinsics as CameraIntrinsics,
    Dataset as Dataset,
    DatasetCalibration as DatasetCalibration,
    DatasetFrame as DatasetFrame,
    DatasetHealth as DatasetHealth,
    DatasetItem as DatasetItem,
    DatasetSequence as DatasetSequence,
    FrameImage as FrameImage,
    Quat as Quat,
    SequenceHealth as SequenceHealth,
    Vec3 as Vec3,
)

__all__ = [
    "CameraCalibration",
    "CameraIntrinsics",
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
]
