"""Parsing the references :func:`avala.load` accepts."""

from __future__ import annotations

import re
import uuid

import attrs

from ..errors import DatasetReferenceError

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9._-]{0,62}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_URI_PREFIX = "avala://datasets/"
FORMS = (
    "'owner/dataset', 'owner/dataset@<alias>', 'owner/dataset@<64 hex sha256>' or "
    "'avala://datasets/<uuid>@<sha256>'"
)
DEFAULT_ALIAS = "main"


@attrs.frozen
class Reference:
    """A parsed reference: by name (``owner``, ``dataset``, ``selector``) or by uid
    (``dataset_uid`` and ``selector``, always a SHA-256)."""

    text: str
    selector: str
    owner: str | None = None
    dataset: str | None = None
    dataset_uid: str | None = None

    @property
    def pinned(self) -> bool:
        """Whether the selector is a SHA-256 (immutable) rather than an alias."""
        return bool(_SHA256.match(self.selector))

    @property
    def resolve_path(self) -> str:
        """The resolve path under the API base."""
        if self.dataset_uid is not None:
            return f"/resolve/uid/{self.dataset_uid}/{self.selector}/"
        return f"/resolve/{self.owner}/{self.dataset}@{self.selector}/"

    @property
    def requested(self) -> str:
        """The reference as the resolver echoes it in ``requested_reference``."""
        if self.dataset_uid is not None:
            return f"{_URI_PREFIX}{self.dataset_uid}@{self.selector}"
        return f"{self.owner}/{self.dataset}@{self.selector}"


def _bad(value: object, problem: str) -> DatasetReferenceError:
    return DatasetReferenceError(f"Invalid dataset reference {value!r}: {problem}. Use {FORMS}.")


def _selector(text: object, value: str, *, origin: str) -> str:
    if _SHA256.match(value):
        return value.lower()
    if _ALIAS.match(value):
        return value
    raise _bad(
        text,
        f"the {origin} {value!r} is neither 64 hex characters nor an alias "
        "(a lower-case letter, then up to 62 of a-z, 0-9, '.', '_', '-')",
    )


def parse_reference(reference: object, revision: object = None) -> Reference:
    """Parse ``reference`` (and an optional separate ``revision``).

    Raises:
        DatasetReferenceError: the reference is malformed, or names a revision both in
            itself and in ``revision``.
    """
    if not isinstance(reference, str):
        raise DatasetReferenceError(
            f"reference must be a str such as 'owner/dataset@main', got {type(reference).__name__}."
        )
    if revision is not None and not isinstance(revision, str):
        raise DatasetReferenceError(
            f"revision must be a str (an alias or a 64 hex SHA-256), got {type(revision).__name__}."
        )
    text = reference.strip()
    if text != reference or not text:
        raise _bad(reference, "it is empty or has surrounding whitespace")
    body, at, selector = text.partition("@")
    if at and not selector:
        raise _bad(reference, "nothing follows '@'")
    if at and revision is not None:
        raise DatasetReferenceError(
            f"Ambiguous dataset reference {reference!r}: it names the revision "
            f"{selector!r} and revision={revision!r} names another. Give the revision in "
            "one place only."
        )
    chosen = selector if at else revision
    origin = "selector" if at else "revision argument"
    if body.startswith(_URI_PREFIX):
        raw_uid = body[len(_URI_PREFIX) :]
        try:
            dataset_uid = str(uuid.UUID(raw_uid))
        except ValueError:
            raise _bad(reference, f"{raw_uid!r} is not a dataset uuid") from None
        if chosen is None or not _SHA256.match(chosen):
            raise _bad(reference, "an avala:// reference needs '@<64 hex sha256>'")
        return Reference(text=text, selector=chosen.lower(), dataset_uid=dataset_uid)
    if "://" in body:
        raise _bad(reference, "only the avala://datasets/ scheme is accepted")
    parts = body.split("/")
    if len(parts) != 2:
        raise _bad(reference, "expected exactly one '/' between owner and dataset")
    owner, dataset = parts
    for label, name in (("owner", owner), ("dataset", dataset)):
        if not _NAME.match(name):
            raise _bad(
                reference,
                f"the {label} {name!r} must start with a letter or digit and contain only "
                "letters, digits, '.', '_' and '-'",
            )
    sel = DEFAULT_ALIAS if chosen is None else _selector(reference, chosen, origin=origin)
    return Reference(text=text, selector=sel, owner=owner, dataset=dataset)
