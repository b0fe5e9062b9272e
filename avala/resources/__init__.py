"""Async resource classes, one per API family."""

from .datasets import AsyncDatasets
from .exports import AsyncExports
from .projects import AsyncProjects
from .tasks import AsyncTasks

__all__ = ["AsyncDatasets", "AsyncExports", "AsyncProjects", "AsyncTasks"]
