"""A resolver played by aioresponses: the documents of one revision, built so that a test can
break exactly one rule (no fixtures here)."""

from __future__ import annotations

import copy
import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any

from aioresponses import aioresponses
from yarl import URL

BASE = "https://api.avala.ai/api/v1"
STORAGE = "https://bucket.s3.us-east-1.amazonaws.com"
JSON = dict[str, Any]


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


class FakeResolver:
    """One published revision: ``objects`` are ``(role, ordinal, path, data, episode)``."""

    def __init__(
        self,
        objects: list[tuple[str, int, str, bytes, int | None]] | None = None,
        *,
        base: str = BASE,
        page_size: int = 2,
    ) -> None:
        if objects is None:
            objects = [
                ("episode", 0, "episodes/0.json", b'{"e":0}', None),
                ("frame", 0, "frames/0.bin", b"frame zero", 0),
                ("frame", 1, "frames/1.bin", b"frame one!", 0),
            ]
        self.base = base
        self.page_size = page_size
        self.uid = str(uuid.uuid4())
        self.sha = hashlib.sha256(self.uid.encode()).hexdigest()
        self.canonical = f"avala://datasets/{self.uid}@{self.sha}"
        self.objects_path = f"/resolve/uid/{self.uid}/{self.sha}/objects/"
        self.data: dict[str, bytes] = {}
        self.entries: list[JSON] = []
        for role, ordinal, path, data, episode in objects:
            object_uid = str(uuid.uuid4())
            self.data[object_uid] = data
            self.entries.append(
                {
                    "object_uid": object_uid,
                    "logical_path": path,
                    "role": role,
                    "ordinal": ordinal,
                    "episode_ordinal": episode,
                    "content_type": "application/octet-stream",
                    "origin": "upload",
                    "size_bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "access_path": f"{self.objects_path}{object_uid}/access/",
                }
            )
        self.manifest_sha = hashlib.sha256(repr(self.entries).encode()).hexdigest()
        self.resolve_doc: JSON = {
            "schema_version": 1,
            "requested_reference": f"acme/things@{self.sha}",
            "display_reference": f"acme/things@{self.sha}",
            "canonical_reference": self.canonical,
            "dataset_uid": self.uid,
            "revision_uid": str(uuid.uuid4()),
            "revision_sha256": self.sha,
            "state": "published",
            "manifest": {
                "schema_version": 1,
                "sha256": self.manifest_sha,
                "object_count": len(self.entries),
                "total_size_bytes": sum(len(d) for d in self.data.values()),
                "origins": ["upload"],
                "objects_path": self.objects_path,
            },
            "rights": {
                "status": "declared",
                "access": "open_download",
                "name": "CC-BY-4.0",
                "url": "https://creativecommons.org/licenses/by/4.0/",
                "document_sha256": "a" * 64,
                "attestation_sha256": "b" * 64,
            },
        }

    @property
    def reference(self) -> str:
        return f"acme/things@{self.sha}"

    def url(self, path: str, query: dict[str, str] | None = None) -> URL:
        url = URL(self.base + path)
        return url.with_query(query) if query else url

    def pages(self) -> list[tuple[str | None, JSON]]:
        """(cursor asked with, page) for every page."""
        out: list[tuple[str | None, JSON]] = []
        chunks = [
            self.entries[i : i + self.page_size]
            for i in range(0, max(len(self.entries), 1), self.page_size)
        ]
        for index, chunk in enumerate(chunks):
            following = str(index + 1) if index + 1 < len(chunks) else None
            out.append(
                (
                    None if index == 0 else str(index),
                    {
                        "schema_version": 1,
                        "canonical_reference": self.canonical,
                        "revision_sha256": self.sha,
                        "manifest_sha256": self.manifest_sha,
                        "next_cursor": following,
                        "previous_cursor": None,
                        "results": copy.deepcopy(chunk),
                    },
                )
            )
        return out

    def grant(
        self, entry: JSON, *, ttl: float = 60, provider: str = "aws_s3", url: str | None = None
    ) -> JSON:
        return {
            "schema_version": 1,
            "provider": provider,
            "url": url or f"{STORAGE}/objects/{entry['object_uid']}?X-Sig=secret",
            "method": "GET",
            "canonical_reference": self.canonical,
            "revision_sha256": self.sha,
            "object_uid": entry["object_uid"],
            "size_bytes": entry["size_bytes"],
            "sha256": entry["sha256"],
            "range_supported": True,
            "expires_at": iso(time.time() + ttl),
        }

    def register(
        self,
        mock: aioresponses,
        *,
        resolve: JSON | None = None,
        pages: list[tuple[str | None, JSON]] | None = None,
        grant: Callable[[JSON], JSON] | None = None,
        grant_headers: dict[str, str] | None = None,
        grant_method: str = "POST",
        body: Callable[[JSON], bytes] | None = None,
        storage: bool = True,
    ) -> None:
        """Answer the resolve, every page, every grant and every download (repeatedly)."""
        mock.get(
            self.url(f"/resolve/acme/things@{self.sha}/"),
            payload=resolve or self.resolve_doc,
            repeat=True,
        )
        mock.get(
            self.url(f"/resolve/uid/{self.uid}/{self.sha}/"),
            payload=resolve or self.resolve_doc,
            repeat=True,
        )
        for cursor, page in pages if pages is not None else self.pages():
            query = {"limit": "100"} if cursor is None else {"limit": "100", "cursor": cursor}
            mock.get(self.url(self.objects_path, query), payload=page, repeat=True)
        for entry in self.entries:
            doc = (grant or self.grant)(entry)
            headers = {"Date": formatdate(time.time(), usegmt=True), **(grant_headers or {})}
            access = self.url(entry["access_path"], {"transport": "avala-edge-v1"})
            add = mock.post if grant_method == "POST" else mock.get
            add(access, payload=doc, headers=headers, repeat=True)
            if storage:
                data = body(entry) if body else self.data[entry["object_uid"]]
                mock.get(URL(doc["url"], encoded=True), body=data, repeat=True)
