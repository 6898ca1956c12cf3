"""Rows of a hash list put together into the entries they describe.

Most rows are an entry each. A format that can say which entry a row belongs to (the
`entry` column of a ThreatExchange CSV that bastion writes) gives an entry of several
signals (a video's MD5, vPDQ and TMK) one row per signal, the rows next to each other: they
are read back as one entry, so an export then an import keeps entries whole. Only adjacent
rows are joined, so a list of millions is read in constant memory; the same `entry` value
further on starts another entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bastion.banks.model import MAX_SIGNALS_PER_ENTRY
from bastion.exchange.formats.rows import HashRow, RowError
from bastion.signals import Signal


@dataclass(frozen=True)
class HashEntry:
    #: The line of its first row.
    line: int
    signals: tuple[Signal, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


def read_entries(rows: Iterable[HashRow | RowError]) -> Iterator[HashEntry | RowError]:
    """`rows` as entries, in order; a bad row comes through as it is (before the entry it
    was in), and the rest of its entry is kept. A row that repeats a signal of its entry
    adds nothing; one whose metadata differs from its entry's first row, or past
    `MAX_SIGNALS_PER_ENTRY`, is a `RowError`."""
    first: HashRow | None = None
    signals: dict[tuple[str, str], Signal] = {}
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        if first is not None and (row.entry is None or row.entry != first.entry):
            yield HashEntry(first.line, tuple(signals.values()), first.metadata)
            first = None
        key = (row.signal_type, row.value)
        if first is None:
            first, signals = row, {}
        elif row.metadata != first.metadata:
            yield RowError(
                row.line, f"collab, category and tags differ from line {first.line}'s, "
                "which starts the same entry",
            )  # fmt: skip
            continue
        elif key not in signals and len(signals) >= MAX_SIGNALS_PER_ENTRY:
            yield RowError(row.line, f"an entry holds at most {MAX_SIGNALS_PER_ENTRY} signals")
            continue
        signals.setdefault(key, Signal(*key))
    if first is not None:
        yield HashEntry(first.line, tuple(signals.values()), first.metadata)
