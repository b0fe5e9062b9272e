"""The official SDK's README async example, grown into a small async job."""

import asyncio

from avala import AsyncClient


async def main() -> None:
    async with AsyncClient() as client:
        page = await client.datasets.list()
        for dataset in page:
            print(dataset.name)

        projects = await client.projects.list()
        project = projects.items[0]
        details = await asyncio.gather(*(client.projects.get(p.uid) for p in projects))
        print("projects", len(details), details[0].uid == project.uid)

        export = await client.exports.create(project=project.uid)
        finished = await client.exports.wait(export.uid, interval=0.5)
        print("export", finished.status)

        page = await client.datasets.list(limit=2)
        if page.has_more:
            following = await client.datasets.list(limit=2, cursor=page.next_cursor)
            print("next page", len(following), following.items[0].slug != page.items[0].slug)


asyncio.run(main())
