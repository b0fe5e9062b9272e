"""The one way a bench writes its block of docs/performance.md (no dependencies)."""

from __future__ import annotations

from pathlib import Path


def rewrite_doc(path: Path, block: str, begin: str, end: str) -> None:
    """Replace what lies between the markers ``begin`` and ``end`` in ``path`` with
    ``block`` (appending the pair to the file the first time); every bench writes its own
    block of docs/performance.md through this."""
    text = path.read_text(encoding="utf-8")
    first, last = text.find(begin), text.find(end)
    if first < 0 and last < 0:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
        first, last = text.find(begin), text.find(end)
    if first < 0 or last < first:
        raise RuntimeError(f"{path} has a broken {begin!r} ... {end!r} pair")
    path.write_text(f"{text[: first + len(begin)]}\n{block}{text[last:]}", encoding="utf-8")
