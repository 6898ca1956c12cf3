"""`LiveMatcher`: a worker's own writes are matched at once, others' within `match_staleness`."""

from __future__ import annotations

from dataclasses import replace

from bastion.banks import BankStore, NewEntry
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from bastion.web.live import LiveMatcher

PDQ_A, PDQ_B = PdqSignal.examples()


def banks_matching(live: LiveMatcher, value: str) -> list[str]:
    return [m.bank for m in live.match_signals([Signal("pdq", value)])]


def test_own_writes_at_once_and_other_processes_within_the_staleness(
    store: BankStore, settings: Settings, db: Database
) -> None:
    now = [100.0]
    live = LiveMatcher(store, replace(settings, match_staleness=0.5), clock=lambda: now[0])
    other = BankStore(db)  # as another worker or the CLI would write
    other.create_bank("theirs")
    other.add_entries("theirs", [NewEntry(signals=(Signal("pdq", PDQ_A),))], source="test")
    assert banks_matching(live, PDQ_A) == []  # within the staleness: not read yet
    now[0] += 0.5
    assert banks_matching(live, PDQ_A) == ["theirs"]

    store.create_bank("mine")
    store.add_entries("mine", [NewEntry(signals=(Signal("pdq", PDQ_B),))], source="test")
    assert banks_matching(live, PDQ_B) == ["mine"]  # the clock has not moved
    assert live.status().seq == other.head_seq()


def test_staleness_zero_reads_the_change_sequence_before_every_query(
    store: BankStore, settings: Settings, db: Database
) -> None:
    live = LiveMatcher(store, replace(settings, match_staleness=0), clock=lambda: 100.0)
    other = BankStore(db)
    other.create_bank("theirs")
    other.add_entries("theirs", [NewEntry(signals=(Signal("pdq", PDQ_A),))], source="test")
    assert banks_matching(live, PDQ_A) == ["theirs"]
