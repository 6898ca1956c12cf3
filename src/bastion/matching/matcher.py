"""`Matcher`: signals in, matches against every enabled bank out.

The matcher keeps one index per signal type, keyed by signal id, loaded once and then kept
current by following the store's change sequence (`refresh()`): a changed entry's signals are
removed and its current ones added. Nothing is rebuilt from scratch after the first load.

The index only proposes candidates. Each one is checked against its entry as read from the
store (the entry exists and is enabled, its bank's threshold and the `disabled_until` time).
Entries read for that are remembered until a refresh applies a change to them, so repeated
hits cost no database read and a changed entry is read again. Deletions name the signals they
removed (`BankStore.removed_signals`), so those leave the index too. With a `SnapshotShelf`, large
Hamming indexes are saved once and mapped by every process (see `snapshots.py`).

A matcher may be shared by threads. The index lock is held only for memory work: finding
candidates, and applying one step of a refresh. Reading the database (a refresh's changes and
rows, the entries that confirm a hit) happens outside it, so queries never wait on the
database reads of a refresh or of another query, and one thread refreshes at a time.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from bastion.banks import ALL_OFF, Bank, BankStore, Derived, IndexRow, MatchOptions, SignalOwner
from bastion.hashing import HashedContent
from bastion.index import IndexHit, MultiIndexHammingIndex, SignalIndex
from bastion.matching.catch_up import STEP_CHANGES, ChangeStep, read_steps
from bastion.matching.snapshots import Generation, SnapshotShelf
from bastion.matching.thresholds import threshold_for
from bastion.signals import (
    Deferred,
    Judge,
    MatchingOptions,
    MatchKind,
    Signal,
    SignalType,
    Verdict,
    get_signal_type,
    signal_types,
)
from bastion.store.models import utcnow
from bastion.vpdq import VideoComparison

log = logging.getLogger(__name__)

#: How often a long-running matcher looks for a newer shared snapshot.
SHELF_CHECK_SECONDS = 10.0
#: Entries remembered for confirming hits (forgotten all at once when full).
OWNER_CACHE_SIZE = 100_000

#: Values of types with `SignalType.long_values` are read in pages of this many.
_LONG_PAGE_SIZE = 200

#: An index hit, the query signal, its type, the threshold of each bank that may match,
#: the type's judge of the hit under a bank's threshold (None: its distance decides), and
#: how the query signal was derived from the upload (None for the upload's own signals).
_Candidate = tuple[IndexHit, Signal, type[SignalType], dict[int, int], Judge | None, str | None]
#: Candidates found in memory, and work that finds more by reading the database (TMK's level
#: 2 reads the bank's whole values), done after the index lock is released.
_Found = tuple[list[_Candidate], list[Callable[[], list[_Candidate]]]]


class NotInMemory(Enum):
    """Why `Matcher.match_signals_in_memory` did not answer."""

    #: A refresh is applying a step (memory work, milliseconds): look again in a moment.
    BUSY = "busy"
    #: Confirming a candidate needs a database read, or the query needs video work: answer
    #: it in a worker thread.
    NEEDS_THREAD = "needs a thread"


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
        options: MatchingOptions | None = None,
        *,
        page_size: int = 50_000,
        step_changes: int = STEP_CHANGES,
        shelf: SnapshotShelf | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.matching_options = options or MatchingOptions()
        self._page_size = page_size
        self._step_changes = step_changes
        self._shelf = shelf
        self._clock = clock
        #: The registry, read once (`signal_types` reads the entry points on first use).
        self._types = signal_types()
        self._long_types = [n for n, t in self._types.items() if t.long_values]
        self._indexes: dict[str, SignalIndex] = {}
        self._banks: dict[int, Bank] = {}
        self._generation: Generation | None = None
        self._checked_shelf_at = clock()
        self._publishing: threading.Thread | None = None
        self._owners: dict[int, SignalOwner] = {}
        #: Counts the steps that forgot entries: owners read from the database while it
        #: stayed the same may be remembered (they are at least as new as the view).
        self._owners_epoch = 0
        #: Held for memory work on the index (see the module docstring).
        self._lock = threading.Lock()
        #: Held by the one thread refreshing.
        self._refreshing = threading.Lock()
        self.seq = 0
        self._load()

    # Keeping current -----------------------------------------------------------------------

    def _load(self) -> None:
        self._banks = self.store.banks_by_id()
        generation = self._shelf.latest() if self._shelf else None
        if generation is not None and self._adopt(generation, loading=True):
            return
        self.seq = self.store.head_seq()
        self._scan(exclude=())
        stamp = self.store.change_stamp(self.seq)
        if self._shelf and stamp and self._hamming_size() >= self._shelf.min_signals:
            published = self._shelf.publish(self.seq, stamp, self._hamming_indexes())
            if published is not None:
                self._adopt(published, loading=False)

    def _scan(self, exclude: Collection[str]) -> None:
        after = 0
        while rows := self.store.scan_index_rows(
            after_signal_id=after,
            limit=self._page_size,
            exclude_types=[*exclude, *self._long_types],
        ):
            self._add_rows(self._indexes, rows)
            after = rows[-1].signal_id
        for type_name in set(self._long_types) - set(exclude):
            after = 0
            while rows := self.store.scan_index_rows(
                after_signal_id=after, limit=_LONG_PAGE_SIZE, only_types=[type_name]
            ):
                self._add_rows(self._indexes, rows)
                after = rows[-1].signal_id

    def _adopt(self, generation: Generation, *, loading: bool) -> bool:
        """Map a saved generation in place of the Hamming indexes and catch up from there
        (`loading`: as the first thing, before any other index is read or queried)."""
        assert self._shelf is not None
        try:
            if self.store.change_stamp(generation.seq) != generation.stamp:
                raise ValueError("it was saved from another database")
            mapped: dict[str, SignalIndex] = {**self._shelf.open(generation)}
        except (OSError, ValueError) as exc:
            log.warning("index snapshot %s discarded: %s", generation.path, exc)
            self._shelf.discard(generation)
            return False
        if loading:  # types without a snapshot come from the database
            self._indexes.update(mapped)
            self.seq = generation.seq
            self._scan(exclude=list(mapped))
        else:  # queries go on: the mapped indexes first reach this view's position, unseen
            for step in read_steps(
                self.store, generation.seq, until=self.seq, size=self._step_changes
            ):
                self._apply(mapped, step, new_types=False)
            with self._lock:
                self._indexes.update(mapped)
        self._generation = generation
        self._catch_up()
        return True

    def refresh(self) -> int:
        """Apply the changes recorded up to now; returns how many were applied.

        Changes that arrive meanwhile are left for the next refresh. They are read in steps
        (`catch_up.read_steps`), each applied under the index lock, so queries go on between
        steps, answered from the view as of the last one. One thread refreshes at a time; a
        second waits for it, then applies what is left.

        Every `SHELF_CHECK_SECONDS` it also maps a newer shared snapshot when another process
        has published one, and publishes one itself when its private changes have grown.
        """
        with self._refreshing:
            applied = self._catch_up()
            if (
                self._shelf is not None
                and self._clock() - self._checked_shelf_at >= SHELF_CHECK_SECONDS
            ):
                self._checked_shelf_at = self._clock()
                latest = self._shelf.latest()
                if latest is not None and (
                    self._generation is None or latest.seq > self._generation.seq
                ):
                    self._adopt(latest, loading=False)
                elif self._private_size() >= max(
                    self._shelf.min_signals, self._hamming_size() // 10
                ):
                    self._publish_in_background()
        return applied

    def _catch_up(self) -> int:
        applied = 0
        for step in read_steps(self.store, self.seq, size=self._step_changes):
            with self._lock:
                if step.banks is not None:
                    self._banks = step.banks
                self._apply(self._indexes, step, new_types=True)
                self._forget_owners(step)
                self.seq = step.seq
            applied += step.count
        return applied

    def _apply(self, indexes: dict[str, SignalIndex], step: ChangeStep, *, new_types: bool) -> None:
        """Take out the signals `step` changed and put back the matchable ones, in `indexes`
        (creating an index for a type first seen when `new_types`)."""
        self._remove(indexes, step.gone)
        self._add_rows(indexes, step.rows, new_types=new_types)

    def _forget_owners(self, step: ChangeStep) -> None:
        """Forget the remembered entries of the signals `step` changed (only those: a write
        to one entry does not send every other hit back to the database)."""
        for signal_id, _ in step.gone:
            self._owners.pop(signal_id, None)
        for row in step.rows:
            self._owners.pop(row.signal_id, None)
        self._owners_epoch += 1

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

    def _add_rows(
        self, indexes: dict[str, SignalIndex], rows: list[IndexRow], *, new_types: bool = True
    ) -> None:
        by_type: dict[str, tuple[list[int], list[str]]] = {}
        options = self.matching_options
        for row in rows:
            signal_type = self._types.get(row.signal_type)
            if signal_type is None or not signal_type.matchable(row.quality, options):
                continue  # a type no longer installed stays in the store, unmatched
            if not new_types and row.signal_type not in indexes:
                continue
            ids, values = by_type.setdefault(row.signal_type, ([], []))
            ids.append(row.signal_id)
            values.append(row.value)
        for type_name, (ids, values) in by_type.items():
            index = indexes.get(type_name)
            if index is None:
                index = indexes[type_name] = self._types[type_name].new_index(options)
            index.add(ids, values)

    def _remove(self, indexes: dict[str, SignalIndex], signals: Iterable[tuple[int, str]]) -> None:
        by_type: dict[str, list[int]] = {}
        for signal_id, type_name in signals:
            by_type.setdefault(type_name, []).append(signal_id)
        for type_name, ids in by_type.items():
            if type_name in indexes:
                indexes[type_name].remove(ids)

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

    # Matching ------------------------------------------------------------------------------

    def match_signals(
        self,
        signals: Iterable[Signal],
        *,
        now: datetime | None = None,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
        lookups: Iterable[Derived] = (),
    ) -> list[Match]:
        """Matches of `signals` in enabled banks and active entries, nearest first.

        `banks` restricts matching to those bank names; `include_disabled_banks` also
        matches banks that are switched off (HMA's "bypass coinflip"), and
        `include_disabled_entries` entries switched off or disabled until a time to come
        (HMA's raw look-up, which reports whatever its index holds). `lookups` are the
        upload's derived signals, each matched in the banks whose `MatchOptions` allow it.
        The index finds candidates; each is then checked against its entry as of the last
        refresh or newer (entry enabled, its bank's threshold and options), so a hit is never
        reported for an entry changed before that refresh.
        """
        queries = [(s, None) for s in signals] + [(d.signal, d.how) for d in lookups]
        with self._lock:
            found = self._candidates(queries, banks, include_disabled_banks, may_read=True)
            known_banks = self._banks
        assert found is not None
        candidates, later = found
        for read in later:
            candidates += read()
        if not candidates:
            return []
        owners = self._owners_of({hit.id for hit, *_ in candidates})
        return self._confirm(
            candidates, owners, known_banks, now or utcnow(), include_disabled_entries
        )

    def near_misses(
        self,
        signals: Iterable[Signal],
        margin: int,
        *,
        lookups: Iterable[Derived] = (),
        now: datetime | None = None,
    ) -> list[Match]:
        """Entries of enabled banks that `signals` (Hamming types: PDQ) miss by at most
        `margin` past the bank's threshold: what triage calls a near miss. Each comes with
        its distance; none is a match, so nothing acts on it."""
        if margin <= 0:
            return []
        queries = [(s, None) for s in signals] + [(d.signal, d.how) for d in lookups]
        queries = [q for q in queries if get_signal_type(q[0].type).match_kind is MatchKind.HAMMING]
        with self._lock:
            found = self._candidates(queries, None, False, may_read=True, margin=margin)
            known_banks = self._banks
        assert found is not None
        candidates, later = found
        for read in later:
            candidates += read()
        if not candidates:
            return []
        owners = self._owners_of({hit.id for hit, *_ in candidates})
        widened = self._confirm(candidates, owners, known_banks, now or utcnow())
        by_name = {b.name: b for b in known_banks.values()}
        options = self.matching_options
        return [
            m
            for m in widened
            if m.distance > threshold_for(by_name[m.bank], get_signal_type(m.signal_type), options)
        ]

    def match_signals_in_memory(
        self,
        signals: Iterable[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
    ) -> list[Match] | NotInMemory:
        """`match_signals`, if it can be answered from memory at once; else why not: a
        refresh is applying a step, or confirming a candidate needs a database read, or a
        video signal is among `signals` (its matching takes long enough to belong in a worker
        thread). Never waits: it is for a caller on an event loop."""
        if not self._lock.acquire(blocking=False):
            return NotInMemory.BUSY
        try:
            queries = [(s, None) for s in signals]
            found = self._candidates(queries, banks, include_disabled_banks, may_read=False)
            if found is None:
                return NotInMemory.NEEDS_THREAD
            candidates, _ = found
            ids = {hit.id for hit, *_ in candidates}
            if not ids <= self._owners.keys():
                return NotInMemory.NEEDS_THREAD
            owners = {i: self._owners[i] for i in ids}
            known_banks = self._banks
        finally:
            self._lock.release()
        return self._confirm(candidates, owners, known_banks, utcnow(), include_disabled_entries)

    def _candidates(
        self,
        queries: Iterable[tuple[Signal, str | None]],
        banks: Collection[str] | None,
        include_disabled_banks: bool,
        *,
        may_read: bool,
        margin: int = 0,
    ) -> _Found | None:
        """Index hits within the largest threshold of the banks that may match, with the
        work that reads the database for more; None when `may_read` is false and finding
        them needs video work. Memory only: called with the index lock held."""
        candidates: list[_Candidate] = []
        later: list[Callable[[], list[_Candidate]]] = []
        options = self.matching_options
        for signal, how in queries:
            signal_type = get_signal_type(signal.type)
            index = self._indexes.get(signal_type.name)
            if index is None or not signal_type.matchable(signal.quality, options):
                continue
            limits = {
                b.id: threshold_for(b, signal_type, options) + margin
                for b in self._banks.values()
                if (b.enabled or include_disabled_banks)
                and (banks is None or b.name in banks)
                and (how is None or b.matching.allows(how))
            }
            if not limits:
                continue
            if signal_type.long_values and not may_read:
                return None  # video work is long: never on a caller's event loop
            found, deferred = signal_type.candidates(
                index, signal.value, max(limits.values()), options
            )
            candidates += [(hit, signal, signal_type, limits, judge, how) for hit, judge in found]
            later += [
                functools.partial(self._read_candidates, work, signal, signal_type, limits, how)
                for work in deferred
            ]
        return candidates, later

    def _read_candidates(
        self,
        work: Deferred,
        signal: Signal,
        signal_type: type[SignalType],
        limits: dict[int, int],
        how: str | None,
    ) -> list[_Candidate]:
        """Candidates that `work` finds reading whole values from the store (no lock held)."""
        return [
            (hit, signal, signal_type, limits, judge, how)
            for hit, judge in work(self.store.signal_values)
        ]

    def _confirm(
        self,
        candidates: list[_Candidate],
        owners: dict[int, SignalOwner],
        banks: dict[int, Bank],
        now: datetime,
        include_disabled_entries: bool = False,
    ) -> list[Match]:
        """The candidates whose entries match: one per entry and signal type, nearest first.
        Memory only, on what the caller gathered: it needs no lock."""
        best: dict[tuple[int, str], tuple[Verdict, Signal, SignalOwner, str | None]] = {}
        for hit, signal, signal_type, limits, judge, how in candidates:
            owner = owners.get(hit.id)
            if owner is None or owner.bank_id not in banks:
                continue
            switched_off = not owner.enabled or (
                owner.disabled_until is not None and owner.disabled_until > now
            )
            if switched_off and not include_disabled_entries:
                continue
            if owner.derived and not banks[owner.bank_id].matching.allows(owner.derived):
                continue
            limit = limits.get(owner.bank_id, -1)
            if limit < 0 or hit.distance > limit:
                continue
            verdict = judge(limit) if judge is not None else (hit.distance, None, None)
            if verdict is None:
                continue
            key = (owner.entry_id, signal_type.name)
            if key not in best or verdict[0] < best[key][0][0]:
                best[key] = (verdict, signal, owner, how)
        matches = [
            Match(
                bank=banks[owner.bank_id].name,
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
        """The entries of `signal_ids`: remembered ones, and the others read from the store
        without the index lock (then remembered, unless a refresh forgot entries meanwhile:
        what was read may predate that step)."""
        with self._lock:
            owners = {i: self._owners[i] for i in signal_ids if i in self._owners}
            epoch = self._owners_epoch
        missing = sorted(signal_ids - owners.keys())
        if not missing:
            return owners
        read = self.store.signal_owners(missing)
        owners.update(read)
        with self._lock:
            if self._owners_epoch == epoch:
                if len(self._owners) + len(read) > OWNER_CACHE_SIZE:
                    self._owners.clear()
                self._owners.update(read)
        return owners

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
        if self.matching_options.match_exif_orientation and content.displayed_pdq is not None:
            signals.append(content.displayed_pdq)
        return self.match_signals(signals, now=now, lookups=content.lookups)

    def sizes(self) -> dict[str, int]:
        """How many signals are indexed, per signal type."""
        with self._lock:
            return {name: len(index) for name, index in self._indexes.items()}

    def __len__(self) -> int:
        """How many signals are indexed."""
        return sum(self.sizes().values())
