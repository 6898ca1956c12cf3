"""Checks on the text and JSON values callers hand to bastion, made before anything is stored.

Every door (the HTTP API, the command line, an exchange's records) passes what it accepts
through these, so a value that a database cannot hold or a client cannot read back never
reaches a table: text must be valid Unicode (no lone surrogates) without NUL characters,
numbers must be finite and integers fit in 64 bits, and JSON values are bounded in depth and
size. Each check raises `ValidationError` with a message that names the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bastion.errors import ValidationError

#: Integers must fit a signed 64-bit column (and survive a round trip through most clients).
MIN_INT, MAX_INT = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class JsonLimits:
    """How deep and how large a JSON value may be."""

    #: Containers nested inside each other (an object holding an object is depth 2).
    max_depth: int = 32
    #: Its size as compact JSON, in bytes (UTF-8).
    max_bytes: int = 64 * 1024


#: Limits of an entry's metadata: what comes back with every match of the entry.
METADATA_LIMITS = JsonLimits(max_depth=16, max_bytes=16 * 1024)
#: Limits of a whole request body (the media and file uploads are multipart, not JSON).
REQUEST_LIMITS = JsonLimits(max_depth=32, max_bytes=16 * 1024 * 1024)


def checked_text(value: Any, field: str, *, max_length: int = 10_000) -> str:
    """`value` if it is a string a database can store and a client can read back."""
    if not isinstance(value, str):
        raise ValidationError(f"{field}: expected text, got {_kind(value)}")
    if len(value) > max_length:
        raise ValidationError(f"{field}: at most {max_length:,} characters, got {len(value):,}")
    _check_characters(value, field)
    return value


def checked_json(value: Any, field: str, limits: JsonLimits = JsonLimits()) -> Any:
    """`value` if it is a JSON value within `limits` whose strings pass `checked_text`,
    numbers are finite and integers fit in 64 bits. Walks the value without recursion, so a
    value nested thousands deep is refused rather than overflowing the stack."""
    _checked_value(value, field, limits)
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > limits.max_bytes:
        raise ValidationError(f"{field}: at most {limits.max_bytes:,} bytes as JSON, got {size:,}")
    return value


def _checked_value(value: Any, field: str, limits: JsonLimits) -> Any:
    """Every check of `checked_json` but its size."""
    stack: list[tuple[Any, str, int]] = [(value, field, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, Mapping):
            _check_depth(field, depth, limits)
            for key, child in item.items():
                if not isinstance(key, str):
                    raise ValidationError(f"{where}: object keys must be text")
                _check_characters(key, f"{where} (a key)")
                stack.append((child, f"{where}.{key}", depth + 1))
        elif isinstance(item, list | tuple):
            _check_depth(field, depth, limits)
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            _check_characters(item, where)
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            if not MIN_INT <= item <= MAX_INT:
                raise ValidationError(f"{where}: integers must fit in 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValidationError(f"{where}: numbers must be finite (no NaN or Infinity)")
        else:
            raise ValidationError(f"{where}: {_kind(item)} is not a JSON value")
    return value


def checked_object(value: Any, field: str, limits: JsonLimits = JsonLimits()) -> dict[str, Any]:
    """`checked_json` for a value that must be a JSON object."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field}: expected a JSON object, got {_kind(value)}")
    return dict(checked_json(value, field, limits))


def parse_json(data: bytes | str, field: str, limits: JsonLimits = JsonLimits()) -> Any:
    """Parse JSON text into a value that passes `checked_json`. NaN and Infinity, which
    Python's parser accepts but JSON does not, are refused, and so is nesting deep enough to
    exhaust the parser's stack."""
    if len(data) > limits.max_bytes:
        raise ValidationError(f"{field}: at most {limits.max_bytes:,} bytes of JSON")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(f"{field}: not UTF-8 text") from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except _NonFinite as e:
        raise ValidationError(f"{field}: {e.args[0]} is not a JSON number") from None
    except RecursionError:
        raise ValidationError(f"{field}: nested deeper than {limits.max_depth} levels") from None
    except json.JSONDecodeError as e:
        raise ValidationError(f"{field}: not valid JSON ({e.msg} at character {e.pos})") from None
    return _checked_value(value, field, limits)


def readable(value: Any, *, max_depth: int = 64) -> Any:
    """`value` as every JSON client can read it back: what an earlier version stored before
    these checks existed (a lone surrogate, NaN, nesting hundreds deep) is mended on the way
    out (U+FFFD, null, the deep part dropped), so one such value cannot break every answer
    that includes it. Returns `value` itself when nothing needs mending."""
    if _readable(value, max_depth):
        return value
    return _mended(value, max_depth)


def _readable(value: Any, max_depth: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return False
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and not _encodable(key):
                    return False
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            if not _encodable(item):
                return False
        elif isinstance(item, float) and not math.isfinite(item):
            return False
    return True


def _mended(value: Any, depth_left: int) -> Any:
    if isinstance(value, dict):
        if depth_left <= 0:
            return None
        return {_mended(k, 1): _mended(v, depth_left - 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth_left <= 0:
            return None
        return [_mended(v, depth_left - 1) for v in value]
    if isinstance(value, str) and not _encodable(value):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_int(value: Any, field: str, *, low: int = MIN_INT, high: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field}: expected an integer, got {_kind(value)}")
    if not low <= value <= high:
        raise ValidationError(f"{field}: must be between {low:,} and {high:,}, not {value:,}")
    return value


def _check_characters(text: str, field: str) -> None:
    if "\x00" in text:
        raise ValidationError(f"{field}: text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{field}: text must be valid Unicode (it holds a lone surrogate)"
        ) from None


def _check_depth(field: str, depth: int, limits: JsonLimits) -> None:
    if depth > limits.max_depth:
        raise ValidationError(f"{field}: nested deeper than {limits.max_depth} levels")


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise _NonFinite(name)


def _kind(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "an integer", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


__all__ = [
    "METADATA_LIMITS",
    "REQUEST_LIMITS",
    "JsonLimits",
    "checked_int",
    "checked_json",
    "checked_object",
    "checked_text",
    "parse_json",
    "readable",
]
