"""``client.auto_label_jobs``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncAutoLabelJobs(AsyncResource):
    """Auto-labelling jobs: a model pre-labels a project's items."""

    __slots__ = ()
