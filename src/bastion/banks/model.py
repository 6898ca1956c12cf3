"""Banks and their entries, as the rest of bastion sees them (immutable values)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.errors import ValidationError
from bastion.signals import MatchKind, Signal, get_signal_type

#: Bank names: 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit.
BANK_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_BANK_NAME = re.compile(BANK_NAME_PATTERN)


@dataclass(frozen=True)
class Bank:
    """A named collection of known content, each entry holding one or more signals."""

    id: int
    name: str
    description: str
    enabled: bool
    #: Per-signal-type match thresholds overriding the defaults, e.g. {"pdq": 16}.
    thresholds: dict[str, int]
    created_at: datetime
    updated_at: datetime
    entry_count: int | None = None


@dataclass(frozen=True)
class Provenance:
    """Where an entry came from: how it was added (`source`), from which file or exchange,
    by whom and when; for an entry fetched from an exchange, its id there and when the
    exchange last changed it."""

    source: str
    imported_from: str | None
    added_by: str | None
    added_at: datetime
    upstream_id: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BankEntry:
    id: int
    bank_id: int
    bank: str
    signals: tuple[Signal, ...]
    metadata: dict[str, Any]
    note: str
    provenance: Provenance
    enabled: bool
    disabled_until: datetime | None

    def is_active(self, now: datetime) -> bool:
        """Whether the entry takes part in matching at `now`."""
        return self.enabled and (self.disabled_until is None or self.disabled_until <= now)


@dataclass(frozen=True)
class NewEntry:
    """An entry to be added; signals must already be normalised (see `normalize_signal`)."""

    signals: tuple[Signal, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    enabled: bool = True
    disabled_until: datetime | None = None


def validate_bank_name(name: str) -> str:
    if not isinstance(name, str) or not _BANK_NAME.fullmatch(name):
        raise ValidationError(
            f"invalid bank name {name!r}: use 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def validate_thresholds(thresholds: dict[str, Any]) -> dict[str, int]:
    """Check per-signal-type threshold overrides against each type's range."""
    if not isinstance(thresholds, dict):
        raise ValidationError("thresholds must be a mapping of signal type to distance")
    checked: dict[str, int] = {}
    for type_name, value in thresholds.items():
        signal_type = get_signal_type(type_name)
        if signal_type.match_kind is MatchKind.EXACT:
            raise ValidationError(f"{signal_type.name} matches exactly; it takes no threshold")
        if signal_type.match_kind is MatchKind.SIMILARITY:
            raise ValidationError(
                f"{signal_type.name} is scored by similarity; its thresholds are settings "
                "(tmk_level1_threshold, tmk_level2_threshold)"
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"threshold for {signal_type.name} must be an integer")
        if not 0 <= value <= signal_type.max_distance:
            raise ValidationError(
                f"threshold for {signal_type.name} must be 0-{signal_type.max_distance}, "
                f"not {value}"
            )
        checked[signal_type.name] = value
    return checked
