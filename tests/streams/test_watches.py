"""The stream watches table on SQLite and PostgreSQL: adding, claiming, leases, reports."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bastion.errors import ConflictError, NotFoundError
from bastion.store import Database
from bastion.store.models import utcnow
from bastion.streams import WatchState, WatchStore
from bastion.streams.watches import WatchFiguresReport

URL = "https://live.example/a/index.m3u8?token=s3cret"
LEASE = timedelta(seconds=15)


@pytest.fixture
def watches(db: Database) -> WatchStore:
    return WatchStore(db)


def add(watches: WatchStore, url: str = URL, limit: int = 8) -> int:
    return watches.add(url, name="cam", started_by="key:abc", limit=limit).id


def test_a_new_watch_waits_without_its_token(watches: WatchStore) -> None:
    watch_id = add(watches)
    status = watches.get(watch_id)
    assert status.url == "https://live.example/a/index.m3u8"
    assert (status.state, status.running, status.connected) == (WatchState.WAITING, False, False)
    assert (status.name, status.started_by, status.frames) == ("cam", "key:abc", 0)
    assert [s.id for s in watches.list()] == [watch_id]


def test_a_watch_is_claimed_by_one_process_only(watches: WatchStore) -> None:
    ids = [add(watches, f"https://live.example/{n}.m3u8") for n in range(3)]
    now = utcnow()
    first = watches.claim("a", now=now, until=now + LEASE, limit=2)
    second = watches.claim("b", now=now, until=now + LEASE, limit=5)
    assert [c.id for c in first] == ids[:2]
    assert [c.id for c in second] == ids[2:]
    assert first[0].url == "https://live.example/0.m3u8"
    assert watches.claim("c", now=now, until=now + LEASE, limit=5) == []
    assert {s.state for s in watches.list()} == {WatchState.RUNNING}


def test_concurrent_claims_never_share_a_watch(watches: WatchStore) -> None:
    for n in range(20):
        add(watches, f"https://live.example/{n}.m3u8", limit=100)
    now = utcnow()
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def claim(owner: str) -> None:
        start.wait()
        taken[owner] = [
            c.id
            for _ in range(30)
            for c in watches.claim(owner, now=now, until=now + LEASE, limit=1)
        ]

    threads = [threading.Thread(target=claim, args=(f"p{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [watch_id for ids in taken.values() for watch_id in ids]
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 20


def test_a_lapsed_lease_is_taken_over_and_figures_add_up(watches: WatchStore) -> None:
    watch_id = add(watches)
    now = utcnow()
    watches.claim("a", now=now, until=now + timedelta(seconds=1), limit=1)
    figures = WatchFiguresReport(connected=True, frames=40, matched_frames=3, alerts=1)
    assert watches.report(watch_id, "a", figures, until=now + timedelta(seconds=1))
    assert watches.get(watch_id).connected
    assert watches.claim("b", now=now, until=now + LEASE, limit=1) == []  # still held
    later = now + timedelta(seconds=2)
    [takeover] = watches.claim("b", now=later, until=later + LEASE, limit=1)
    assert takeover.earlier == WatchFiguresReport(
        connected=False, frames=40, matched_frames=3, alerts=1
    )
    # The old owner learns it lost the watch from its next report, which changes nothing.
    assert not watches.report(watch_id, "a", WatchFiguresReport(frames=99), until=later + LEASE)
    mine = WatchFiguresReport(connected=True, frames=10, reconnects=1).after(takeover.earlier)
    assert watches.report(watch_id, "b", mine, until=utcnow() + LEASE)
    status = watches.get(watch_id)
    assert (status.frames, status.matched_frames, status.alerts, status.reconnects) == (50, 3, 1, 1)
    assert status.state is WatchState.RUNNING


def test_an_ended_watch_is_never_claimed_again(watches: WatchStore) -> None:
    watch_id = add(watches)
    now = utcnow()
    watches.claim("a", now=now, until=now + LEASE, limit=1)
    assert watches.finish(watch_id, "a", WatchFiguresReport(frames=5, last_error="x: 404"))
    later = now + timedelta(hours=1)
    assert watches.claim("b", now=later, until=later + LEASE, limit=1) == []
    status = watches.get(watch_id)
    assert (status.state, status.frames, status.last_error) == (WatchState.ENDED, 5, "x: 404")


def test_a_released_watch_is_claimed_at_once(watches: WatchStore) -> None:
    watch_id = add(watches)
    now = utcnow()
    watches.claim("a", now=now, until=now + LEASE, limit=1)
    assert watches.release(watch_id, "a", WatchFiguresReport(frames=7))
    assert watches.get(watch_id).state is WatchState.WAITING
    [claim] = watches.claim("b", now=utcnow(), until=utcnow() + LEASE, limit=1)
    assert claim.earlier.frames == 7


def test_removing_a_watch_ends_its_owners_reports(watches: WatchStore) -> None:
    watch_id = add(watches)
    now = utcnow()
    watches.claim("a", now=now, until=now + LEASE, limit=1)
    last = watches.remove(watch_id)
    assert (last.state, last.running) == (WatchState.ENDED, False)
    assert not watches.report(watch_id, "a", WatchFiguresReport(), until=now + LEASE)
    with pytest.raises(NotFoundError):
        watches.get(watch_id)
    with pytest.raises(NotFoundError):
        watches.remove(watch_id)


def test_unfinished_watches_are_limited(watches: WatchStore) -> None:
    first = add(watches, limit=2)
    add(watches, limit=2)
    with pytest.raises(ConflictError, match="already watching 2 streams"):
        add(watches, limit=2)
    now = utcnow()
    watches.claim("a", now=now, until=now + LEASE, limit=1)
    watches.finish(first, "a", WatchFiguresReport())
    add(watches, limit=2)  # an ended watch no longer counts


def test_a_long_error_is_cut_to_fit(watches: WatchStore) -> None:
    watch_id = add(watches)
    now = utcnow()
    watches.claim("a", now=now, until=now + LEASE, limit=1)
    assert watches.report(watch_id, "a", WatchFiguresReport(last_error="e" * 1000), until=now)
    assert watches.get(watch_id).last_error == "e" * 300
