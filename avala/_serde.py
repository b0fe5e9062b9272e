"""The one cattrs converter that turns response JSON into attrs models.

Lenient by default: fields the server adds are ignored, so an old client keeps working.
``make_converter(strict=True)`` forbids unknown keys; the test suite uses it to prove the
models cover what the server sends.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from typing_extensions import is_typeddict

from .errors import APIResponseValidationError

T = TypeVar("T")

_ANY_DICT = dict[str, Any]
_ANY_LIST = list[dict[str, Any]]


_FRACTION = re.compile(r"\.(\d+)")
_OLD_FROMISOFORMAT = sys.version_info < (3, 11)


def _six_digits(match: re.Match[str]) -> str:
    return "." + (match.group(1) + "000000")[:6]


def _parse_datetime(value: Any, _: type) -> datetime:
    if type(value) is str and not _OLD_FROMISOFORMAT and not value.endswith("z"):
        parsed = datetime.fromisoformat(value)  # 3.11+ reads "Z" and any fraction itself
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        if _OLD_FROMISOFORMAT:  # 3.10 accepts only 3 or 6 fractional digits
            text = _FRACTION.sub(_six_digits, text, count=1)
        parsed = datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _passthrough_dict(value: Any, _: type) -> Any:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _passthrough_list(value: Any, _: type) -> Any:
    if not isinstance(value, list):
        raise TypeError(f"expected an array, got {type(value).__name__}")
    return value


def _structure_str(value: Any, _: type) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # a number where text is documented: keep it, as text
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: type) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def _structure_bool(value: Any, _: type) -> bool:
    if type(value) is bool:
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__}")


def _structure_float(value: Any, _: type) -> float:
    if type(value) is float:
        return value
    if isinstance(value, str):  # DRF sends DecimalFields as text ("0.50") by default
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _passthrough_typed_dict(value: Any, _: type) -> Any:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _is_list(tp: Any) -> bool:
    return get_origin(tp) is list and tp != _ANY_LIST


def _list_hook_factory(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """``list[X]``: the value must be an array (cattrs alone would turn a string into a list
    of characters and an object into its keys)."""
    (inner,) = get_args(tp) or (Any,)
    hook = converter.get_structure_hook(inner)
    if hook in _SIMPLE_HOOKS:
        exact = inner  # ``list[str]`` and the like: kept as it came when every element fits

        def structure_plain_list(value: Any, _: Any) -> list[Any]:
            if type(value) is not list:
                if not isinstance(value, list):
                    raise TypeError(f"expected an array, got {type(value).__name__}")
            else:
                for item in value:
                    if type(item) is not exact:
                        break
                else:
                    return value
            return [item if type(item) is exact else hook(item, exact) for item in value]

        return structure_plain_list

    def structure_list(value: Any, _: Any) -> list[Any]:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        return [hook(item, inner) for item in value]

    return structure_list


def _is_optional(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) in (Union, types.UnionType) and len(args) == 2 and type(None) in args


def _optional_hook_factory(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """``X | None``: resolve X's hook once, not on every value (cattrs' default)."""
    inner = next(arg for arg in get_args(tp) if arg is not type(None))
    hook = converter.get_structure_hook(inner)
    if hook in _SIMPLE_HOOKS:
        exact = inner  # the common case costs one call: values already of the right type

        def structure_simple(value: Any, _: Any) -> Any:
            return value if value is None or type(value) is exact else hook(value, exact)

        return structure_simple

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


_SIMPLE_HOOKS = (_structure_str, _structure_int, _structure_bool, _structure_float)
_PLAIN = (str, int, bool, float)
_MISSING = object()


def _fast_attrs_hook_factory(cls: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A structure function for an attrs model, generated like cattrs' own but faster:
    a field whose value already has its plain type (``str``, ``int``, ``bool``, ``float``,
    ``None`` where allowed, or a free-form object or array) is taken as it is, any other
    value goes through the field's hook exactly as before; and a slotted model without
    validators, converters or init hooks has its slots filled directly, skipping the frozen
    ``__init__``'s per-field ``object.__setattr__`` (more than half the cost of a wide
    model). Keys are the attribute names; a missing required key is a ``KeyError``;
    unknown keys are ignored."""
    attrs.resolve_types(cls)
    fields = [f for f in attrs.fields(cls) if f.init]
    direct = _fills_slots(cls, fields)
    namespace: dict[str, Any] = {"__cl": cls, "__missing": _MISSING, "__new": object.__new__}
    lines = ["def structure(o, _=None):"]
    lines.append("    obj = __new(__cl)" if direct else "    res = {}")
    for index, field in enumerate(fields):
        tp = field.type
        hook, kind = f"__h{index}", f"__t{index}"
        namespace[hook] = converter.get_structure_hook(tp)
        namespace[kind] = tp
        check = _inline_check(tp, kind, namespace, index)
        value = f"v if {check} else {hook}(v, {kind})" if check else f"{hook}(v, {kind})"
        optional = check is None and _is_optional(tp)
        if optional:  # ``datetime | None``: the inner hook, inline
            inner = next(arg for arg in get_args(tp) if arg is not type(None))
            namespace[hook], namespace[kind] = converter.get_structure_hook(inner), inner
            value = f"{hook}(v, {kind})"
        if namespace[hook] is _parse_datetime and not _OLD_FROMISOFORMAT:
            # _parse_datetime's common case, inline: text fromisoformat reads, made aware
            namespace.update(__iso=datetime.fromisoformat, __utc=timezone.utc)
            aware = "(d if (d := __iso(v)).tzinfo is not None else d.replace(tzinfo=__utc))"
            value = f'{aware} if type(v) is str and v[-1:] != "z" else {value}'
        if optional:
            value = f"None if v is None else ({value})"
        key = repr(field.name)
        if direct:
            setter = f"__s{index}"
            namespace[setter] = getattr(cls, field.name).__set__
            store = f"{setter}(obj, {{}})"
        else:
            store = f"res[{field.alias!r}] = {{}}"
        if field.default is attrs.NOTHING:
            lines += [f"    v = o[{key}]", "    " + store.format(value)]
            continue
        if direct and field.default is None and _is_optional(tp):
            # a missing key reads as None, the default, which every optional field takes
            lines += [f"    v = o.get({key})", "    " + store.format(value)]
            continue
        lines += [f"    v = o.get({key}, __missing)", "    if v is not __missing:"]
        lines.append("        " + store.format(value))
        if direct:  # the default, as __init__ would have set it
            default = f"__d{index}"
            if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                namespace[default] = field.default.factory
                lines += ["    else:", "        " + store.format(f"{default}()")]
            else:
                namespace[default] = field.default
                lines += ["    else:", "        " + store.format(default)]
    if direct:  # a half-filled object must not outlive a failure (in a traceback's locals)
        body = ["    try:", *("    " + line for line in lines[2:])]
        body += ["    except BaseException:", "        obj = None", "        raise"]
        body.append("    return obj")
        lines = lines[:2] + body
    else:
        lines.append("    return __cl(**res)")
    exec(compile("\n".join(lines), f"<avala structure {cls.__qualname__}>", "exec"), namespace)
    function: Callable[[Any, Any], Any] = namespace["structure"]
    return function


def _fills_slots(cls: Any, fields: list[Any]) -> bool:
    """Whether ``cls`` may be built by filling its slots: every field a slot, and nothing
    its ``__init__`` would run beyond assigning (validators, converters, init hooks)."""
    if "__slots__" not in cls.__dict__ or len(fields) != len(attrs.fields(cls)):
        return False
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    for field in fields:
        if field.validator is not None or field.converter is not None:
            return False
        if isinstance(field.default, attrs.Factory) and field.default.takes_self:  # type: ignore[arg-type]
            return False
        if type(getattr(cls, field.name, None)).__name__ != "member_descriptor":
            return False
    return True


def _inline_check(tp: Any, kind: str, namespace: dict[str, Any], index: int) -> str | None:
    """The expression that is true when ``v`` needs no hook for type ``tp``, if any."""
    if tp in _PLAIN:
        return f"type(v) is {kind}"
    if _is_optional(tp):
        inner = next(arg for arg in get_args(tp) if arg is not type(None))
        plain = _passthrough_type(inner)
        if plain is not None:
            exact = f"__x{index}"
            namespace[exact] = plain
            return f"v is None or type(v) is {exact}"
    if tp == _ANY_DICT:
        return "type(v) is dict"
    if tp == _ANY_LIST:
        return "type(v) is list"
    return None


def _passthrough_type(tp: Any) -> type | None:
    """The runtime type a value of ``tp`` is taken as it is when it already has it."""
    if tp in _PLAIN:
        return tp  # type: ignore[no-any-return]
    if tp == _ANY_DICT:
        return dict
    if tp == _ANY_LIST:
        return list
    return None


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Build the SDK's converter; ``strict=True`` also rejects unknown response fields."""
    converter = cattrs.Converter(forbid_extra_keys=strict, detailed_validation=strict)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    # bool subclasses int: without its own hook it would be dispatched to the int hook.
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook_factory(_is_optional, _optional_hook_factory)
    converter.register_structure_hook_factory(_is_list, _list_hook_factory)
    converter.register_structure_hook(datetime, _parse_datetime)
    converter.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
    # Free-form JSON objects are handed over as they came: no copy per key.
    converter.register_structure_hook_func(lambda t: t == _ANY_DICT, _passthrough_dict)
    converter.register_structure_hook_func(lambda t: t == _ANY_LIST, _passthrough_list)
    # Raw-dict results (``webhooks.test()`` and the like) are TypedDicts: a dict at runtime,
    # every key the server sent kept, only checked to be an object.
    converter.register_structure_hook_func(is_typeddict, _passthrough_typed_dict)
    if not strict:  # strict mode keeps cattrs' own generation: it reports unknown keys
        converter.register_structure_hook_factory(attrs.has, _fast_attrs_hook_factory)
    return converter


converter = make_converter()


_hooks: dict[type, Callable[[Any, Any], Any]] = {}


def structure(data: Any, cls: type[T], conv: cattrs.Converter | None = None) -> T:
    """Structure ``data`` into ``cls``; failures become :class:`APIResponseValidationError`."""
    try:
        if conv is not None:
            return conv.structure(data, cls)
        hook = _hooks.get(cls)
        if hook is None:
            hook = _hooks[cls] = converter.get_structure_hook(cls)
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:
        raise APIResponseValidationError(
            f"The response did not match {cls.__name__}: {exc}. This usually means the server "
            "changed its format; please report it with the body (.body).",
            body=data,
        ) from exc
