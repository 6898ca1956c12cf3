"""`LiveMatcher`: look-ups never wait on writers; a worker's own writes are matched at once,
others' within `match_staleness`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bastion.banks import BankStore, Change, NewEntry
from bastion.matching import Match, Matcher
from bastion.pipeline import LiveMatcher
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from tests.matching.gated import GUARD_SECONDS, GatedStore, in_a_thread

PDQ_A, PDQ_B = PdqSignal.examples()
PDQ_C = "ab" * 32


def live_matcher(
    store: BankStore, settings: Settings, staleness: float, *, clock: Callable[[], float]
) -> LiveMatcher:
    """A live matcher over `store` that lets views be `staleness` seconds old."""
    matcher = Matcher(store, settings.matching_options())
    return LiveMatcher(matcher, max_staleness=staleness, clock=clock)


def banks_matching(live: LiveMatcher, value: str) -> list[str]:
    return [m.bank for m in live.match_signals([Signal("pdq", value)])]


def add(store: BankStore, bank: str, value: str) -> int:
    (entry_id,) = store.add_entries(
        bank, [NewEntry(signals=(Signal("pdq", value),))], source="test"
    )
    return entry_id


def caught_up(live: LiveMatcher) -> None:
    """Wait for the catch-up under way, if any, to finish."""
    with live._state:
        assert live._state.wait_for(lambda: live._running_since is None, GUARD_SECONDS)


def test_own_writes_at_once_and_other_processes_within_the_staleness(
    store: BankStore, settings: Settings, db: Database
) -> None:
    now = [100.0]
    live = live_matcher(store, settings, 0.5, clock=lambda: now[0])
    other = BankStore(db)  # as another worker or the CLI would write
    other.create_bank("theirs")
    add(other, "theirs", PDQ_A)
    assert banks_matching(live, PDQ_A) == []  # within the staleness: not read yet
    now[0] += 0.5
    assert banks_matching(live, PDQ_A) == ["theirs"]

    store.create_bank("mine")
    add(store, "mine", PDQ_B)
    assert banks_matching(live, PDQ_B) == ["mine"]  # the clock has not moved
    assert live.status().seq == other.head_seq()


def test_staleness_zero_reads_the_change_sequence_before_every_query(
    store: BankStore, settings: Settings, db: Database
) -> None:
    live = live_matcher(store, settings, 0, clock=lambda: 100.0)
    other = BankStore(db)
    other.create_bank("theirs")
    add(other, "theirs", PDQ_A)
    assert banks_matching(live, PDQ_A) == ["theirs"]


def test_a_view_getting_old_is_caught_up_in_the_background(
    db: Database, settings: Settings
) -> None:
    now = [100.0]
    store = GatedStore(db)
    live = live_matcher(store, settings, 1.0, clock=lambda: now[0])
    other = BankStore(db)
    other.create_bank("theirs")
    add(other, "theirs", PDQ_A)

    now[0] = 100.6  # older than half the staleness: answered at once, caught up meanwhile
    assert banks_matching(live, PDQ_A) == []
    caught_up(live)
    assert banks_matching(live, PDQ_A) == ["theirs"]

    add(other, "theirs", PDQ_B)
    gate = store.arm("changes_since")
    now[0] = 101.2
    assert banks_matching(live, PDQ_B) == []  # starts a catch-up, held in its first read
    assert gate.reading.wait(GUARD_SECONDS)
    now[0] = 101.7  # older than the staleness, but the catch-up under way began in time
    answering, answered = in_a_thread(lambda: banks_matching(live, PDQ_B))
    answering.join(GUARD_SECONDS)
    assert answered == [[]]  # not held up by it
    gate.go_on.set()
    caught_up(live)
    assert banks_matching(live, PDQ_B) == ["theirs"]

    caught_up(live)  # the one that query started
    add(other, "theirs", PDQ_C)
    now[0] = 110.0  # after an idle spell a query waits for a catch-up
    assert banks_matching(live, PDQ_C) == ["theirs"]
    assert live.status().seq == other.head_seq()


def test_a_look_up_is_answered_while_a_write_through_the_process_is_caught_up(
    db: Database, settings: Settings
) -> None:
    store = GatedStore(db)
    store.create_bank("known")
    add(store, "known", PDQ_A)
    live = live_matcher(store, settings, 1.0, clock=lambda: 100.0)
    assert banks_matching(live, PDQ_A) == ["known"]  # its entry is known

    gate = store.arm("index_rows_for_entries")
    writing, _ = in_a_thread(lambda: add(store, "known", PDQ_B))
    # The write has committed, and catches the view up before it returns: it reads the new
    # entry's rows. (Before issue 16 the next look-up did that, holding every other one up.)
    assert gate.reading.wait(GUARD_SECONDS)
    answering, answered = in_a_thread(
        lambda: (banks_matching(live, PDQ_A), banks_matching(live, PDQ_B))
    )
    answering.join(GUARD_SECONDS)
    assert answered == [(["known"], [])]  # from the view as it is
    gate.go_on.set()
    writing.join(GUARD_SECONDS)
    assert banks_matching(live, PDQ_B) == ["known"]  # the writer reads its write


def test_a_look_up_does_not_wait_for_another_look_ups_database_read(
    db: Database, settings: Settings
) -> None:
    store = GatedStore(db)
    store.create_bank("known")
    add(store, "known", PDQ_A)
    add(store, "known", PDQ_B)
    live = live_matcher(store, settings, 1.0, clock=lambda: 100.0)
    assert banks_matching(live, PDQ_A) == ["known"]  # its entry is known

    gate = store.arm("signal_owners")
    reading, found = in_a_thread(lambda: banks_matching(live, PDQ_B))  # reads its entry
    assert gate.reading.wait(GUARD_SECONDS)
    answering, answered = in_a_thread(lambda: banks_matching(live, PDQ_A))
    answering.join(GUARD_SECONDS)
    assert answered == [["known"]]
    gate.go_on.set()
    reading.join(GUARD_SECONDS)
    assert found == [["known"]]


class FailingStore(BankStore):
    """A store whose change sequence cannot be read while `down` is set."""

    down = False

    def changes_since(
        self, seq: int, *, until: int | None = None, limit: int = 10_000
    ) -> list[Change]:
        if self.down:
            raise RuntimeError("the database is down")
        return super().changes_since(seq, until=until, limit=limit)


def test_a_failed_catch_up_is_reported_to_the_query_that_needs_it(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    now = [100.0]
    store = FailingStore(db)
    store.create_bank("known")
    live = live_matcher(store, settings, 1.0, clock=lambda: now[0])
    store.down = True
    with caplog.at_level(logging.WARNING, logger="bastion.web.live"):
        add(store, "known", PDQ_A)  # the write stands; catching up with it is logged
        now[0] = 100.6
        assert banks_matching(live, PDQ_A) == []  # a background catch-up fails: logged
        caught_up(live)
    assert [r.getMessage() for r in caplog.records] == [
        "catching up the match index after a write failed: the database is down",
        "catching up the match index failed: the database is down",
    ]
    now[0] = 110.0
    with pytest.raises(RuntimeError, match="down"):  # this one must wait: it reports why
        banks_matching(live, PDQ_A)
    with pytest.raises(RuntimeError, match="down"):
        asyncio.run(live.match_signals_async([Signal("pdq", PDQ_A)]))
    store.down = False
    assert banks_matching(live, PDQ_A) == ["known"]


def test_async_queries_stay_on_the_event_loop_unless_the_database_is_needed(
    store: BankStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    store.create_bank("known")
    add(store, "known", PDQ_A)
    live = live_matcher(store, settings, 1.0, clock=lambda: now[0])
    matcher = live._matcher
    calls: list[str] = []  # what ran off the event loop

    def off_the_loop(name: str, run: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            with pytest.raises(RuntimeError):
                asyncio.get_running_loop()  # raises where no loop runs
            calls.append(name)
            return run(*args, **kwargs)

        return recorded

    monkeypatch.setattr(matcher, "match_signals", off_the_loop("match", matcher.match_signals))
    monkeypatch.setattr(matcher, "refresh", off_the_loop("catch-up", matcher.refresh))

    def banks(value: str = PDQ_A) -> list[str]:
        return [m.bank for m in asyncio.run(live.match_signals_async([Signal("pdq", value)]))]

    assert (banks(PDQ_B), calls) == ([], [])  # no candidate: nothing to read
    assert (banks(), calls) == (["known"], ["match"])  # its entry is read in a thread
    assert (banks(), calls) == (["known"], ["match"])  # then known: on the loop

    # A step being applied holds the index: the loop looks again a moment later rather
    # than send the query to a thread (whose turn comes late on a busy machine).
    matcher._lock.acquire()
    threading.Timer(0.05, matcher._lock.release).start()
    assert (banks(), calls) == (["known"], ["match"])

    now[0] += 1.0  # idle: the loop waits for a catch-up in a background thread
    assert (banks(), calls) == (["known"], ["match", "catch-up"])
    assert (banks(), calls) == (["known"], ["match", "catch-up"])  # fresh again

    # A write through this process catches up in the writing thread before it returns, so
    # the next query sees it, and queries of entries it did not touch stay on the loop.
    add(store, "known", PDQ_B)
    assert calls == ["match", "catch-up", "catch-up"]
    assert (banks(PDQ_B), calls) == (["known"], ["match", "catch-up", "catch-up", "match"])
    assert (banks(), calls) == (["known"], ["match", "catch-up", "catch-up", "match"])


def test_one_catch_up_serves_every_waiting_query(
    store: BankStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    store.create_bank("known")
    add(store, "known", PDQ_A)
    live = live_matcher(store, settings, 1.0, clock=lambda: now[0])
    live.match_signals([Signal("pdq", PDQ_A)])  # the entry is known
    now[0] += 1.0
    calls: list[str] = []
    refresh, match = live._matcher.refresh, live._matcher.match_signals

    def slow_refresh() -> int:
        calls.append("catch-up")
        time.sleep(0.05)  # queries keep arriving meanwhile
        return refresh()

    def match_in_a_thread(*args: Any, **kwargs: Any) -> list[Match]:
        calls.append("match")
        return match(*args, **kwargs)

    monkeypatch.setattr(live._matcher, "refresh", slow_refresh)
    monkeypatch.setattr(live._matcher, "match_signals", match_in_a_thread)

    async def many() -> list[list[Match]]:
        query = [Signal("pdq", PDQ_A)]
        return await asyncio.gather(*(live.match_signals_async(query) for _ in range(20)))

    assert [len(m) for m in asyncio.run(many())] == [1] * 20
    assert calls == ["catch-up"]  # one caught up; the others waited and answered from memory
