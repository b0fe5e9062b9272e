"""The demo: start the bundled Avala server on loopback and run the SDK's main flows.

Run it with ``python -m avala.demo``. It needs no account and no network: the key comes from
the environment, exactly as in production, but points at the local server.
"""

from __future__ import annotations

import asyncio
import os
import sys

from . import AsyncClient, Client, __version__
from .errors import AuthenticationError
from .testing import serve


def step(title: str) -> None:
    print(f"\n== {title}")


async def async_flows() -> None:
    async with AsyncClient() as client:  # same environment, the async surface
        page = await client.datasets.list(limit=2)
        print(f"first page: {[d.slug for d in page.items]} (more pages: {page.has_more})")
        count = 0
        async for _ in client.datasets.list(limit=2):
            count += 1
        print(f"auto-pagination walked {count} datasets, 2 per request")
        first = page.items[0]
        owner = first.owner_name or ""
        items = [item async for item in client.datasets.list_items(owner, first.slug, limit=20)]
        print(f"{owner}/{first.slug} has {len(items)} items, fetched 20 per request")


def main() -> int:
    print(f"avala {__version__} demo")
    with serve() as server:
        step("Configuration from the environment")
        os.environ["AVALA_BASE_URL"] = server.base_url
        os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"  # http is allowed for localhost only
        os.environ["AVALA_API_KEY"] = server.api_key
        print(f"AVALA_BASE_URL={server.base_url}")
        print("AVALA_API_KEY=<set> (the SDK never prints or logs it)")

        step("Sync Client: list datasets")
        with Client() as client:  # reads AVALA_API_KEY automatically
            print(f"key from: {client.credential.provider}")
            for dataset in client.datasets.list():
                kind = dataset.data_type or "-"
                print(
                    f"  {dataset.name:<20} {kind:<6} {dataset.item_count:>4} items"
                    f"  {dataset.visibility}"
                )

            step("AsyncClient: a page, then every dataset lazily")
            asyncio.run(async_flows())

            step("Authentication errors")
            with Client(api_key="invalid_key") as bad:
                try:
                    bad.datasets.list()
                except AuthenticationError as e:
                    print(f"Authentication failed: {e.message}")
            saved = os.environ.pop("AVALA_API_KEY")
            try:
                Client()
            except ValueError as e:
                print(f"No key anywhere -> ValueError before any request:\n  {e}")
            finally:
                os.environ["AVALA_API_KEY"] = saved

            step("Export a project and wait for it")
            project = client.projects.list().items[0]
            export = client.exports.create(project=project.uid)
            print(f"created export {export.uid} for {project.name!r}: {export.status}")
            done = client.exports.wait(
                export.uid, interval=0.2, on_poll=lambda e: print(f"  ... {e.status}")
            )
            print(f"finished: {done.status}, download at {done.download_url}")
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
