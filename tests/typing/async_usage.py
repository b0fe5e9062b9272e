from __future__ import annotations

from typing_extensions import assert_type

from avala import AsyncClient, AsyncPage, AsyncPaginator, Dataset, DatasetItem, Export, Task
from avala.errors import AuthenticationError


async def usage() -> None:
    async with AsyncClient(api_key="avk_x", timeout=5, max_retries=0) as client:
        assert_type(client.datasets.list(), AsyncPaginator[Dataset])
        page = await client.datasets.list(limit=10)
        assert_type(page, AsyncPage[Dataset])
        assert_type(page.items, list[Dataset])
        assert_type(page.next_cursor, str | None)
        assert_type(await page.get_next_page(), AsyncPage[Dataset])
        async for item in client.datasets.list_items("owner", "slug"):
            assert_type(item, DatasetItem)
        assert_type(await client.datasets.get("uid"), Dataset)
        assert_type(await client.exports.wait("uid", interval=1.0), Export)
        tasks = [t async for t in client.tasks.list(status="pending")]
        assert_type(tasks, list[Task])
        assert_type(client.with_options(max_retries=1), AsyncClient)
    try:
        pass
    except AuthenticationError as e:
        assert_type(e.message, str)
        assert_type(e.status_code, int)
