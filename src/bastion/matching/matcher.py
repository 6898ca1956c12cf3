"""`Matcher`: signals in, matches against every enabled bank out.

The matcher keeps one index per signal type in memory, loaded once and then kept current by
following the store's change sequence (`refresh()`): changed entries are removed and re-added,
deleted entries and banks are dropped. Nothing is ever rebuilt from scratch after the first
load. Bank settings (enabled, thresholds) are applied at query time, so toggling a bank costs
nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.banks import Bank, BankStore, IndexRow
from bastion.hashing import HashedContent
from bastion.index import BruteForceHammingIndex, ExactIndex, SignalIndex
from bastion.settings import Settings
from bastion.signals import MatchKind, PdqSignal, Signal, SignalType, get_signal_type
from bastion.store.models import ChangeOp, utcnow


@dataclass(frozen=True)
class Match:
    """One bank entry that one query signal matched."""

    bank: str
    entry_id: int
    signal_type: str
    #: The bank's value and the query's value.
    bank_value: str
    query_value: str
    distance: int
    #: Quality of the query signal (PDQ), when known.
    quality: int | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Tracked:
    """What the matcher remembers about one indexed entry."""

    bank_id: int
    signal_ids: dict[int, str]  # signal id -> signal type
    disabled_until: datetime | None


class Matcher:
    def __init__(self, store: BankStore, settings: Settings, *, page_size: int = 50_000) -> None:
        self.store = store
        self.settings = settings
        self._page_size = page_size
        self._indexes: dict[str, SignalIndex] = {}
        self._entries: dict[int, _Tracked] = {}
        self._entry_of_signal: dict[int, int] = {}
        self._entries_by_bank: dict[int, set[int]] = {}
        self._banks: dict[int, Bank] = {}
        self.seq = 0
        self._load()

    # Keeping current -----------------------------------------------------------------------

    def _load(self) -> None:
        self.seq = self.store.head_seq()
        self._banks = self.store.banks_by_id()
        after = 0
        while rows := self.store.scan_index_rows(after_signal_id=after, limit=self._page_size):
            self._add_rows(rows)
            after = rows[-1].signal_id

    def refresh(self) -> int:
        """Apply every change since the last refresh; returns how many were applied."""
        applied = 0
        while changes := self.store.changes_since(self.seq):
            entry_ids: set[int] = set()
            banks_changed = False
            for change in changes:
                if change.op is ChangeOp.BANK_DELETE:
                    for entry_id in self._entries_by_bank.pop(change.bank_id, set()):
                        self._drop_entry(entry_id)
                    banks_changed = True
                elif change.op is ChangeOp.BANK_UPSERT:
                    banks_changed = True
                elif change.entry_id is not None:
                    entry_ids.add(change.entry_id)
            if banks_changed:
                self._banks = self.store.banks_by_id()
            for entry_id in entry_ids:
                self._drop_entry(entry_id)
            self._add_rows(self.store.index_rows_for_entries(sorted(entry_ids)))
            self.seq = changes[-1].seq
            applied += len(changes)
        return applied

    def _add_rows(self, rows: list[IndexRow]) -> None:
        by_type: dict[str, tuple[list[int], list[str]]] = {}
        for row in rows:
            if not self._matchable(row.signal_type, row.quality):
                continue
            tracked = self._entries.get(row.entry_id)
            if tracked is None:
                tracked = _Tracked(row.bank_id, {}, row.disabled_until)
                self._entries[row.entry_id] = tracked
                self._entries_by_bank.setdefault(row.bank_id, set()).add(row.entry_id)
            tracked.signal_ids[row.signal_id] = row.signal_type
            self._entry_of_signal[row.signal_id] = row.entry_id
            ids, values = by_type.setdefault(row.signal_type, ([], []))
            ids.append(row.signal_id)
            values.append(row.value)
        for type_name, (ids, values) in by_type.items():
            self._index_for(type_name).add(ids, values)

    def _drop_entry(self, entry_id: int) -> None:
        tracked = self._entries.pop(entry_id, None)
        if tracked is None:
            return
        self._entries_by_bank.get(tracked.bank_id, set()).discard(entry_id)
        for signal_id, type_name in tracked.signal_ids.items():
            self._indexes[type_name].remove([signal_id])
            del self._entry_of_signal[signal_id]

    def _index_for(self, type_name: str) -> SignalIndex:
        index = self._indexes.get(type_name)
        if index is None:
            signal_type = get_signal_type(type_name)
            if signal_type.match_kind is MatchKind.HAMMING:
                index = BruteForceHammingIndex(bits=signal_type.max_distance)
            else:
                index = ExactIndex()
            self._indexes[type_name] = index
        return index

    def _matchable(self, type_name: str, quality: int | None) -> bool:
        if type_name == PdqSignal.name and quality is not None:
            return quality >= self.settings.pdq_min_quality
        return True

    # Matching ------------------------------------------------------------------------------

    def threshold(self, bank: Bank, signal_type: type[SignalType]) -> int:
        """The distance up to which `bank` counts a `signal_type` value as matching."""
        if signal_type.match_kind is MatchKind.EXACT:
            return 0
        default = (
            self.settings.pdq_threshold
            if signal_type is PdqSignal
            else signal_type.default_threshold
        )
        return bank.thresholds.get(signal_type.name, default)

    def match_signals(
        self,
        signals: Iterable[Signal],
        *,
        now: datetime | None = None,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
    ) -> list[Match]:
        """Matches of `signals` in enabled banks and active entries, nearest first.

        `banks` restricts matching to those bank names; `include_disabled_banks` also
        matches banks that are switched off (HMA's "bypass coinflip").
        """
        now = now or utcnow()
        best: dict[tuple[int, str], tuple[int, Signal, str]] = {}
        for signal in signals:
            signal_type = get_signal_type(signal.type)
            index = self._indexes.get(signal_type.name)
            if index is None or not self._matchable(signal.type, signal.quality):
                continue
            value = signal_type.normalize(signal.value)
            limits = {
                b.id: self.threshold(b, signal_type)
                for b in self._banks.values()
                if (b.enabled or include_disabled_banks) and (banks is None or b.name in banks)
            }
            if not limits:
                continue
            for hit in index.query(value, max(limits.values())):
                entry_id = self._entry_of_signal[hit.id]
                tracked = self._entries[entry_id]
                if hit.distance > limits.get(tracked.bank_id, -1):
                    continue
                if tracked.disabled_until is not None and tracked.disabled_until > now:
                    continue
                key = (entry_id, signal_type.name)
                if key not in best or hit.distance < best[key][0]:
                    best[key] = (hit.distance, signal, index.value(hit.id))
        return self._describe(best)

    def match_content(self, content: HashedContent, *, now: datetime | None = None) -> list[Match]:
        """Matches of hashed content; also tries the displayed orientation when configured."""
        signals = list(content.signals)
        if self.settings.match_exif_orientation and content.displayed_pdq is not None:
            signals.append(content.displayed_pdq)
        return self.match_signals(signals, now=now)

    def _describe(self, best: dict[tuple[int, str], tuple[int, Signal, str]]) -> list[Match]:
        if not best:
            return []
        metadata = self.store.entry_metadata(sorted({k[0] for k in best}))
        matches = []
        for (entry_id, type_name), (distance, query, bank_value) in best.items():
            if entry_id not in metadata:  # deleted since the last refresh
                continue
            matches.append(
                Match(
                    bank=self._banks[self._entries[entry_id].bank_id].name,
                    entry_id=entry_id,
                    signal_type=type_name,
                    bank_value=bank_value,
                    query_value=query.value,
                    distance=distance,
                    quality=query.quality,
                    metadata=metadata[entry_id],
                )
            )
        matches.sort(key=lambda m: (m.distance, m.bank, m.entry_id, m.signal_type))
        return matches

    def sizes(self) -> dict[str, int]:
        """How many signals are indexed, per signal type."""
        return {name: len(index) for name, index in self._indexes.items()}

    def __len__(self) -> int:
        """How many signals are indexed."""
        return len(self._entry_of_signal)
