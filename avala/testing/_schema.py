"""Declarative descriptions of the test server's collections, and the body validator.

A :class:`Table` says what a stored object looks like (its fields, id, parent and seed data);
an :class:`Endpoint` says where a table is served and with which verbs, filters, pagination
and actions, the way a Django REST framework ``ViewSet`` with a router does. The generic
handlers in ``_engine.py`` serve every endpoint from these descriptions; only behaviour that
is really particular to one endpoint is a small :class:`Action` function.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from aiohttp import web

    from ._engine import Call
    from ._store import Store

JSONDict = dict[str, Any]
Kind = Literal["str", "int", "float", "bool", "object", "array", "any", "datetime", "slug"]
Paging = Literal["cursor", "page", "array"]
Verb = Literal["list", "create", "retrieve", "update", "destroy"]
CRUD: frozenset[Verb] = frozenset({"list", "create", "retrieve", "update", "destroy"})
READ: frozenset[Verb] = frozenset({"list", "retrieve"})

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_TRUE = {True, "true", "True", "TRUE", "1", "yes", "on"}
_FALSE = {False, "false", "False", "FALSE", "0", "no", "off"}


class ApiError(Exception):
    """Raised by handlers and hooks to answer with a JSON error body."""

    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


def not_found() -> ApiError:
    """DRF's answer for a missing object (an unknown *route* answers differently)."""
    return ApiError(404, {"detail": "Not found."})


@dataclass(frozen=True)
class Field:
    """One field of a stored object.

    Attributes:
        kind: The JSON type the server checks on input.
        required: Must be present (and not blank or null) on create.
        default: Value when absent on create; a callable is called for each new object.
        read_only: Filled by the server; ignored in request bodies, as DRF does.
        items: For ``array`` fields, the kind of each element.
        ref: The table whose uid the value must name (checked on input).
        choices: Allowed values, only where every source agrees on them.
        nullable: Whether ``null`` is accepted.
        max_length: Longest accepted text.
        secret: Shown only in the response to create (e.g. a webhook's signing secret).
        write_only: Accepted and kept, never shown (request-only settings).
        create_only: Accepted on create, ignored on update.
    """

    kind: Kind = "str"
    required: bool = False
    default: Any = None
    read_only: bool = False
    items: Kind | None = None
    ref: str | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = True
    max_length: int | None = None
    secret: bool = False
    write_only: bool = False
    create_only: bool = False

    def initial(self) -> Any:
        """The value of an absent field on create."""
        return self.default() if callable(self.default) else self.default


def fields(**spec: Field | Kind) -> dict[str, Field]:
    """Shorthand: ``fields(name=Field(required=True), note="str")``."""
    return {name: f if isinstance(f, Field) else Field(kind=f) for name, f in spec.items()}


#: Fields every stored object has, filled by the server.
STAMPS = fields(
    uid=Field(read_only=True),
    created_at=Field(kind="datetime", read_only=True),
    updated_at=Field(kind="datetime", read_only=True),
)


@dataclass(frozen=True)
class Parent:
    """Where a child table hangs: its objects are grouped by the parent's id.

    Attributes:
        table: The parent table.
        field: The child's field holding the parent's id (a name starting with ``_`` is
            kept on the server and never shown).
    """

    table: str
    field: str


@dataclass(frozen=True)
class Table:
    """What a stored object is.

    Attributes:
        name: The table's name in the store.
        fields: Every field, in the order the server renders them.
        id_field: The field that identifies an object within its group.
        parent: The parent table, for nested collections.
        unique: Field tuples that must be unique within a group (DRF's unique validators).
        seed: Returns the seed objects (plain dicts; absent fields get their defaults).
        on_create: Adjusts a validated new object before it is stored (may raise ApiError).
        on_update: Called with the object and the validated changes of a PATCH/PUT before
            they are applied; may adjust the changes or raise ApiError.
        on_retrieve: Called on each detail read (state machines advance here).
        updated_field: The field set to "now" on each update, if any.
    """

    name: str
    fields: Mapping[str, Field]
    id_field: str = "uid"
    parent: Parent | None = None
    unique: tuple[tuple[str, ...], ...] = ()
    seed: Callable[[Store], Iterable[JSONDict]] | None = None
    on_create: Callable[[Call, JSONDict], None] | None = None
    on_update: Callable[[Call, JSONDict, JSONDict], None] | None = None
    on_retrieve: Callable[[Store, JSONDict], object] | None = None
    updated_field: str | None = "updated_at"


@dataclass(frozen=True)
class Scope:
    """One step from URL keywords to a parent object: ``Scope("projects", project_uid="uid")``
    finds the project whose ``uid`` is the URL's ``{project_uid}``."""

    table: str
    match: Mapping[str, str]

    def __init__(self, table: str, **match: str) -> None:
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "match", match)


@dataclass(frozen=True)
class Filter:
    """A list filter: query parameter ``query`` applied to ``field``.

    ``mode`` is ``exact`` (string equality), ``icontains`` (case-insensitive substring),
    ``bool`` (``true``/``false``) or ``iexact``.
    """

    query: str
    field: str | None = None
    mode: Literal["exact", "icontains", "bool", "iexact"] = "exact"

    @property
    def target(self) -> str:
        return self.field or self.query


@dataclass(frozen=True)
class Action:
    """An extra route on an endpoint: ``detail=True`` hangs it under one object
    (``{detail}{name}/``), else under the collection (``{path}{name}/``); an empty ``name``
    is the detail or collection URL itself."""

    name: str
    handler: Callable[[Call], Awaitable[web.StreamResponse]]
    method: str = "POST"
    detail: bool = True


@dataclass(frozen=True)
class Endpoint:
    """Where and how a table is served (a ViewSet and its router entry).

    Attributes:
        table: The table served.
        path: The collection URL under ``/api/v1``; ``{kw}`` segments select parents.
        scope: How the URL's keywords find the parent chain, outermost first.
        detail: The detail URL relative to ``path`` (``""`` for a singleton at ``path``).
        lookup: Detail URL keyword -> field.
        verbs: Which generic verbs are routed.
        update_method: ``PATCH`` (partial) or ``PUT`` (also partial here, as the API does
            for consensus config).
        paging: ``cursor``, ``page`` (page numbers with ``count``) or ``array`` (bare list).
        page_size: Default page size.
        filters: Query filters on list.
        required_query: Query parameters list needs.
        ordering: Fields ``?ordering=`` accepts (``-field`` for descending).
        create_status: Status of a successful create (201; 202 for queued jobs).
        singleton: One object per parent, created from defaults on first read.
        actions: Extra routes.
        anonymous: Served without an API key.
        present: Rewrites the JSON text of each list page's results and each detail
            answer before it is sent (the item endpoints sign media URLs here).
    """

    table: Table
    path: str
    scope: tuple[Scope, ...] = ()
    detail: str | None = "{uid}/"
    lookup: Mapping[str, str] = field(default_factory=lambda: {"uid": "uid"})
    verbs: frozenset[Verb] = CRUD
    update_method: Literal["PATCH", "PUT"] = "PATCH"
    paging: Paging = "cursor"
    page_size: int = 100
    filters: tuple[Filter, ...] = ()
    required_query: tuple[str, ...] = ()
    ordering: tuple[str, ...] = ()
    create_status: int = 201
    singleton: bool = False
    actions: tuple[Action, ...] = ()
    anonymous: bool = False
    present: Callable[[Call, str], str] | None = None


# --------------------------------------------------------------------------- validation


class Validator:
    """Checks a request body against a table's fields, collecting DRF-shaped errors."""

    def __init__(self, store: Store, table: Table, data: JSONDict, *, partial: bool) -> None:
        self.store = store
        self.table = table
        self.data = data
        self.partial = partial
        self.errors: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def clean(self) -> JSONDict:
        """The accepted values (read-only and unknown keys dropped).

        Raises:
            ApiError: 400 with ``{field: [messages]}``.
        """
        out: JSONDict = {}
        for name, spec in self.table.fields.items():
            if spec.read_only or name.startswith("_") or (self.partial and spec.create_only):
                continue
            if name not in self.data:
                if spec.required and not self.partial:
                    self.fail(name, "This field is required.")
                continue
            value = self.value(name, spec, self.data[name])
            if name not in self.errors:
                out[name] = value
        if self.errors:
            raise ApiError(400, self.errors)
        return out

    def value(self, name: str, spec: Field, value: Any) -> Any:
        if value is None:
            if spec.required or not spec.nullable:
                self.fail(name, "This field may not be null.")
            return None
        if spec.ref is not None:  # DRF's SlugRelatedField(slug_field="uid")
            if not isinstance(value, str):
                self.fail(name, "Invalid value.")
            elif self.store.find(spec.ref, uid=value) is None:
                self.fail(name, f"Object with uid={value} does not exist.")
            return value
        checked = self.check(name, spec.kind, value, spec)
        if checked is None or name in self.errors:
            return checked
        if spec.choices is not None and checked not in spec.choices:
            self.fail(name, f'"{value}" is not a valid choice.')
        return checked

    def check(self, name: str, kind: Kind, value: Any, spec: Field | None = None) -> Any:
        if kind == "any":
            return value
        if kind in ("str", "slug", "datetime"):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.fail(name, "Not a valid string.")
                return None
            text = str(value).strip()
            if not text and spec is not None and spec.required:
                self.fail(name, "This field may not be blank.")
                return None
            limit = None if spec is None else spec.max_length
            if limit is not None and len(text) > limit:
                self.fail(name, f"Ensure this field has no more than {limit} characters.")
                return None
            if kind == "slug" and not _SLUG.fullmatch(text):
                self.fail(
                    name,
                    'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
                )
                return None
            if kind == "datetime":
                try:
                    datetime.fromisoformat(text.replace("Z", "+00:00"))
                except ValueError:
                    self.fail(
                        name,
                        "Datetime has wrong format. Use one of these formats instead: "
                        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                    )
                    return None
            return text
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                self.fail(name, "A valid integer is required.")
                return None
            try:
                return int(value)
            except (TypeError, ValueError):
                self.fail(name, "A valid integer is required.")
                return None
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                self.fail(name, "A valid number is required.")
                return None
            try:
                return float(value)
            except ValueError:
                self.fail(name, "A valid number is required.")
                return None
        if kind == "bool":
            try:
                if value in _TRUE:
                    return True
                if value in _FALSE:
                    return False
            except TypeError:  # unhashable (list, dict)
                pass
            self.fail(name, "Must be a valid boolean.")
            return None
        if kind == "object":
            if not isinstance(value, dict):
                kind_name = type(value).__name__
                self.fail(name, f'Expected a dictionary of items but got type "{kind_name}".')
                return None
            return value
        # array
        if not isinstance(value, list):
            self.fail(name, f'Expected a list of items but got type "{type(value).__name__}".')
            return None
        item_kind = None if spec is None else spec.items
        if item_kind is None:
            return value
        return [self.check(name, item_kind, item) for item in value]


def check_body(data: JSONDict, required: Iterable[str]) -> None:
    """Raise DRF's 400 for each of ``required`` missing from an action's body."""
    errors = {name: ["This field is required."] for name in required if data.get(name) is None}
    if errors:
        raise ApiError(400, errors)
