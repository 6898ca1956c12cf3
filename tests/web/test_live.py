"""`LiveMatcher`: a worker's own writes are matched at once, others' within `match_staleness`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.matching import Match
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


def test_async_queries_stay_on_the_event_loop_unless_the_database_is_needed(
    store: BankStore, settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    store.create_bank("known")
    store.add_entries("known", [NewEntry(signals=(Signal("pdq", PDQ_A),))], source="test")
    live = LiveMatcher(store, replace(settings, match_staleness=1.0), clock=lambda: now[0])
    in_threads: list[str] = []  # what ran in worker threads
    on_loop = threading.get_ident()

    def in_a_thread(name: str, run: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            assert threading.get_ident() != on_loop, f"{name} ran on the event loop"
            in_threads.append(name)
            return run(*args, **kwargs)

        return recorded

    monkeypatch.setattr(live, "match_signals", in_a_thread("match", live.match_signals))

    def banks(value: str = PDQ_A) -> list[str]:
        return [m.bank for m in asyncio.run(live.match_signals_async([Signal("pdq", value)]))]

    assert (banks(PDQ_B), in_threads) == ([], [])  # no candidate: nothing to read
    assert (banks(), in_threads) == (["known"], ["match"])  # its entry is read in a thread
    assert (banks(), in_threads) == (["known"], ["match"])  # then known: on the loop

    # A thread holding the index makes the loop wait for it, not send the query to a thread.
    live._lock.acquire()
    threading.Timer(0.05, live._lock.release).start()
    assert (banks(), in_threads) == (["known"], ["match"])

    now[0] += 1.0  # stale: the change sequence is read in a thread
    assert (banks(), in_threads) == (["known"], ["match"] * 2)
    assert (banks(), in_threads) == (["known"], ["match"] * 2)  # fresh again
    store.add_entries("known", [NewEntry(signals=(Signal("pdq", PDQ_B),))], source="test")
    assert (banks(PDQ_B), in_threads) == (["known"], ["match"] * 3)  # this process wrote


def test_one_refresh_serves_every_waiting_query(
    store: BankStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    store.create_bank("known")
    store.add_entries("known", [NewEntry(signals=(Signal("pdq", PDQ_A),))], source="test")
    live = LiveMatcher(store, replace(settings, match_staleness=1.0), clock=lambda: now[0])
    live.match_signals([Signal("pdq", PDQ_A)])  # the entry is known
    now[0] += 1.0
    in_threads = []
    threaded = live.match_signals

    def slow(*args: Any, **kwargs: Any) -> list[Match]:
        in_threads.append(1)
        time.sleep(0.05)  # queries keep arriving meanwhile
        return threaded(*args, **kwargs)

    monkeypatch.setattr(live, "match_signals", slow)

    async def many() -> list[list[Match]]:
        query = [Signal("pdq", PDQ_A)]
        return await asyncio.gather(*(live.match_signals_async(query) for _ in range(20)))

    assert [len(m) for m in asyncio.run(many())] == [1] * 20
    assert len(in_threads) == 1  # one refreshed; the others waited and answered from memory
