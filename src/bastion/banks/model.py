"""Banks and their entries, as the rest of bastion sees them (immutable values)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.errors import ValidationError
from bastion.pdq import DIHEDRAL_NAMES
from bastion.signals import MatchKind, Signal, get_signal_type

#: Longest bank name, in characters (HMA's).
MAX_BANK_NAME_LENGTH = 255
#: Bank names: letters, digits, '_', '-' or '.', not starting with '-' or '.'. Every name HMA
#: accepts (UPPER_WITH_UNDERSCORE, up to 255 characters) is one. Exchange and collaboration
#: names follow the same rule.
BANK_NAME_PATTERN = rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_BANK_NAME_LENGTH - 1}}}$"
_BANK_NAME = re.compile(BANK_NAME_PATTERN)
#: Longest bank description, in characters.
MAX_DESCRIPTION_LENGTH = 2_000
#: Longest note on an entry, in characters.
MAX_NOTE_LENGTH = 10_000
#: Signals one entry may hold (a video's hashes, an image's PDQ and digests, with room to
#: spare); what bastion derives from the media for robust matching does not count.
MAX_SIGNALS_PER_ENTRY = 64


@dataclass(frozen=True)
class MatchOptions:
    """How a bank matches images beyond their PDQ as uploaded (docs/robustness.md).

    Each option costs something the benchmark measures (`bastion bench robustness`).
    """

    #: Also match the picture inside flat borders (padding, letterboxes, caption bars, a
    #: screenshot's page) or inside a tilted frame (a picture turned a few degrees, its
    #: corners filled), of uploads and of the media added to the bank.
    trim_borders: bool = True
    #: Also match uploads turned a quarter, half or three quarters, or mirrored (PDQ's
    #: eight dihedral hashes, from one hashing pass).
    rotations: bool = True
    #: Store extra hashes of crops, small rotations and the centre with each entry added
    #: from media, for copies cropped or tilted a little or with a logo in a corner; uploads
    #: are then also looked up by their centre. Entries added as hashes cannot have them.
    variants: bool = True
    #: Store the ORB keypoints of each entry added from media, and look uploads up by
    #: theirs: deep and off-centre crops, rotations of 10 degrees or more, large logos. Off
    #: by default: about 20 KB of memory per entry and a few milliseconds per upload.
    keypoints: bool = False

    @classmethod
    def of(cls, value: Mapping[str, Any], base: MatchOptions | None = None) -> MatchOptions:
        """Options from a mapping of option name to true/false, the rest as in `base`
        (default: the defaults). Raises `ValidationError` for an unknown name or a
        value that is not a boolean."""
        if not isinstance(value, Mapping):
            raise ValidationError("match options must be a mapping of option name to true/false")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ValidationError(
                f"unknown match option(s) {', '.join(map(repr, unknown))}: "
                f"use {', '.join(sorted(names))}"
            )
        for name, on in value.items():
            if not isinstance(on, bool):
                raise ValidationError(f"match option {name} must be true or false")
        current = (base or cls()).as_dict()
        return cls(**{**current, **value})

    def as_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __or__(self, other: MatchOptions) -> MatchOptions:
        """The options either has on (what hashing must compute for both)."""
        return MatchOptions(**{k: v or getattr(other, k) for k, v in self.as_dict().items()})

    def allows(self, how: str) -> bool:
        """Whether a signal derived as `how` (`Derived.how`) takes part in matching here:
        every step of it must be switched on."""
        options = [_option_of(step) for step in how.split("+")]
        return all(o is not None and getattr(self, o) for o in options)


def _option_of(step: str) -> str | None:
    """The option a derivation step needs (None for a step bastion does not know)."""
    if step in ("trimmed", "untilted"):
        return "trim_borders"
    if step.startswith(("crop_", "tilt_", "centre_")):
        return "variants"
    if step == "keypoints":
        return "keypoints"
    return "rotations" if step in DIHEDRAL_NAMES and step != "original" else None


#: What banks made before match options existed have (see migration 0010).
ALL_OFF = MatchOptions(trim_borders=False, rotations=False, variants=False)


@dataclass(frozen=True)
class Derived:
    """A signal bastion computed from an entry's media so that edited copies match: the
    picture inside its borders (``trimmed``), a crop (``crop_10``), a small rotation
    (``rotate_-4``). It matches like the entry's own signals but is never shown as the
    content's hash, exported or shared."""

    signal: Signal
    how: str


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
    matching: MatchOptions = ALL_OFF


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
    #: Signals derived from the media for robust matching (see `Derived`).
    derived: tuple[Derived, ...] = ()

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
    derived: tuple[Derived, ...] = ()


@dataclass(frozen=True)
class Record:
    """One record fetched from an exchange for a bank: its id at the source, and its signals
    (none for a tombstone). `bastion.banks.upstream` applies records to their bank."""

    upstream_id: str
    signals: tuple[Signal, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    @property
    def digest(self) -> str:
        """Changes when the signals or the metadata do: an unchanged record is not rewritten."""
        body = json.dumps(
            [[s.type, s.value, s.quality] for s in self.signals] + [self.metadata],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


class Opinion(StrEnum):
    """What a reviewer concluded about a shared entry: sent back upstream on a fetched
    record, or received from a partner on a published one."""

    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    DISPUTED = "disputed"


def validate_bank_name(name: str) -> str:
    if not isinstance(name, str) or not _BANK_NAME.fullmatch(name):
        raise ValidationError(
            f"invalid bank name {name!r}: use 1-{MAX_BANK_NAME_LENGTH} letters, digits, '_', "
            "'-' or '.', starting with a letter, digit or '_'"
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
