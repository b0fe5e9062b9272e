"""Paging by hand, as the official SDK's README and its own helpers do: ``has_more`` and
``next_cursor`` fed back as ``cursor=``, reading ``page.items``."""

from avala import Client

client = Client()

page = client.datasets.list(limit=2)
print("first page", len(page.items), page.has_more)

# Manual pagination
if page.has_more:
    next_page = client.datasets.list(cursor=page.next_cursor, limit=2)
    print("second page", [d.slug for d in next_page.items])

slugs: list[str] = []
cursor = None
while True:
    page = client.datasets.list(limit=3, cursor=cursor)
    slugs.extend(d.slug for d in page.items)
    if not page.has_more:
        break
    cursor = page.next_cursor
print("every dataset", len(slugs), len(set(slugs)) == len(slugs))

# Organizations are page-number paginated (0.10 fixed this on the sync client only)
orgs = client.organizations.list()
print("organizations", [o.slug for o in orgs.items])
print("slug_for_uid", client.organizations.slug_for_uid(orgs.items[0].uid) == orgs.items[0].slug)

items = client.datasets.list_items("demo", "highway-lidar", limit=5)
print("items", len(items.items), items.has_more)
client.close()
