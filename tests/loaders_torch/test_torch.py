"""``avala.torch`` against the bundled server: samples, exactly-once sharding over ranks and
DataLoader workers (fork and spawn), and the media path (concurrency, retries, re-signing,
the host allow-list, no API key)."""

from __future__ import annotations

import functools
import hashlib
import pickle
import time
from collections import Counter
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

from torch.utils.data import ChainDataset, DataLoader  # noqa: E402

from avala import AsyncClient, Client  # noqa: E402
from avala.errors import DownloadError, DownloadIntegrityError  # noqa: E402
from avala.testing import Fault, ServerHandle  # noqa: E402
from avala.testing._media import Media  # noqa: E402
from avala.torch import AvalaDataset, AvalaIterableDataset  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    # DataLoader forks from a process where the bundled server runs on a thread
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)

OWNER = "demo"
SLUG = "drone-flights"  # 25 items: no world size x worker count here divides it
MEDIA = "/_storage/avala-local/media/"


def all_uids(client: Client, slug: str = SLUG) -> list[str]:
    return [item.uid for item in client.datasets.list_items(OWNER, slug)]


def media_requests(server: ServerHandle) -> list[Any]:
    return [r for r in server.state.requests if r.path.startswith(MEDIA)]


def expected_pixel(slug: str, key: str | None, x: int, y: int) -> tuple[int, int, int]:
    red, green, blue = hashlib.sha256(f"media/{OWNER}/{slug}/{key}".encode()).digest()[:3]
    return ((red + 7 * x) % 256, (green + 9 * y) % 256, blue)


def uid_and_size(sample: dict[str, Any]) -> tuple[str, tuple[int, int]]:
    """A transform that pickles cheaply back from a worker (module level, for spawn)."""
    return sample["uid"], sample["image"].size


# --------------------------------------------------------------------------- samples


def test_iterable_samples_match_items_and_decode(client: Client, local_env: ServerHandle) -> None:
    items = list(client.datasets.list_items(OWNER, "warehouse-cameras"))
    local_env.state.clear_requests()
    samples = list(AvalaIterableDataset(client, OWNER, "warehouse-cameras", decode_images=True))
    assert [s["uid"] for s in samples] == [i.uid for i in items]
    for sample, item in zip(samples, items, strict=True):
        assert set(sample) == {
            "uid", "key", "url", "annotations", "export_snippet", "metadata", "image"
        }  # fmt: skip
        assert (sample["key"], sample["annotations"]) == (item.key, item.annotations)
        assert (sample["export_snippet"], sample["metadata"]) == (
            item.export_snippet,
            item.metadata,
        )
        image = sample["image"]
        assert image.mode == "RGB" and image.size == (32, 24)
        assert image.getpixel((5, 3)) == expected_pixel("warehouse-cameras", item.key, 5, 3)
    fetched = media_requests(local_env)
    assert len(fetched) == len(items)  # one GET per item: nothing fetched twice
    for request in fetched:  # the key never leaves for the storage host
        assert request.header("X-Avala-Api-Key") is None
        assert request.header("Authorization") is None
    api = [r for r in local_env.state.requests if r.path.startswith("/api/v1/")]
    assert api and all(r.header("X-Avala-Api-Key") == local_env.api_key for r in api)


def test_without_decoding_no_media_is_fetched(client: Client, local_env: ServerHandle) -> None:
    local_env.state.clear_requests()
    seen = [s for s in AvalaIterableDataset(client, OWNER, SLUG, transform=dict, page_size=7)]
    assert len(seen) == 25 and all("image" not in s for s in seen)
    assert media_requests(local_env) == []
    pages = [r for r in local_env.state.requests if r.path.endswith(f"/{SLUG}/items/")]
    assert len(pages) == 4 and {r.query["limit"] for r in pages} == {"7"}


def test_transform_result_is_yielded(client: Client) -> None:
    got = list(
        AvalaIterableDataset(client, OWNER, SLUG, transform=uid_and_size, decode_images=True)
    )
    assert [uid for uid, _ in got] == all_uids(client)
    assert {size for _, size in got} == {(32, 24)}


def test_map_style_dataset_gets_each_item_afresh(client: Client, local_env: ServerHandle) -> None:
    uids = all_uids(client, "highway-lidar")
    dataset = AvalaDataset(client, OWNER, "highway-lidar", decode_images=True, page_size=20)
    assert len(dataset) == 48 and dataset.uids == uids
    local_env.state.clear_requests()
    sample = dataset[-1]
    assert sample["uid"] == uids[-1] and sample["image"].size == (32, 24)
    logged = [r.path for r in local_env.state.requests]
    assert logged[0] == f"/api/v1/datasets/{OWNER}/highway-lidar/items/{uids[-1]}/"
    assert logged[1].startswith(MEDIA + f"{OWNER}/highway-lidar/")
    batch = dataset.__getitems__([3, 1, 2])
    assert [s["uid"] for s in batch] == [uids[3], uids[1], uids[2]]
    with pytest.raises(IndexError, match="48 items"):
        dataset[48]
    with pytest.raises(TypeError, match="ints"):
        dataset["0"]  # type: ignore[index]


def test_map_style_with_dataloader_batches(client: Client) -> None:
    dataset = AvalaDataset(client, OWNER, SLUG, transform=uid_and_size, decode_images=True)
    loader = DataLoader(dataset, batch_size=4, num_workers=0, collate_fn=list)
    got = [uid for batch in loader for uid, _ in batch]
    assert got == all_uids(client)


# --------------------------------------------------------------------------- sharding


def shard_of(
    client: Client, rank: int, world_size: int, workers: int, context: str | None
) -> list[str]:
    dataset = AvalaIterableDataset(
        client,
        OWNER,
        SLUG,
        transform=uid_and_size,
        decode_images=True,
        page_size=4,
        rank=rank,
        world_size=world_size,
    )
    loader = DataLoader(
        dataset,
        batch_size=None,
        num_workers=workers,
        multiprocessing_context=context if workers else None,
    )
    return [uid for uid, size in loader if tuple(size) == (32, 24)]


@pytest.mark.parametrize("workers", [0, 1, 2])
@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_every_item_once_per_epoch_with_fork(client: Client, world_size: int, workers: int) -> None:
    expected = all_uids(client)
    shards = [shard_of(client, rank, world_size, workers, "fork") for rank in range(world_size)]
    seen = Counter(uid for shard in shards for uid in shard)
    assert set(seen) == set(expected) and set(seen.values()) == {1}
    lengths = [len(shard) for shard in shards]
    assert max(lengths) - min(lengths) <= max(1, workers)  # each worker's share differs by <= 1


def tagged(world_size: int, sample: dict[str, Any]) -> tuple[int, str, tuple[int, int]]:
    return world_size, sample["uid"], sample["image"].size


@pytest.mark.parametrize("workers", [1, 2])
def test_every_item_once_per_epoch_with_spawn(client: Client, workers: int) -> None:
    # Spawned workers are slow to start (each imports torch), so one DataLoader runs every
    # rank of world sizes 1-3 in turn: each of its workers iterates each rank's (pickled)
    # dataset, as that rank's own workers would.
    ranks = [
        AvalaIterableDataset(
            client,
            OWNER,
            SLUG,
            transform=functools.partial(tagged, world_size),
            decode_images=True,
            page_size=4,
            rank=rank,
            world_size=world_size,
        )
        for world_size in (1, 2, 3)
        for rank in range(world_size)
    ]
    loader = DataLoader(
        ChainDataset(ranks), batch_size=None, num_workers=workers, multiprocessing_context="spawn"
    )
    seen: dict[int, Counter[str]] = {1: Counter(), 2: Counter(), 3: Counter()}
    for world_size, uid, size in loader:
        assert tuple(size) == (32, 24)
        seen[int(world_size)][uid] += 1
    expected = set(all_uids(client))
    for world_size, counts in seen.items():
        assert set(counts) == expected and set(counts.values()) == {1}, world_size


def test_two_epochs_in_persistent_spawn_workers(client: Client) -> None:
    dataset = AvalaIterableDataset(client, OWNER, SLUG, transform=uid_and_size, decode_images=True)
    loader = DataLoader(
        dataset,
        batch_size=None,
        num_workers=2,
        multiprocessing_context="spawn",
        persistent_workers=True,
    )
    expected = sorted(all_uids(client))
    for _ in range(2):  # the workers' own clients serve both epochs
        assert sorted(uid for uid, _ in loader) == expected


def test_rank_from_the_environment_and_torch_distributed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = all_uids(client)
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "3")
    dataset = AvalaIterableDataset(client, OWNER, SLUG)
    assert dataset.shard() == (2, 3)
    assert [s["uid"] for s in dataset] == uids[2::3]
    # an initialised process group wins over the environment
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda: 4)
    assert [s["uid"] for s in dataset] == uids[1::4]
    # and the arguments win over both
    explicit = AvalaIterableDataset(client, OWNER, SLUG, rank=0, world_size=2)
    assert [s["uid"] for s in explicit] == uids[0::2]
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: False)
    monkeypatch.setenv("RANK", "3")
    with pytest.raises(ValueError, match="RANK=3 and WORLD_SIZE=3"):
        list(dataset)
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(ValueError, match="RANK='one' is not an integer"):
        list(dataset)


def test_pickled_dataset_rebuilds_its_client(client: Client, local_env: ServerHandle) -> None:
    dataset = AvalaIterableDataset(client, OWNER, SLUG, decode_images=True, read_ahead=3)
    copy = pickle.loads(pickle.dumps(dataset))
    state = copy._source._settings
    assert state is not None and local_env.api_key not in repr(state)
    assert local_env.api_key not in repr(copy) and local_env.api_key not in repr(dataset)
    assert [s["uid"] for s in copy] == all_uids(client)
    rebuilt = copy._source.client
    assert rebuilt is not client and rebuilt.base_url == client.base_url
    copy.close()
    assert rebuilt.is_closed and not client.is_closed  # only its own client
    mapped = pickle.loads(pickle.dumps(AvalaDataset(client, OWNER, SLUG)))
    assert mapped[0]["uid"] == all_uids(client)[0]
    mapped.close()


# --------------------------------------------------------------------------- media path


def test_read_ahead_is_bounded_and_concurrent(
    client: Client, local_env: ServerHandle, media: Media
) -> None:
    media.latency = 0.15
    local_env.state.clear_requests()
    ahead = 4
    dataset = AvalaIterableDataset(client, OWNER, SLUG, decode_images=True, read_ahead=ahead)
    samples = list(dataset)
    assert [s["uid"] for s in samples] == all_uids(client)  # in order
    arrived = [r.time for r in media_requests(local_env)]
    assert len(arrived) == 25
    # fetch i + ahead starts only once fetch i (which takes >= latency) is done
    assert all(arrived[i + ahead] - arrived[i] >= 0.14 for i in range(25 - ahead))
    # and up to `ahead` fetches are in flight together
    assert any(arrived[i + ahead - 1] - arrived[i] < 0.14 for i in range(25 - ahead))


def test_faults_on_media_are_retried(client: Client, local_env: ServerHandle, media: Media) -> None:
    items = list(client.datasets.list_items(OWNER, SLUG))
    faults = local_env.state.faults
    faults.push(
        Fault.status(503, path=MEDIA, contains=f"/{items[0].key}?"),
        Fault.reset(path=MEDIA, contains=f"/{items[1].key}?"),
        Fault.cut_response(10, path=MEDIA, contains=f"/{items[2].key}?"),
        Fault.corrupt_byte(40, path=MEDIA, contains=f"/{items[3].key}?"),
        Fault.delay(0.3, path=MEDIA, contains=f"/{items[4].key}?"),
    )
    local_env.state.clear_requests()
    samples = list(AvalaIterableDataset(client, OWNER, SLUG, decode_images=True))
    assert [s["uid"] for s in samples] == [i.uid for i in items]
    for sample, item in zip(samples[:5], items[:5], strict=True):
        assert sample["image"].getpixel((2, 2)) == expected_pixel(SLUG, item.key, 2, 2)
    assert faults.pending == []
    per_key = Counter(r.path.split("/", 6)[6] for r in media_requests(local_env))
    assert [per_key[i.key] for i in items[:5]] == [2, 2, 2, 2, 1]


def test_a_stalled_media_answer_is_cut_at_the_client_timeout(
    client: Client, local_env: ServerHandle, media: Media
) -> None:
    first = next(iter(client.datasets.list_items(OWNER, SLUG)))
    quick = client.with_options(timeout=0.3)
    local_env.state.faults.push(Fault.delay(5, path=MEDIA, contains=f"/{first.key}?"))
    local_env.state.clear_requests()
    started = time.monotonic()
    samples = list(AvalaIterableDataset(quick, OWNER, SLUG, decode_images=True))
    assert time.monotonic() - started < 4  # the stalled attempt was cut, then retried
    assert samples[0]["uid"] == first.uid and samples[0]["image"] is not None
    per_key = Counter(r.path.split("/", 6)[6] for r in media_requests(local_env))
    assert per_key[first.key] == 2
    local_env.state.faults.push(*[Fault.delay(5, path=MEDIA, contains=f"/{first.key}?")] * 2)
    dataset = AvalaIterableDataset(quick, OWNER, SLUG, decode_images=True, attempts=2)
    with pytest.raises(DownloadError, match=r"timed out after 0.3 s \(2 attempts\)"):
        list(dataset)


def test_expired_url_is_resigned_once_through_get_item(
    client: Client, local_env: ServerHandle, media: Media
) -> None:
    items = list(client.datasets.list_items(OWNER, SLUG))
    target = items[6]
    local_env.state.faults.push(Fault.expired_grant(path=MEDIA, contains=f"/{target.key}?"))
    local_env.state.clear_requests()
    samples = list(AvalaIterableDataset(client, OWNER, SLUG, decode_images=True))
    assert samples[6]["uid"] == target.uid and samples[6]["image"] is not None
    detail = f"/api/v1/datasets/{OWNER}/{SLUG}/items/{target.uid}/"
    assert [r.path for r in local_env.state.requests].count(detail) == 1
    # twice expired: one re-sign only, then a clear error without the signed URL
    local_env.state.faults.push(
        Fault.expired_grant(path=MEDIA, contains=f"/{target.key}?"),
        Fault.expired_grant(path=MEDIA, contains=f"/{target.key}?"),
    )
    with pytest.raises(DownloadError, match=f"item {target.uid} from 127.0.0.1: HTTP 403") as e:
        list(AvalaIterableDataset(client, OWNER, SLUG, decode_images=True))
    assert "Signature" not in str(e.value) and e.value.status_code == 403


def test_media_that_keeps_failing_raises(
    client: Client, local_env: ServerHandle, media: Media
) -> None:
    first = next(iter(client.datasets.list_items(OWNER, SLUG)))
    local_env.state.faults.push(
        *[Fault.status(502, path=MEDIA, contains=f"/{first.key}?")] * 2,
    )
    dataset = AvalaIterableDataset(client, OWNER, SLUG, decode_images=True, attempts=2)
    with pytest.raises(DownloadError, match="HTTP 502 \\(2 attempts\\)") as e:
        list(dataset)
    assert not isinstance(e.value, DownloadIntegrityError) and e.value.status_code == 502
    local_env.state.faults.push(
        *[Fault.corrupt_byte(7, path=MEDIA, contains=f"/{first.key}?")] * 2,
    )
    with pytest.raises(DownloadIntegrityError, match="x-amz-checksum-sha256"):
        list(dataset)
    local_env.state.faults.push(Fault.status(404, path=MEDIA, contains=f"/{first.key}?"))
    with pytest.raises(DownloadError, match="HTTP 404"):
        AvalaDataset(client, OWNER, SLUG, decode_images=True)[0]


def test_media_hosts_are_allow_listed(
    client: Client, local_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AVALA_ALLOW_INSECURE_STORAGE_URLS")
    local_env.state.clear_requests()
    dataset = AvalaIterableDataset(client, OWNER, SLUG, decode_images=True)
    with pytest.raises(DownloadError, match=r"127\.0\.0\.1 is not https") as e:
        list(dataset)
    assert "Signature" not in str(e.value) and "item " in str(e.value)
    assert media_requests(local_env) == []  # refused before any request
    # another https host may be allowed explicitly; plain http never is
    allowed = AvalaIterableDataset(
        client, OWNER, SLUG, decode_images=True, allowed_hosts=["127.0.0.1"]
    )
    with pytest.raises(DownloadError, match="not https"):
        list(allowed)


def test_stopping_early_leaves_the_client_usable(
    client: Client, local_env: ServerHandle, media: Media
) -> None:
    media.latency = 0.05
    iterator: Any = iter(
        AvalaIterableDataset(client, OWNER, SLUG, decode_images=True, read_ahead=8)
    )
    assert next(iterator)["image"] is not None
    iterator.close()  # the read-ahead is cancelled on the client's loop
    started = time.monotonic()
    assert len(all_uids(client)) == 25
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page_size": 0}, "page_size=0 is out of range"),
        ({"page_size": 1001}, "page_size=1001 is out of range"),
        ({"page_size": "10"}, "page_size='10' is not an int"),
        ({"rank": 1}, "world_size=None is missing"),
        ({"world_size": 2}, "rank=None is missing"),
        ({"rank": 2, "world_size": 2}, "rank=2 is not a rank of world_size=2"),
        ({"read_ahead": 0}, "read_ahead=0 is out of range"),
        ({"decode_images": "yes"}, "decode_images='yes' is not a bool"),
        ({"transform": 3}, "transform=3 is not callable"),
        ({"allowed_hosts": "cdn.example.com"}, "allowed_hosts='cdn.example.com' is a string"),
        ({"slug": ""}, "slug='' is not a name"),
    ],
)
def test_bad_arguments_are_named(client: Client, kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"owner": OWNER, "slug": SLUG, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        AvalaIterableDataset(client, **arguments)


async def test_async_client_is_refused(local_env: ServerHandle) -> None:
    async with AsyncClient() as aclient:
        with pytest.raises(ValueError, match=r"is an AsyncClient.*pass avala\.Client"):
            AvalaIterableDataset(aclient, OWNER, SLUG)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="is an AsyncClient"):
            AvalaDataset(aclient, OWNER, SLUG)  # type: ignore[arg-type]
