"""What every hash-list reader yields: a parsed row, or an error tied to a line number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.errors import InvalidSignalError
from bastion.signals import normalize_signal


@dataclass(frozen=True)
class HashRow:
    line: int
    signal_type: str
    value: str
    metadata: dict[str, Any] = field(default_factory=dict)
    #: The entry the row belongs to, where the format says (a CSV's `entry` column): the
    #: rows next to each other that name the same entry are its signals.
    entry: str | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def parse_signal(
    line: int, type_name: str, value: str, metadata: dict[str, Any], entry: str | None = None
) -> HashRow | RowError:
    """Validate and normalise one (type, value) pair read from `line`."""
    if not type_name.strip():
        return RowError(line, "missing signal type")
    if not value.strip():
        return RowError(line, "missing hash value")
    try:
        canonical_type, canonical_value = normalize_signal(type_name, value)
    except InvalidSignalError as e:
        return RowError(line, e.message)
    return HashRow(line, canonical_type, canonical_value, metadata, entry)
