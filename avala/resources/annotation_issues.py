"""``client.annotation_issues``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncAnnotationIssues(AsyncResource):
    """Quality-control issues raised on annotations of sequences and items."""

    __slots__ = ()
