"""Catching up with writers: bounded steps, database reads without the index lock.

Wrapped stores make the interleavings deterministic: one writes while the matcher reads (as
six writers would), the other holds a read open until the test lets it go.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from bastion.banks import BankStore, IndexRow, NewEntry, SignalOwner
from bastion.matching import Matcher
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store import Database
from tests.matching.gated import GUARD_SECONDS, GatedStore, in_a_thread


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


def entry(n: int, **metadata: Any) -> NewEntry:
    return NewEntry(signals=(Signal("pdq", pdq(n)),), metadata=metadata)


def matched(matcher: Matcher, n: int) -> list[int]:
    return [m.entry_id for m in matcher.match_signals([Signal("pdq", pdq(n))])]


class BusyStore(BankStore):
    """A store that another writer adds an entry to each time the matcher reads rows."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.writer = BankStore(db)
        self.written: list[int] = []

    def index_rows_for_entries(self, entry_ids: Sequence[int]) -> list[IndexRow]:
        rows = super().index_rows_for_entries(entry_ids)
        n = 1000 + len(self.written)
        self.written += self.writer.add_entries("bank", [entry(n)], source="test")
        return rows


def test_a_refresh_stops_at_the_newest_change_when_it_began(
    db: Database, settings: Settings
) -> None:
    store = BusyStore(db)
    store.create_bank("bank")
    matcher = Matcher(store, settings.matching_options(), step_changes=2)
    ids = [store.writer.add_entries("bank", [entry(n)], source="test")[0] for n in range(5)]
    head = store.head_seq()

    # Before issue 16 the matcher went on while changes kept arriving (for 20-30 s under six
    # writers on PostgreSQL). Each of the three steps' reads lets one more entry in.
    assert matcher.refresh() == 5
    assert matcher.seq == head
    assert len(store.written) == 3
    assert [matched(matcher, n) for n in range(5)] == [[i] for i in ids]
    assert matched(matcher, 1000) == []  # arrived during the refresh: for the next one

    assert matcher.refresh() == 3
    assert matched(matcher, 1000) == [store.written[0]]


def test_queries_go_on_between_steps_and_see_each_step_whole(
    db: Database, settings: Settings
) -> None:
    store = GatedStore(db)
    store.create_bank("bank")
    (known,) = store.add_entries("bank", [entry(0)], source="test")
    matcher = Matcher(store, settings.matching_options(), step_changes=2)
    first = store.add_entries("bank", [entry(1), entry(2)], source="test")
    later = store.add_entries("bank", [entry(3)], source="test")

    first_step = store.arm("index_rows_for_entries")
    second_step = store.arm("index_rows_for_entries")
    refreshing, applied = in_a_thread(matcher.refresh)
    assert first_step.reading.wait(GUARD_SECONDS)
    # The first step is being read: a query answers from the view as it was.
    assert [matched(matcher, n) for n in range(4)] == [[known], [], [], []]
    first_step.go_on.set()
    assert second_step.reading.wait(GUARD_SECONDS)
    # The first step is applied, all of it; the second is still being read.
    assert [matched(matcher, n) for n in range(4)] == [[known], [first[0]], [first[1]], []]
    second_step.go_on.set()
    refreshing.join(GUARD_SECONDS)
    assert applied == [3]
    assert matched(matcher, 3) == later


def test_a_query_reading_entries_holds_up_neither_queries_nor_refreshes(
    db: Database, settings: Settings
) -> None:
    store = GatedStore(db)
    store.create_bank("bank")
    known, unread = store.add_entries("bank", [entry(0), entry(1)], source="test")
    matcher = Matcher(store, settings.matching_options())
    assert matched(matcher, 0) == [known]  # its entry is remembered from now on

    gate = store.arm("signal_owners")
    reading, found = in_a_thread(lambda: matched(matcher, 1))
    assert gate.reading.wait(GUARD_SECONDS)
    assert matched(matcher, 0) == [known]
    (added,) = BankStore(db).add_entries("bank", [entry(2)], source="test")
    assert matcher.refresh() == 1
    assert matched(matcher, 2) == [added]
    gate.go_on.set()
    reading.join(GUARD_SECONDS)
    assert found == [[unread]]


def test_an_entry_read_before_a_refresh_changed_it_is_not_remembered(
    db: Database, settings: Settings
) -> None:
    store = GatedStore(db)
    store.create_bank("bank")
    (entry_id,) = store.add_entries("bank", [entry(0, version=1)], source="test")
    matcher = Matcher(store, settings.matching_options())

    def versions() -> list[int]:
        return [m.metadata["version"] for m in matcher.match_signals([Signal("pdq", pdq(0))])]

    gate = store.arm("signal_owners")
    reading, found = in_a_thread(versions)
    assert gate.reading.wait(GUARD_SECONDS)  # version 1 has been read
    BankStore(db).update_entry(entry_id, metadata={"version": 2})
    assert matcher.refresh() == 1
    gate.go_on.set()
    reading.join(GUARD_SECONDS)
    assert found == [[1]]  # read before the change, answered as read
    assert versions() == [2]  # not remembered over the change


def test_a_change_to_one_entry_keeps_the_others_remembered(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BankStore(db)
    store.create_bank("bank")
    first, second = store.add_entries("bank", [entry(0), entry(1)], source="test")
    matcher = Matcher(store, settings.matching_options())
    reads: list[list[int]] = []
    read_owners = store.signal_owners

    def counted(signal_ids: Sequence[int]) -> dict[int, SignalOwner]:
        reads.append(list(signal_ids))
        return read_owners(signal_ids)

    monkeypatch.setattr(store, "signal_owners", counted)
    assert (matched(matcher, 0), matched(matcher, 1), len(reads)) == ([first], [second], 2)
    store.update_entry(second, metadata={"changed": True})
    store.add_entries("bank", [entry(2)], source="test")
    assert matcher.refresh() == 2
    assert (matched(matcher, 0), len(reads)) == ([first], 2)  # still remembered
    assert (matched(matcher, 1), len(reads)) == ([second], 3)  # changed: read again
