"""The demo: start the bundled Avala server on loopback and run the SDK's main flows.

Run it with ``python -m avala.demo``. It needs no account and no network: the key comes from
the environment, exactly as in production, but points at the local server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import AsyncClient, Client, __version__
from .errors import AuthenticationError
from .models import UploadProgress
from .testing import serve
from .webhooks import WebhookError, construct_event


def step(title: str) -> None:
    """Print a section heading."""
    print(f"\n== {title}")


async def async_flows() -> None:
    """The same environment through AsyncClient: a page, a lazy walk, items."""
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


class _Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that checks every delivery's signature."""

    secret = ""
    received: list[str]


class _Delivery(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = construct_event(body, dict(self.headers), self.server.secret)
        except WebhookError as error:
            self.server.received.append(f"rejected: {error}")
            self.send_response(400)
        else:
            self.server.received.append(f"verified {event.event} ({event.delivery_id})")
            self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def webhook_tour(client: Client) -> None:
    """Create a webhook aimed at a local receiver that verifies each signed delivery."""
    receiver = _Receiver(("127.0.0.1", 0), _Delivery)
    receiver.received = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/avala/webhooks"
        hook = client.webhooks.create(target_url=url, events=["export.completed"])
        receiver.secret = hook.secret or ""  # shown once, at creation
        print(
            f"webhook -> {url}; secret returned once, never in a repr: {'secret' not in repr(hook)}"
        )
        report = client.webhooks.test(hook.uid)  # the server POSTs a signed test event
        print(f"receiver: {receiver.received[-1]}; server saw HTTP {report.get('status_code')}")
        receiver.secret = "not-the-secret"
        client.webhooks.test(hook.uid)
        print(f"with a wrong secret the receiver says: {receiver.received[-1][:60]}...")
        client.webhooks.delete(hook.uid)
    finally:
        receiver.shutdown()
        receiver.server_close()


def fleet_tour(client: Client) -> None:
    """Acknowledge the first open fleet alert."""
    alert = next(iter(client.fleet.alerts.list(status="open")))
    print(f"open alert: {alert.message} (severity {alert.severity})")
    done = client.fleet.alerts.acknowledge(alert.uid)
    print(f"acknowledged by {done.acknowledged_by}: status {done.status}")


def _text_progress(progress: UploadProgress) -> None:
    """A progress line per file, for when tqdm (``avala[progress]``) is not installed."""
    print(
        f"  {progress.uploaded_files}/{progress.total_files} files, "
        f"{progress.uploaded_bytes:,}/{progress.total_bytes:,} bytes"
    )


def upload_tour(client: Client, workdir: Path) -> None:
    """Upload a small folder as a new dataset, with a progress bar."""
    folder = workdir / "street-frames"
    folder.mkdir()
    for i in range(12):
        (folder / f"frame_{i:03d}.jpg").write_bytes(bytes([i]) * 200_000)
    bar: Callable[[UploadProgress], object]
    try:
        from .uploads import progress_bar

        bar = progress_bar("Uploading", file=sys.stdout, ascii=True)
    except ImportError:
        bar = _text_progress
    dataset = client.datasets.create_from_local(
        source=folder, name="Street frames", slug="street-frames", data_type="image", progress=bar
    )
    print(f"dataset {dataset.slug}: {dataset.item_count} items, {dataset.size_bytes:,} bytes")


def cli_tour() -> None:
    """Two ``avala`` commands, run as a user would, with the same environment."""
    for args in (["auth", "check"], ["-o", "jsonl", "datasets", "list", "--limit", "2"]):
        print(f"$ avala {' '.join(args)}", flush=True)
        done = subprocess.run([sys.executable, "-m", "avala.cli", *args], check=False)
        if done.returncode != 0:
            print(f"(exit {done.returncode})")


def main() -> int:
    """Run the demo; returns the exit status."""
    print(f"avala {__version__} demo")
    with serve() as server, tempfile.TemporaryDirectory() as workdir:
        # Upload progress is kept under the per-user state directory; the demo's goes with it.
        os.environ.setdefault("AVALA_STATE_DIR", str(Path(workdir) / "state"))
        # A profile saved with `avala configure` is left alone too (the demo uses the env).
        os.environ.setdefault("AVALA_CONFIG_DIR", str(Path(workdir) / "config"))
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
            print(f"finished: {done.status}")
            got = client.exports.download(done, Path(workdir) / "export.json")
            print(
                f"downloaded {got.path.name}: {got.size:,} bytes, verified "
                f"(sha256 {got.sha256[:12]}...), storage never saw the key"
            )

            step("A webhook, its signature checked by a local receiver")
            webhook_tour(client)

            step("Fleet: acknowledge an open alert")
            fleet_tour(client)

            step("Upload a folder into a new dataset (resumable, verified)")
            upload_tour(client, Path(workdir))

        step("The same from a shell: the avala command line")
        cli_tour()
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
