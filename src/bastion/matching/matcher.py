"""`Matcher`: signals in, matches against every enabled bank out.

The matcher keeps one index per signal type, keyed by signal id, loaded once and then kept
current by following the store's change sequence (`refresh()`): a changed entry's signals are
removed and its current ones added. Nothing is rebuilt from scratch after the first load.

The index only proposes candidates. Each one is checked against its entry as read from the
store (the entry exists and is enabled, its bank's threshold and the `disabled_until` time).
Entries read for that are remembered until the next refresh that applies a change, so repeated
hits cost no database read and a changed entry is read again. Deletions name the signals they
removed (`BankStore.removed_signals`), so those leave the index too. With a `SnapshotShelf`, large
Hamming indexes are saved once and mapped by every process (see `snapshots.py`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.banks import ALL_OFF, Bank, BankStore, Derived, IndexRow, MatchOptions, SignalOwner
from bastion.hashing import HashedContent
from bastion.index import (
    ExactIndex,
    FrameIndex,
    FramePairs,
    IndexHit,
    MultiIndexHammingIndex,
    SignalIndex,
    TmkIndex,
)
from bastion.matching.snapshots import Generation, SnapshotShelf
from bastion.settings import Settings
from bastion.signals import (
    SIGNAL_TYPES,
    MatchKind,
    PdqSignal,
    Signal,
    SignalType,
    TmkPdqfSignal,
    VpdqFeature,
    VpdqSignal,
    get_signal_type,
)
from bastion.store.models import ChangeOp, utcnow
from bastion.tmk import level2_score
from bastion.vpdq import VideoComparison, summarise

log = logging.getLogger(__name__)

#: How often a long-running matcher looks for a newer shared snapshot.
SHELF_CHECK_SECONDS = 10.0
#: Entries remembered between refreshes for confirming hits (forgotten all at once when full).
OWNER_CACHE_SIZE = 100_000
#: Changes whose removed signals (`BankStore.removed_signals`) leave the index.
_DELETIONS = (ChangeOp.ENTRY_DELETE, ChangeOp.BANK_DELETE, ChangeOp.SIGNALS_REPLACED)

#: Signal types whose values are long (a video's frames, a descriptor): read in small pages.
_VIDEO_KINDS = (MatchKind.FRAMES, MatchKind.SIMILARITY)
_VIDEO_TYPES = tuple(n for n, t in SIGNAL_TYPES.items() if t.match_kind in _VIDEO_KINDS)
_VIDEO_PAGE_SIZE = 200

#: What a video hit amounts to under one bank's threshold: (distance, score, comparison),
#: or None where it does not match there.
_Verdict = tuple[int, float | None, VideoComparison | None]
_Judge = Callable[[int], _Verdict | None]
#: An index hit, the query signal, its type, the threshold of each bank that may match,
#: for video types the judge of the hit under a bank's threshold, and how the query signal
#: was derived from the upload (None for the upload's own signals).
_Candidate = tuple[IndexHit, Signal, type[SignalType], dict[int, int], _Judge | None, str | None]


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
    #: For TMK+PDQF: the level-2 score (the distance is then 0).
    score: float | None = None
    #: For vPDQ: the shares of frames that match and where the videos agree (the distance
    #: is then that of the closest pair of frames).
    video: VideoComparison | None = None
    #: How the query's and the bank's matching signals were derived from their media
    #: (`Derived.how`, e.g. ``rotate90``, ``trimmed``, ``crop_10``); None for their own.
    query_how: str | None = None
    bank_how: str | None = None


class Matcher:
    def __init__(
        self,
        store: BankStore,
        settings: Settings,
        *,
        page_size: int = 50_000,
        shelf: SnapshotShelf | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.settings = settings
        self._page_size = page_size
        self._shelf = shelf
        self._clock = clock
        self._indexes: dict[str, SignalIndex] = {}
        self._banks: dict[int, Bank] = {}
        self._generation: Generation | None = None
        self._checked_shelf_at = clock()
        self._publishing: threading.Thread | None = None
        self._owners: dict[int, SignalOwner] = {}
        self.seq = 0
        self._load()

    # Keeping current -----------------------------------------------------------------------

    def _load(self) -> None:
        self._banks = self.store.banks_by_id()
        generation = self._shelf.latest() if self._shelf else None
        if generation is not None and self._adopt(generation):
            return
        self.seq = self.store.head_seq()
        self._scan(exclude=())
        stamp = self.store.change_stamp(self.seq)
        if self._shelf and stamp and self._hamming_size() >= self._shelf.min_signals:
            published = self._shelf.publish(self.seq, stamp, self._hamming_indexes())
            if published is not None:
                self._adopt(published)

    def _scan(self, exclude: Collection[str]) -> None:
        after = 0
        while rows := self.store.scan_index_rows(
            after_signal_id=after,
            limit=self._page_size,
            exclude_types=[*exclude, *_VIDEO_TYPES],
        ):
            self._add_rows(rows)
            after = rows[-1].signal_id
        for type_name in set(_VIDEO_TYPES) - set(exclude):
            after = 0
            while rows := self.store.scan_index_rows(
                after_signal_id=after, limit=_VIDEO_PAGE_SIZE, only_types=[type_name]
            ):
                self._add_rows(rows)
                after = rows[-1].signal_id

    def _adopt(self, generation: Generation) -> bool:
        """Map a saved generation and catch up from its sequence number."""
        assert self._shelf is not None
        try:
            if self.store.change_stamp(generation.seq) != generation.stamp:
                raise ValueError("it was saved from another database")
            mapped = self._shelf.open(generation)
        except (OSError, ValueError) as exc:
            log.warning("index snapshot %s discarded: %s", generation.path, exc)
            self._shelf.discard(generation)
            return False
        first = not self._indexes
        self._indexes.update(mapped)
        self._generation = generation
        if first:  # types without a snapshot come from the database, as of now
            self.seq = generation.seq
            self._scan(exclude=list(mapped))
        else:  # replay from the older of the two positions: replaying is idempotent
            self.seq = min(self.seq, generation.seq)
        self._apply_changes()
        return True

    def refresh(self) -> int:
        """Apply every change since the last refresh; returns how many were applied.

        Every `SHELF_CHECK_SECONDS` it also maps a newer shared snapshot when another process
        has published one, and publishes one itself when its private changes have grown.
        """
        applied = self._apply_changes()
        if (
            self._shelf is not None
            and self._clock() - self._checked_shelf_at >= SHELF_CHECK_SECONDS
        ):
            self._checked_shelf_at = self._clock()
            latest = self._shelf.latest()
            if latest is not None and (
                self._generation is None or latest.seq > self._generation.seq
            ):
                self._adopt(latest)
            elif self._private_size() >= max(self._shelf.min_signals, self._hamming_size() // 10):
                self._publish_in_background()
        return applied

    def _apply_changes(self) -> int:
        applied = 0
        while changes := self.store.changes_since(self.seq):
            if any(c.op in (ChangeOp.BANK_UPSERT, ChangeOp.BANK_DELETE) for c in changes):
                self._banks = self.store.banks_by_id()
            deletions = [c.seq for c in changes if c.op in _DELETIONS]
            if deletions:
                self._remove(self.store.removed_signals(deletions))
            entry_ids = {c.entry_id for c in changes if c.entry_id is not None}
            if entry_ids:
                ordered = sorted(entry_ids)
                self._remove(self.store.signals_of_entries(ordered))
                self._add_rows(self.store.index_rows_for_entries(ordered))
            self.seq = changes[-1].seq
            applied += len(changes)
        if applied:
            self._owners.clear()
        return applied

    def _publish_in_background(self) -> None:
        if self._publishing is not None and self._publishing.is_alive():
            return
        shelf, seq, indexes = self._shelf, self.seq, self._hamming_indexes()
        stamp = self.store.change_stamp(seq)
        if shelf is None or stamp is None:
            return
        # The indexes may move past `seq` while saving; whoever maps the result replays from
        # `seq`, which re-applies those changes harmlessly.
        self._publishing = threading.Thread(
            target=shelf.publish, args=(seq, stamp, indexes), daemon=True, name="index-publish"
        )
        self._publishing.start()

    def _add_rows(self, rows: list[IndexRow]) -> None:
        by_type: dict[str, tuple[list[int], list[str]]] = {}
        for row in rows:
            if not self._matchable(row.signal_type, row.quality):
                continue
            ids, values = by_type.setdefault(row.signal_type, ([], []))
            ids.append(row.signal_id)
            values.append(row.value)
        for type_name, (ids, values) in by_type.items():
            self._index_for(type_name).add(ids, values)

    def _remove(self, signals: Iterable[tuple[int, str]]) -> None:
        by_type: dict[str, list[int]] = {}
        for signal_id, type_name in signals:
            by_type.setdefault(type_name, []).append(signal_id)
        for type_name, ids in by_type.items():
            if type_name in self._indexes:
                self._indexes[type_name].remove(ids)

    def _index_for(self, type_name: str) -> SignalIndex:
        index = self._indexes.get(type_name)
        if index is None:
            signal_type = get_signal_type(type_name)
            index = _new_index(signal_type, self.settings)
            self._indexes[type_name] = index
        return index

    def _hamming_indexes(self) -> dict[str, MultiIndexHammingIndex]:
        return {
            name: index
            for name, index in self._indexes.items()
            if isinstance(index, MultiIndexHammingIndex)
        }

    def _hamming_size(self) -> int:
        return sum(len(index) for index in self._hamming_indexes().values())

    def _private_size(self) -> int:
        """Codes held in this process's memory rather than in a mapped snapshot."""
        return sum(index.private_size for index in self._hamming_indexes().values())

    def _matchable(self, type_name: str, quality: int | None) -> bool:
        if type_name == PdqSignal.name and quality is not None:
            return quality >= self.settings.pdq_min_quality
        return True

    # Matching ------------------------------------------------------------------------------

    def threshold(self, bank: Bank, signal_type: type[SignalType]) -> int:
        """The distance up to which `bank` counts a `signal_type` value as matching."""
        if signal_type.match_kind in (MatchKind.EXACT, MatchKind.SIMILARITY):
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
        lookups: Iterable[Derived] = (),
    ) -> list[Match]:
        """Matches of `signals` in enabled banks and active entries, nearest first.

        `banks` restricts matching to those bank names; `include_disabled_banks` also
        matches banks that are switched off (HMA's "bypass coinflip"). `lookups` are the
        upload's derived signals, each matched in the banks whose `MatchOptions` allow it.
        The index finds candidates; each is then checked against its entry as of the last
        refresh (entry enabled, its bank's threshold and options), so a hit is never
        reported for an entry changed before that refresh.
        """
        queries = [(s, None) for s in signals] + [(d.signal, d.how) for d in lookups]
        candidates = self._candidates(queries, banks, include_disabled_banks, may_read=True)
        assert candidates is not None
        if not candidates:
            return []
        owners = self._owners_of({hit.id for hit, *_ in candidates})
        return self._confirm(candidates, owners, now or utcnow())

    def match_signals_in_memory(
        self,
        signals: Iterable[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
    ) -> list[Match] | None:
        """`match_signals`, if every candidate's entry is already in memory; None when
        confirming a candidate needs a database read, or a video signal is among `signals`
        (its matching takes long enough to belong in a worker thread)."""
        queries = [(s, None) for s in signals]
        candidates = self._candidates(queries, banks, include_disabled_banks, may_read=False)
        if candidates is None:
            return None
        if not candidates:
            return []
        if not {hit.id for hit, *_ in candidates} <= self._owners.keys():
            return None
        return self._confirm(candidates, self._owners, utcnow())

    def _candidates(
        self,
        queries: Iterable[tuple[Signal, str | None]],
        banks: Collection[str] | None,
        include_disabled_banks: bool,
        *,
        may_read: bool,
    ) -> list[_Candidate] | None:
        """Index hits within the largest threshold of the banks that may match; None when
        `may_read` is false and finding them needs a database read or video work."""
        candidates: list[_Candidate] = []
        for signal, how in queries:
            signal_type = get_signal_type(signal.type)
            index = self._indexes.get(signal_type.name)
            if index is None or not self._matchable(signal.type, signal.quality):
                continue
            limits = {
                b.id: self.threshold(b, signal_type)
                for b in self._banks.values()
                if (b.enabled or include_disabled_banks)
                and (banks is None or b.name in banks)
                and (how is None or b.matching.allows(how))
            }
            if not limits:
                continue
            if isinstance(index, FrameIndex | TmkIndex) and not may_read:
                return None  # video work is long: never on a caller's event loop
            if isinstance(index, FrameIndex):
                candidates += self._frame_candidates(index, signal, limits)
            elif isinstance(index, TmkIndex):
                candidates += self._tmk_candidates(index, signal, limits)
            else:
                value = signal_type.normalize(signal.value)
                candidates += [
                    (hit, signal, signal_type, limits, None, how)
                    for key in signal_type.lookup_keys(value)
                    for hit in index.query(key, max(limits.values()))
                ]
        return candidates

    def _frame_candidates(
        self, index: FrameIndex, signal: Signal, limits: dict[int, int]
    ) -> list[_Candidate]:
        """Bank videos with frames near the query's, each judged by vPDQ's shares."""
        query = VpdqSignal.parse(signal.value)
        return [
            (
                IndexHit(min(d for *_, d in pairs), video_id),
                signal,
                VpdqSignal,
                limits,
                functools.partial(self._judge_frames, query, index.features(video_id), pairs),
                None,
            )
            for video_id, pairs in index.frame_pairs(query, max(limits.values())).items()
        ]

    def _judge_frames(
        self,
        query: list[VpdqFeature],
        bank: list[VpdqFeature],
        pairs: FramePairs,
        limit: int,
    ) -> _Verdict | None:
        """A bank video's verdict: its frame pairs within `limit`, against vPDQ's shares."""
        comparison = summarise(
            query,
            bank,
            [p for p in pairs if p[2] <= limit],
            min_quality=self.settings.pdq_min_quality,
        )
        if not comparison.passes(
            self.settings.vpdq_query_match_percent, self.settings.vpdq_bank_match_percent
        ):
            return None
        return comparison.distance, None, comparison

    def _tmk_candidates(
        self, index: TmkIndex, signal: Signal, limits: dict[int, int]
    ) -> list[_Candidate]:
        """Bank videos passing TMK's level 1 and then, read whole, level 2."""
        query = TmkPdqfSignal.decode(signal.value)
        level1 = index.level1(query, self.settings.tmk_level1_threshold)
        if not level1:
            return []
        found: list[_Candidate] = []
        values = self.store.signal_values([i for i, _ in level1])
        for tmk_id, _ in level1:
            if tmk_id not in values:
                continue
            score = level2_score(query, TmkPdqfSignal.decode(values[tmk_id]))
            if score >= self.settings.tmk_level2_threshold:
                judge = functools.partial(_scored, score)
                found.append((IndexHit(0, tmk_id), signal, TmkPdqfSignal, limits, judge, None))
        return found

    def _confirm(
        self, candidates: list[_Candidate], owners: dict[int, SignalOwner], now: datetime
    ) -> list[Match]:
        """The candidates whose entries match: one per entry and signal type, nearest first."""
        best: dict[tuple[int, str], tuple[_Verdict, Signal, SignalOwner, str | None]] = {}
        for hit, signal, signal_type, limits, judge, how in candidates:
            owner = owners.get(hit.id)
            if owner is None or not owner.enabled or owner.bank_id not in self._banks:
                continue
            if owner.derived and not self._banks[owner.bank_id].matching.allows(owner.derived):
                continue
            limit = limits.get(owner.bank_id, -1)
            if limit < 0 or hit.distance > limit:
                continue
            if owner.disabled_until is not None and owner.disabled_until > now:
                continue
            verdict = judge(limit) if judge is not None else (hit.distance, None, None)
            if verdict is None:
                continue
            key = (owner.entry_id, signal_type.name)
            if key not in best or verdict[0] < best[key][0][0]:
                best[key] = (verdict, signal, owner, how)
        matches = [
            Match(
                bank=self._banks[owner.bank_id].name,
                entry_id=entry_id,
                signal_type=type_name,
                bank_value=owner.value,
                query_value=query.key,
                distance=distance,
                quality=query.quality,
                metadata=owner.metadata,
                score=score,
                video=video,
                query_how=how,
                bank_how=owner.derived,
            )
            for (entry_id, type_name), ((distance, score, video), query, owner, how) in best.items()
        ]
        matches.sort(key=lambda m: (m.distance, m.bank, m.entry_id, m.signal_type))
        return matches

    def _owners_of(self, signal_ids: set[int]) -> dict[int, SignalOwner]:
        missing = sorted(signal_ids - self._owners.keys())
        if missing:
            if len(self._owners) + len(missing) > OWNER_CACHE_SIZE:
                self._owners.clear()
            self._owners.update(self.store.signal_owners(missing))
        return self._owners

    def options(self) -> MatchOptions:
        """The match options any enabled bank has on: the lookups an upload needs."""
        found = ALL_OFF
        for bank in self._banks.values():
            if bank.enabled:
                found = found | bank.matching
        return found

    def match_content(self, content: HashedContent, *, now: datetime | None = None) -> list[Match]:
        """Matches of hashed content; also tries the displayed orientation when configured,
        and in each bank the lookups (rotations, the picture inside borders) it allows."""
        signals = list(content.signals)
        if self.settings.match_exif_orientation and content.displayed_pdq is not None:
            signals.append(content.displayed_pdq)
        return self.match_signals(signals, now=now, lookups=content.lookups)

    def sizes(self) -> dict[str, int]:
        """How many signals are indexed, per signal type."""
        return {name: len(index) for name, index in self._indexes.items()}

    def __len__(self) -> int:
        """How many signals are indexed."""
        return sum(len(index) for index in self._indexes.values())


def _new_index(signal_type: type[SignalType], settings: Settings) -> SignalIndex:
    """An empty index of the kind `signal_type`'s values need."""
    match signal_type.match_kind:
        case MatchKind.HAMMING:
            return MultiIndexHammingIndex(bits=signal_type.max_distance)
        case MatchKind.FRAMES:
            return FrameIndex(min_quality=settings.pdq_min_quality)
        case MatchKind.SIMILARITY:
            return TmkIndex()
        case MatchKind.EXACT:
            return ExactIndex()


def _scored(score: float, limit: int) -> _Verdict:
    """The verdict of a similarity hit, the same under every bank's threshold."""
    return 0, score, None
