"""Slices and their items (the official SDK's ``avala.types.slice``; the classes of
:mod:`avala.models.slices`).

Also here: ``SubSlice``, the typed dict of a ``sub_slices`` entry passed to
``slices.create()`` (a plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.slice.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.slices import (
    Slice as Slice,
    SliceItem as SliceItem,
    SubSlice as SubSlice,
)

__all__ = [
    "Slice",
    "SliceItem",
    "SubSlice",
]
