"""Response models: plain attrs classes, built from JSON by :mod:`avala._serde`."""

from .datasets import Dataset, DatasetItem, DatasetSequence
from .exports import Export
from .projects import Project
from .tasks import Task

__all__ = ["Dataset", "DatasetItem", "DatasetSequence", "Export", "Project", "Task"]
