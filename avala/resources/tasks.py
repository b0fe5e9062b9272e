"""``client.tasks``: annotation tasks."""

from __future__ import annotations

from ..models.tasks import Task
from ..pagination import AsyncPaginator
from ._base import AsyncResource, path


class AsyncTasks(AsyncResource):
    """Tasks across the key's projects."""

    __slots__ = ()

    def list(
        self,
        *,
        project: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Task]:
        """List tasks.

        Args:
            project: Only tasks of this project (uid).
            status: Only this status (``pending``, ``completed``).
            limit: Items per page.
            cursor: Start from this page cursor.

        Returns:
            A paginator: iterate it for every task, or call ``first_page()`` for one page.
        """
        return self._list("/tasks/", Task, locals())

    async def get(self, uid: str) -> Task:
        """Fetch a task by uid."""
        return await self._get(path("/tasks/{uid}/", uid=uid), Task)
