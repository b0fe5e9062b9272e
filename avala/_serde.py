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

import cattrs

from .errors import APIResponseValidationError

T = TypeVar("T")

_ANY_DICT = dict[str, Any]
_ANY_LIST = list[dict[str, Any]]


_FRACTION = re.compile(r"\.(\d+)")
_OLD_FROMISOFORMAT = sys.version_info < (3, 11)


def _six_digits(match: re.Match[str]) -> str:
    return "." + (match.group(1) + "000000")[:6]


def _parse_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
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


def _is_optional(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) in (Union, types.UnionType) and len(args) == 2 and type(None) in args


def _optional_hook_factory(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """``X | None``: resolve X's hook once, not on every value (cattrs' default)."""
    inner = next(arg for arg in get_args(tp) if arg is not type(None))
    hook = converter.get_structure_hook(inner)
    if hook is _structure_str or hook is _structure_int:
        exact = inner  # the common case costs one call: values already of the right type

        def structure_simple(value: Any, _: Any) -> Any:
            return value if value is None or type(value) is exact else hook(value, exact)

        return structure_simple

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Build the SDK's converter; ``strict=True`` also rejects unknown response fields."""
    converter = cattrs.Converter(forbid_extra_keys=strict, detailed_validation=strict)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook_factory(_is_optional, _optional_hook_factory)
    converter.register_structure_hook(datetime, _parse_datetime)
    converter.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
    # Free-form JSON objects are handed over as they came: no copy per key.
    converter.register_structure_hook_func(lambda t: t == _ANY_DICT, _passthrough_dict)
    converter.register_structure_hook_func(lambda t: t == _ANY_LIST, _passthrough_list)
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
