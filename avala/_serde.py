"""The one cattrs converter that turns response JSON into attrs models.

Lenient by default: fields the server adds are ignored, so an old client keeps working.
``make_converter(strict=True)`` forbids unknown keys; the test suite uses it to prove the
models cover what the server sends.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from typing import Any, TypeVar

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


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Build the SDK's converter; ``strict=True`` also rejects unknown response fields."""
    converter = cattrs.Converter(forbid_extra_keys=strict, detailed_validation=strict)
    converter.register_structure_hook(datetime, _parse_datetime)
    converter.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
    # Free-form JSON objects are handed over as they came: no copy per key.
    converter.register_structure_hook_func(lambda t: t == _ANY_DICT, _passthrough_dict)
    converter.register_structure_hook_func(lambda t: t == _ANY_LIST, _passthrough_list)
    return converter


converter = make_converter()


def structure(data: Any, cls: type[T], conv: cattrs.Converter | None = None) -> T:
    """Structure ``data`` into ``cls``; failures become :class:`APIResponseValidationError`."""
    try:
        return (conv or converter).structure(data, cls)
    except Exception as exc:
        raise APIResponseValidationError(
            f"The response did not match {cls.__name__}: {exc}. This usually means the server "
            "changed its format; please report it with the body (.body).",
            body=data,
        ) from exc
