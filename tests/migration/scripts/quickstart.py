"""The official SDK's README quick start, as a script: a module-level client that is never
closed, one page of datasets, a lookup, an export waited on, and filtered tasks."""

from avala import Avala, Client  # or: from avala import Avala

client = Client()  # reads AVALA_API_KEY env var

# List datasets
page = client.datasets.list(limit=10)
for dataset in page:
    print(dataset.uid, dataset.name)

# Get a specific dataset
first = page.items[0]
dataset = client.datasets.get(first.uid)
print("got", dataset.slug, dataset.item_count)

# Create an export and wait for completion
project = client.projects.list().items[0]
export = client.exports.create(project=project.uid)
finished = client.exports.wait(export.uid)  # polls until done
print("export", finished.status, finished.download_url is not None)

# List tasks with filters
tasks = client.tasks.list(project=project.uid, status="pending")
print("pending tasks", len(tasks.items), all(t.status == "pending" for t in tasks.items))

# The other name of the client
with Avala() as other:
    print("avala alias", other.projects.get(project.uid).name == project.name)
