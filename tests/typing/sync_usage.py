from __future__ import annotations

from typing_extensions import assert_type

from avala import Client, Dataset, DatasetItem, Export, Project, SyncPage, SyncPaginator


def usage() -> None:
    with Client(api_key="avk_x") as client:
        paginator = client.datasets.list(limit=10)
        assert_type(paginator, SyncPaginator[Dataset])
        assert_type(paginator.first_page(), SyncPage[Dataset])
        assert_type(paginator.items, list[Dataset])
        for dataset in paginator:
            assert_type(dataset, Dataset)
        for item in client.datasets.list_items("owner", "slug"):
            assert_type(item, DatasetItem)
        assert_type(client.projects.get("uid"), Project)
        assert_type(client.exports.create(project="p"), Export)
        assert_type(client.with_options(timeout=3), Client)
        assert_type(client.base_url, str)
