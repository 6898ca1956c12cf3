"""Stream watches shared by several service processes: each registry here stands for one
process on the same database, watching live HLS streams served from 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bastion.errors import ConflictError, NotFoundError
from bastion.media.fetch import FetchPolicy, ForbiddenAddressError
from bastion.store import Database
from bastion.streams import StreamRegistry, WatchState
from tests.media.hls import HlsServer, encode_segments, pattern_frames

LOCAL = FetchPolicy(allow_networks=("127.0.0.1/32",))
Registry = Callable[..., StreamRegistry]


@pytest.fixture
def registry(db: Database) -> Iterator[Registry]:
    made: list[StreamRegistry] = []

    def make(limit: int = 4, lease_seconds: float = 15.0) -> StreamRegistry:
        registry = StreamRegistry(
            db,
            lambda signals, lookups: [],
            lambda m, c: None,
            LOCAL,
            limit=limit,
            lease_seconds=lease_seconds,
        )
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.release_all()


@pytest.fixture(scope="module")
def segments() -> list[bytes]:
    return encode_segments(pattern_frames(60))


def eventually(condition: Callable[[], bool], *syncing: StreamRegistry, within: float = 15) -> None:
    """Wait for `condition`, syncing `syncing` as their background threads would."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        for registry in syncing:
            registry.sync()
        time.sleep(0.1)


def test_a_watch_started_in_one_process_is_seen_and_stopped_from_another(
    registry: Registry, segments: list[bytes]
) -> None:
    a, b = registry(), registry()
    with HlsServer(segments, live=True) as server:
        started = a.start(server.url + "?token=s3cret", name="cam 1", started_by="key:abc")
        assert started.state is WatchState.RUNNING
        assert started.url == server.url
        assert a.local_ids == [started.id]
        b.sync()
        assert b.local_ids == []  # already running elsewhere
        eventually(lambda: b.status(started.id).frames >= 2, a)
        [seen] = b.list()
        assert (seen.id, seen.running, seen.connected) == (started.id, True, True)
        stopped = b.stop(started.id)
        assert (stopped.state, stopped.running) == (WatchState.ENDED, False)
        assert stopped.frames >= 2
        a.sync()  # a's report finds the watch gone: a stops its watcher
        assert a.local_ids == []
        with pytest.raises(NotFoundError):
            a.status(started.id)
        time.sleep(0.5)  # a fetch under way when it stopped may finish
        fetched = len(server.requests)
        time.sleep(1.5)
        assert len(server.requests) == fetched  # nobody fetches the stream any more


def test_a_process_that_stops_reporting_loses_its_watch_to_another(
    registry: Registry, segments: list[bytes]
) -> None:
    hung, other = registry(lease_seconds=1.0), registry(lease_seconds=1.0)
    with HlsServer(segments, live=True) as server:
        watch = hung.start(server.url)
        eventually(lambda: other.status(watch.id).frames >= 1, hung)
        # `hung` no longer syncs; once its lease has passed, `other` takes the watch over.
        eventually(lambda: other.local_ids == [watch.id], other, within=10)
        frames_before = other.status(watch.id).frames
        eventually(lambda: other.status(watch.id).frames > frames_before, other)
        hung.sync()  # it wakes up: its report is refused, and it stops its own watcher
        assert hung.local_ids == []
        assert other.status(watch.id).state is WatchState.RUNNING


def test_watches_resume_after_a_restart(registry: Registry, segments: list[bytes]) -> None:
    first = registry()
    with HlsServer(segments, live=True) as server:
        watch = first.start(server.url)
        eventually(lambda: first.status(watch.id).frames >= 1, first)
        first.release_all()  # the process shuts down cleanly
        assert first.status(watch.id).state is WatchState.WAITING
        frames = first.status(watch.id).frames
        restarted = registry()
        restarted.sync()
        assert restarted.local_ids == [watch.id]
        eventually(lambda: restarted.status(watch.id).frames > frames, restarted)


def test_a_stream_that_ends_leaves_an_ended_watch(
    registry: Registry, segments: list[bytes]
) -> None:
    a = registry()
    with HlsServer(segments[:3], live=False) as server:
        watch = a.start(server.url)
        eventually(lambda: a.status(watch.id).state is WatchState.ENDED, a)
    status = a.status(watch.id)
    assert (status.frames, status.running, status.last_error) == (6, False, None)
    assert a.local_ids == []
    a.sync()
    assert a.local_ids == []  # an ended watch is never claimed again


def test_limits_and_addresses(registry: Registry, segments: list[bytes]) -> None:
    full, spare = registry(limit=1), registry(limit=1)
    with HlsServer(segments, live=True) as server:
        full.start(server.url)
        with pytest.raises(ConflictError):
            spare.start(server.url + "?second")
    with pytest.raises(ForbiddenAddressError):
        spare.start("http://10.0.0.8/live.m3u8")
