"""The tallies of checks and matches, on SQLite and PostgreSQL: counted from real checks
through the pipeline, added up across processes and threads, kept when a write fails, written
on a clean shutdown, and by UTC day."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from bastion.pipeline import Bastion
from bastion.reporting.tallies import (
    CheckCounts,
    CheckTally,
    check_counts,
    looked_up,
    match_counts,
    signal_kind,
)
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from tests.web.console_helpers import jpeg

YEAR = (date(2026, 1, 1), date(2027, 1, 1))
EVER = (date(1970, 1, 1), date(9999, 1, 1))


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    made = Bastion(settings)
    made.store.create_bank("known", actor="test")
    made.add_to_bank("known", jpeg(1), added_by="test")
    yield made
    made.close()


def at(*when: int) -> float:
    return datetime(*when, tzinfo=UTC).timestamp()  # type: ignore[misc]


def test_checks_through_the_pipeline_are_tallied_by_kind_door_bank_and_signal_type(
    bastion: Bastion,
) -> None:
    for _ in range(3):
        bastion.check_content(jpeg(1))  # matches by pdq, md5 and sha256
    bastion.check_content(jpeg(2), door="hma")
    pdq = bastion.hash_content(jpeg(1)).signal("pdq")
    assert pdq is not None
    bastion.look_up([pdq, Signal("text", "hello there"), Signal("url", "https://example.org/")])
    bastion.tally.flush()

    counts = check_counts(bastion.db, *EVER)
    assert counts == {
        ("image", "api"): CheckCounts(checked=4, matched=4),  # three uploads, one PDQ
        ("image", "hma"): CheckCounts(checked=1, matched=0),
        ("text", "api"): CheckCounts(checked=1, matched=0),
        ("url", "api"): CheckCounts(checked=1, matched=0),
    }
    by_type = {
        (m.bank, m.source, m.source_kind, m.signal_type): m.matches
        for m in match_counts(bastion.db, *EVER)
    }
    assert by_type == {
        ("known", "local", "local", "pdq"): 4,
        ("known", "local", "local", "md5"): 3,
        ("known", "local", "local", "sha256"): 3,
    }


def test_a_tally_writes_to_the_days_row_of_each_check_whatever_day_it_is_written(
    db: Database,
) -> None:
    now = [at(2026, 12, 31, 23, 59, 59)]
    tally = CheckTally(db, clock=lambda: now[0])
    tally.record("image", "api")
    now[0] = at(2027, 1, 1, 0, 0, 0)
    tally.record("image", "api")
    tally.record("image", "api")
    tally.close()
    assert check_counts(db, *YEAR) == {("image", "api"): CheckCounts(1, 0)}
    assert check_counts(db, date(2027, 1, 1), date(2027, 1, 2)) == {
        ("image", "api"): CheckCounts(2, 0)
    }


def test_processes_and_threads_add_up_and_nothing_is_lost(db: Database) -> None:
    """Two tallies on one database (two processes), each recorded into by four threads while
    its writer writes every few milliseconds: every count arrives, once."""
    tallies = [CheckTally(db, interval=0.005), CheckTally(db, interval=0.005)]
    each = 300

    def work(tally: CheckTally, n: int) -> None:
        for i in range(each):
            tally.record("image", "api", matched=i % 3 == 0)
            if i % 10 == n:
                tally.record_alert("stream", "stream")

    threads = [
        threading.Thread(target=work, args=(tally, n)) for tally in tallies for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tally in tallies:
        tally.close()
    counts = check_counts(db, *EVER)
    assert counts[("image", "api")] == CheckCounts(checked=8 * each, matched=8 * 100)
    assert counts[("stream", "stream")] == CheckCounts(alerts=8 * 30)


def test_counts_are_kept_while_the_database_refuses_them_and_written_later(
    db: Database,
) -> None:
    tally = CheckTally(db, interval=3600)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE check_tallies RENAME TO check_tallies_away"))
    tally.record("video", "cli")
    tally.flush()  # fails: the counts stay in memory
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE check_tallies_away RENAME TO check_tallies"))
    assert check_counts(db, *EVER) == {}
    tally.record("video", "cli")
    tally.close()
    assert check_counts(db, *EVER) == {("video", "cli"): CheckCounts(2, 0)}


def test_closing_the_pipeline_writes_what_is_left(settings: Settings) -> None:
    first = Bastion(settings)
    first.store.create_bank("known", actor="test")
    first.check_content(jpeg(3))
    first.close()  # a clean shutdown, before the tally's writer woke
    second = Bastion(settings)
    try:
        assert check_counts(second.db, *EVER) == {("image", "api"): CheckCounts(1, 0)}
    finally:
        second.close()


def test_a_look_up_counts_each_signal_as_a_check_of_its_kind() -> None:
    pdq = PdqSignal.examples()[0]
    assert signal_kind("pdq") == "image"
    assert signal_kind("vpdq") == "video"
    assert signal_kind("sha256") == "hash"  # a digest of an image or a video file
    assert signal_kind("text") == "text"
    assert signal_kind("no-such-type") == "hash"
    parts = looked_up([("pdq", pdq), ("pdq", "f" * 64), ("text", "hi")], [])
    assert {(p.kind, p.checked, p.matched) for p in parts} == {("image", 2, 0), ("text", 1, 0)}
