"""``client.tasks``: annotation tasks."""

from __future__ import annotations

from ..models.tasks import Task
from ..pagination import AsyncPaginator
from ._base import AsyncResource, check_limit, query, segment


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
        params = query(project=project, status=status, limit=check_limit(limit), cursor=cursor)
        return self._list("/tasks/", Task, params)

    async def get(self, uid: str) -> Task:
        """Fetch a task by uid."""
        return await self._get(f"/tasks/{segment('uid', uid)}/", Task)
