"""What commands print: typed JSON or JSON Lines for scripts, rich tables for people.

JSON is written with the json module straight to stdout (never through rich, which would
wrap long lines and read ``[...]`` as markup). ``json`` is one document over every page,
written as items arrive; ``jsonl`` is one object per line, flushed line by line, so a reader
like ``head -1`` gets its line at once. Values come from the SDK's own cattrs converter
(``avala._serde``): every model field, in model order, numbers as numbers, ``null`` kept,
timestamps in ISO 8601. Tables are for terminals; notes and progress go to stderr.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from os import PathLike, fspath
from typing import IO, Any

FORMATS = ("table", "json", "jsonl")
EMPTY = "—"
CELL_LIMIT = 300  # longer JSON cells are cut in tables (json/jsonl output is never cut)
ID_WIDTH = 40  # id columns are kept this wide at most rather than folded
HEADER_WIDTH = 12  # other columns keep at least their header's longest word, up to this
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:\+00:00|Z)$")


def to_data(value: Any) -> Any:
    """``value`` (a model, a list of models, a raw dict...) as plain JSON data."""
    from .._serde import converter

    return converter.unstructure(value)


def _default(value: Any) -> Any:
    """JSON for what the converter leaves as objects (paths, sets, enums)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, PathLike):
        return fspath(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any, *, indent: int | None = None) -> str:
    """``data`` as JSON text: keys in model order, non-ASCII kept as it is."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        data, indent=indent, separators=separators, ensure_ascii=False, default=_default
    )


class Output:
    """Writes results in one format: ``table``, ``json`` or ``jsonl``.

    Args:
        fmt: The format.
        stream: Where data goes (stdout when omitted).
    """

    def __init__(self, fmt: str, stream: IO[str] | None = None) -> None:
        self.fmt = fmt
        self._stream = stream

    @property
    def stream(self) -> IO[str]:
        return self._stream if self._stream is not None else sys.stdout

    def _write(self, text: str) -> None:
        stream = self.stream
        stream.write(text)
        stream.flush()

    def one(
        self,
        value: Any,
        *,
        title: str | None = None,
        rows: str | None = None,
        columns: Sequence[str] = (),
    ) -> None:
        """One result: an object (a detail table), or, with ``rows``, the list held in that
        field of it shown as a table of ``columns``."""
        data = to_data(value)
        if self.fmt == "json":
            self._write(dumps(data, indent=2) + "\n")
        elif self.fmt == "jsonl":
            self._write(dumps(data) + "\n")
        elif rows is not None and isinstance(data, dict):
            self._table(title, list(data.get(rows) or []), columns)
        elif isinstance(data, list):
            self._table(title, data, columns)
        else:
            self._detail(title, data)

    def many(
        self, items: Iterable[Any], *, columns: Sequence[str] = (), title: str | None = None
    ) -> int:
        """A list, consumed lazily; returns how many items were written.

        ``jsonl`` writes each item as it arrives, ``json`` writes one array as items arrive,
        ``table`` renders once every item is in.
        """
        count = 0
        if self.fmt == "jsonl":
            for item in items:
                self._write(dumps(to_data(item)) + "\n")
                count += 1
            return count
        if self.fmt == "json":
            for item in items:
                body = dumps(to_data(item), indent=2).replace("\n", "\n  ")
                self._write(("[\n  " if count == 0 else ",\n  ") + body)
                count += 1
            self._write("[]\n" if count == 0 else "\n]\n")
            return count
        rows = [to_data(item) for item in items]
        self._table(title, rows, columns)
        return len(rows)

    # ------------------------------------------------------------------ tables

    def _console(self) -> Any:
        from rich.console import Console

        return Console(file=self.stream, highlight=False, soft_wrap=False)

    def _table(self, title: str | None, rows: list[Any], columns: Sequence[str]) -> None:
        from rich.table import Table
        from rich.text import Text

        if not rows:
            note(f"No {title.lower() if title else 'results'}.")
            return
        names = list(columns) or default_columns(rows[0])
        cells = [
            [cell(row.get(name) if isinstance(row, dict) else row) for name in names]
            for row in rows
        ]
        console = self._console()
        widths = _min_widths(names, cells, console.width)
        table = Table(title=title, title_justify="left", expand=False)
        for name, width in zip(names, widths, strict=False):
            table.add_column(
                header(name), overflow="fold", min_width=width, no_wrap=_is_id(name) and width > 0
            )
        for line in cells:
            table.add_row(*(Text(value) for value in line))
        console.print(table)

    def _detail(self, title: str | None, data: Any) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column("Field", style="bold", no_wrap=True)
        table.add_column("Value", overflow="fold")
        if isinstance(data, dict):
            for key, value in data.items():
                table.add_row(Text(header(key)), Text(cell(value)))
        else:
            table.add_row(Text("Result"), Text(cell(data)))
        self._console().print(table)


def _is_id(name: str) -> bool:
    return name == "uid" or name.endswith("_uid")


def _min_widths(names: list[str], cells: list[list[str]], width: int) -> list[int]:
    """Column minimums that fit ``width``: ids whole and headers' longest words unbroken
    when there is room, ids alone when that is all there is room for, else none."""
    ids = [
        min(max(len(line[i]) for line in cells), ID_WIDTH) if _is_id(n) else 0
        for i, n in enumerate(names)
    ]
    words = [0 if _is_id(n) else min(max(map(len, header(n).split())), HEADER_WIDTH) for n in names]
    room = width - 4 * len(names) - 1  # borders, padding, and a margin rich needs
    for minimums in ([a + b for a, b in zip(ids, words, strict=False)], ids):
        if sum(minimums) <= room:
            return minimums
    return [0] * len(names)


def default_columns(row: Any, most: int = 6) -> list[str]:
    """The first ``most`` fields of ``row`` that hold plain values."""
    if not isinstance(row, dict):
        return ["value"]
    plain = [k for k, v in row.items() if not isinstance(v, (dict, list))]
    return plain[:most] or list(row)[:most]


_ACRONYMS = {"uid": "UID", "id": "ID", "url": "URL", "uuid": "UUID", "api": "API"}


def header(name: str) -> str:
    """A column header from a field name: ``item_count`` -> ``Item count``."""
    words = [_ACRONYMS.get(word, word) for word in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def cell(value: Any) -> str:
    """A table cell: ``—`` for null, yes/no, comma lists, compact JSON for structures, UTC
    timestamps to the minute."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        text = dumps(value)
        return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"
    if isinstance(value, str):
        stamp = _TIMESTAMP.match(value)  # a UTC timestamp, to the minute (JSON keeps it whole)
        if stamp:
            return f"{stamp.group(1)} {stamp.group(2)}"
    return str(value)


_notes = {"quiet": False}


def quiet_notes(quiet: bool) -> None:
    """Silence :func:`note` (``avala --quiet``) or not; errors are always shown."""
    _notes["quiet"] = quiet


def note(text: str) -> None:
    """A line for people, on stderr (never mixed into data on stdout)."""
    if _notes["quiet"]:
        return
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
