"""The one mechanism that turns an SDK method into a command.

A command is declared as data (:class:`Cmd`): its name in the official tree, the sync
``Client`` method it calls, and only what differs from that method (an option named
``--owner`` for the parameter ``owner_name``, choices, table columns). Everything else comes
from the method itself when the command is first used: its parameters become arguments
(positional ones) and options (keyword ones) with types read from the annotations, its
docstring gives the help, and its result decides the output (a paginator streams, a model is
a detail view, ``None`` is a note). A method with ``on_poll=`` or ``progress=`` gets a
progress display. So the SDK's own names, types and docs are the CLI's, kept in one place.

Groups are lazy (:class:`LazyGroup`): ``avala --help`` imports no SDK module; a group's
commands are built, and the SDK imported, only when one of them is asked for.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

#: The largest page asked for when ``--limit`` caps a list.
PAGE_MAX = 100


# ---------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Cmd:
    """A command that calls one SDK method.

    Attributes:
        name: The command's name (``get-sequence``).
        method: The sync client's method, as a dotted path (``datasets.get_sequence``).
        params: CLI name -> SDK parameter, where they differ: ``"uid": "device_id"`` makes
            the argument ``UID``; ``"--owner": "owner_name"`` an option. A boolean option
            may name both sides: ``"--enabled/--disabled": "enabled"``. A positional SDK
            parameter given an option name becomes that option.
        hide: SDK parameters not offered.
        optional: Required SDK parameters offered as optional options (``prepare`` fills
            them another way).
        choices: SDK parameter -> accepted values.
        columns: The fields shown as table columns for a list result.
        rows: A list field of the result shown as the table (for table output).
        confirm: A question asked before the call unless ``--yes`` (format fields: the SDK
            parameter names).
        done: A note printed when the call returns nothing.
        wait: A waiter method called with the result's uid when ``--wait`` is given.
        fallback: The method called instead when no optional option was given.
        prepare: Called with the SDK keyword arguments (a dict to adjust) and every parsed
            value before the call; returning False ends the command there (a dry run).
        extra: Factories of additional click parameters (handled by ``prepare``).
        help: Help text, instead of the method's docstring summary.
    """

    name: str
    method: str
    params: Mapping[str, str] = field(default_factory=dict)
    hide: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    rows: str | None = None
    confirm: str | None = None
    done: str | None = None
    wait: str | None = None
    fallback: str | None = None
    prepare: Callable[[dict[str, Any], dict[str, Any]], bool | None] | None = None
    extra: tuple[Callable[[], click.Parameter], ...] = ()
    help: str | None = None


@dataclass(frozen=True)
class Lazy:
    """A hand-written command, imported only when used: ``target`` is ``module:attribute``."""

    name: str
    target: str
    help: str


@dataclass(frozen=True)
class Group:
    """A command group and its commands (declared in the order shown)."""

    name: str
    help: str
    commands: tuple[Cmd | Lazy | Group, ...]


# ---------------------------------------------------------------------------- lazy groups


class LazyGroup(click.Group):
    """A group built from a :class:`Group`; each command is built on first use."""

    def __init__(self, spec: Group, name: str | None = None, **attrs: Any) -> None:
        attrs.setdefault("help", spec.help)
        super().__init__(name=name or spec.name, **attrs)
        self.spec = spec
        self._entries = {entry.name: entry for entry in spec.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands' names, in the order declared (nothing is built)."""
        return list(self._entries)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, built (and cached) on first use."""
        built = self.commands.get(cmd_name)
        if built is not None:
            return built
        entry = self._entries.get(cmd_name)
        if entry is None:
            return None
        if isinstance(entry, Group):
            built = LazyGroup(entry)
        elif isinstance(entry, Lazy):
            module, _, attribute = entry.target.partition(":")
            built = getattr(importlib.import_module(module), attribute)
        else:
            built = build(entry, self.spec.name)
        self.commands[cmd_name] = built
        return built

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the declarations: no command is built (or SDK imported)
        to show it."""
        rows = []
        for name, entry in self._entries.items():
            text = entry.help if isinstance(entry, (Group, Lazy)) else _short_help(entry)
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _short_help(entry: Cmd) -> str:
    if entry.help:
        return entry.help.split("\n\n")[0]
    return describe(entry.method)


# ---------------------------------------------------------------------------- the SDK side


def sdk_method(path: str) -> Callable[..., Any]:
    """The unbound method of the sync ``Client`` at ``path`` (``fleet.devices.list``).

    Resources are found through the annotations the generated classes carry: a client
    property's return type, or a parent resource's attribute type.
    """
    from .._sync.client import Client

    cls: Any = Client
    *resources, method = path.split(".")
    for attribute in resources:
        member = inspect.getattr_static(cls, attribute)
        if isinstance(member, functools.cached_property):
            name = member.func.__annotations__["return"]
            module = importlib.import_module(f"avala._sync.{attribute}")
        else:
            name = cls.__annotations__[attribute]
            module = sys.modules[cls.__module__]
        cls = getattr(module, name)
    return getattr(cls, method)  # type: ignore[no-any-return]


def bound_method(client: Any, path: str) -> Callable[..., Any]:
    """The method at ``path`` on a live client."""
    target = client
    for attribute in path.split("."):
        target = getattr(target, attribute)
    return target  # type: ignore[no-any-return]


_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _plain(text: str) -> str:
    """Docstring text without reST roles and literals."""
    return _ROLE.sub(r"\1", text).replace("``", "")


def parse_doc(doc: str | None) -> tuple[str, dict[str, str]]:
    """A Google-style docstring's summary (first paragraph) and its ``Args:`` entries."""
    text = inspect.cleandoc(doc or "")
    summary = _plain(" ".join(text.split("\n\n")[0].split()))
    args: dict[str, str] = {}
    current: str | None = None
    in_args = False
    for line in text.splitlines():
        if not line.startswith(" "):
            in_args = line.strip() == "Args:"
            current = None
            continue
        if not in_args:
            continue
        entry = re.match(r"^ {4}(\w+)(?: \([^)]*\))?: ?(.*)$", line)
        if entry:
            current = entry.group(1)
            args[current] = entry.group(2).strip()
        elif current is not None and line.strip():
            args[current] += " " + line.strip()
    return summary, {name: _plain(value) for name, value in args.items()}


@functools.cache
def describe(path: str) -> str:
    """The docstring summary of the SDK method at ``path``."""
    return parse_doc(sdk_method(path).__doc__)[0]


# ---------------------------------------------------------------------------- value types


class CommaList(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.5
    """``a,b,c`` -> ``["a", "b", "c"]`` (spaces around items dropped, empty items too)."""

    name = "a,b,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        return [item.strip() for item in str(value).split(",") if item.strip()]


class Json(click.ParamType):  # type: ignore[type-arg]
    """JSON text, or ``@path`` for a file holding it; checked to be of the expected kind."""

    name = "JSON"

    def __init__(self, expect: type | None = None) -> None:
        self.expect = expect

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        text = value
        if value.startswith("@"):
            try:
                text = Path(value[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                self.fail(f"cannot read {value[1:]!r}: {exc.strerror or exc}", param, ctx)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(
                f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                "pass JSON text, or @FILE to read it from a file",
                param,
                ctx,
            )
        if self.expect is not None and not isinstance(data, self.expect):
            kind = "an object {...}" if self.expect is dict else "an array [...]"
            self.fail(f"expected {kind}, got {type(data).__name__}", param, ctx)
        return data


def classify(annotation: Any) -> click.ParamType[Any] | str | None:
    """The click type for an SDK parameter's annotation (a string, as the generated
    modules postpone annotations); ``"bool"`` for flags; None for callbacks."""
    text = str(annotation).replace(" ", "")
    core = text[: -len("|None")] if text.endswith("|None") else text
    if "Callable" in core:
        return None
    simple: dict[str, click.ParamType[Any] | str] = {
        "bool": "bool",
        "int": click.INT,
        "float": click.FLOAT,
        "str": click.STRING,
        "str|int": click.STRING,
        "str|datetime": click.STRING,
        "Any": Json(),
    }
    if core in simple:
        return simple[core]
    if core.startswith("str|") and "PathLike" not in core:
        return click.STRING  # an id, or the model it identifies (``str | Export``)
    if core in ("Sequence[str]", "list[str]"):
        return CommaList()
    if core.startswith(("dict[", "Mapping[")):
        return Json(dict)
    if core.startswith(("Sequence[", "list[", "Iterable[")):
        return Json(list)
    if "PathLike" in core:
        return click.Path(path_type=Path)
    raise TypeError(f"no command-line type for the annotation {annotation!r}")


def make_param(
    name: str,
    dest: str,
    kind: click.ParamType[Any] | str,
    *,
    required: bool,
    default: Any,
    help: str | None,
    choices: tuple[str, ...] | None,
) -> click.Parameter:
    """An argument (``name`` without dashes) or an option for SDK parameter ``dest``."""
    ptype: Any = click.Choice(choices) if choices else kind
    if not name.startswith("-"):
        if required:
            return click.Argument([dest], type=ptype, required=True, metavar=name.upper())
        return click.Argument(
            [dest], type=ptype, required=False, default=default, metavar=name.upper()
        )
    if kind == "bool":
        decl = name if "/" in name else f"{name}/--no-{name[2:]}"
        return click.Option(
            [decl, dest], default=default, help=help, show_default=default is not None
        )
    if required:  # no default at all: click 8.3+ takes an explicit None as one given
        return click.Option([name, dest], type=ptype, required=True, help=help)
    show = default is not None and default is not False
    return click.Option([name, dest], type=ptype, default=default, help=help, show_default=show)


# ---------------------------------------------------------------------------- building


@dataclass
class Plan:
    """How a built command calls its method."""

    cmd: Cmd
    group: str
    names: list[str] = field(default_factory=list)  # SDK parameters offered, in order
    positional: list[str] = field(default_factory=list)  # the required positional ones
    paged: bool = False
    hooks: set[str] = field(default_factory=set)
    wait_timeout: float = 300.0


def build(cmd: Cmd, group: str) -> click.Command:
    """The click command for ``cmd`` (a command of ``group``)."""
    method = sdk_method(cmd.method)
    signature = inspect.signature(method)
    summary, arg_help = parse_doc(method.__doc__)
    cli_names = {sdk: cli for cli, sdk in cmd.params.items()}
    plan = Plan(cmd, group, paged="cursor" in signature.parameters)
    params: list[click.Parameter] = []
    for p in list(signature.parameters.values())[1:]:  # after self
        if p.name.startswith("_") or p.name in cmd.hide:
            continue
        if plan.paged and p.name in ("cursor", "page", "limit"):
            continue  # pages are walked for the caller; --limit caps the total
        if p.name in ("on_poll", "progress"):
            plan.hooks.add(p.name)
            continue
        kind = classify(p.annotation)
        if kind is None:
            continue  # other callbacks (per-file notes): the progress display covers them
        required = p.default is inspect.Parameter.empty and p.name not in cmd.optional
        positional = p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        name = cli_names.get(p.name) or (p.name if positional else "--" + p.name.replace("_", "-"))
        params.append(
            make_param(
                name,
                p.name,
                kind,
                required=required,
                default=None if p.default is inspect.Parameter.empty else p.default,
                help=arg_help.get(p.name),
                choices=cmd.choices.get(p.name),
            )
        )
        plan.names.append(p.name)
        if positional and required:
            plan.positional.append(p.name)
    params += _generic_options(cmd, plan)
    params += [factory() for factory in cmd.extra]

    def callback(**values: Any) -> None:
        run(plan, values)

    help_text = cmd.help or summary
    return click.Command(
        cmd.name,
        params=params,
        callback=callback,
        help=help_text,
        short_help=help_text.split("\n\n")[0],
    )


def _generic_options(cmd: Cmd, plan: Plan) -> list[click.Parameter]:
    from ._progress import QUIET_HELP

    options: list[click.Parameter] = []
    if plan.paged:
        options.append(
            click.Option(
                ["--limit"],
                type=click.IntRange(min=1),
                help="Stop after N results (pages are fetched as results are written; "
                "default: every result).",
            )
        )
    if cmd.wait:
        waiter = inspect.signature(sdk_method(cmd.wait)).parameters
        plan.wait_timeout = float(waiter["timeout"].default)
        options.append(
            click.Option(
                ["--wait"], is_flag=True, help="Wait until it is finished, showing progress."
            )
        )
        options.append(
            click.Option(
                ["--wait-timeout"],
                type=float,
                default=plan.wait_timeout,
                show_default=True,
                help="Seconds --wait waits in all.",
            )
        )
    if plan.hooks or cmd.wait:
        options.append(click.Option(["--quiet"], is_flag=True, help=QUIET_HELP))
    if cmd.confirm:
        options.append(
            click.Option(["--yes", "-y"], is_flag=True, help="Do not ask for confirmation.")
        )
    return options


# ---------------------------------------------------------------------------- running


def run(plan: Plan, values: dict[str, Any]) -> None:
    """Call the method with the parsed ``values`` and write its result."""
    from ._app import State
    from ._progress import Progress

    cmd = plan.cmd
    state = State.current()
    kwargs = {name: values[name] for name in plan.names if values.get(name) is not None}
    if cmd.confirm and not values.get("yes"):
        click.confirm(cmd.confirm.format(**values), abort=True, err=True)
    if cmd.prepare is not None and cmd.prepare(kwargs, values) is False:
        return
    method = cmd.method
    if cmd.fallback and set(kwargs) <= set(plan.positional):
        method = cmd.fallback
    limit = values.get("limit")
    if plan.paged and limit is not None:
        kwargs["limit"] = min(limit, PAGE_MAX)
    what = " ".join([plan.group, cmd.name, *(str(kwargs[n]) for n in plan.positional)])
    call = bound_method(state.client(), method)
    progress = Progress(what, quiet=bool(values.get("quiet")) or state.quiet)
    with contextlib.closing(progress):
        if "on_poll" in plan.hooks and method == cmd.method:
            kwargs["on_poll"] = progress.poll
        if "progress" in plan.hooks:
            kwargs["progress"] = progress.upload
        result = call(**kwargs)
        if cmd.wait and values.get("wait"):
            progress.what = f"{plan.group} {result.uid}"
            waiter = bound_method(state.client(), cmd.wait)
            result = waiter(result.uid, timeout=values["wait_timeout"], on_poll=progress.poll)
    emit(plan, result, values, limit)


def emit(plan: Plan, result: Any, values: Mapping[str, Any], limit: int | None) -> None:
    """Write a method's result in the chosen output format."""
    from ._app import State
    from ._output import note

    cmd = plan.cmd
    output = State.current().output
    title = plan.group.replace("-", " ").capitalize()
    if result is None:
        if cmd.done:
            note(cmd.done.format(**values))
        return
    if _is_paginator(result) or isinstance(result, list):
        items: Iterable[Any] = iter(result)
        if limit is not None:
            items = itertools.islice(items, limit)
        output.many(items, columns=cmd.columns, title=title)
        return
    rows_title = None if cmd.rows is None else cmd.rows.replace("_", " ").capitalize()
    output.one(result, title=rows_title, rows=cmd.rows, columns=cmd.columns)


def _is_paginator(value: Any) -> bool:
    from ..pagination import SyncPaginator

    return isinstance(value, SyncPaginator)
