"""Watching a live HLS stream served from 127.0.0.1: a known video shown in it is alerted on
while the stream is still live, with the bank's actions run."""

from __future__ import annotations

import threading

from bastion.actions import ActionStore
from bastion.banks import BankStore, NewEntry
from bastion.hashing import ContentHasher
from bastion.matching import Match, Matcher
from bastion.media.fetch import FetchPolicy
from bastion.media.stream import StreamOptions
from bastion.review import ReviewDesk
from bastion.settings import Settings
from bastion.streams.watcher import StreamWatcher, WatchPolicy, public_url
from tests.media.hls import HlsServer, encode_segments, pattern_frames
from tests.videos import encode_frames, synthetic_frames

FPS = 10


def test_a_known_video_in_a_live_stream_raises_one_alert_with_actions(
    store: BankStore, settings: Settings, db
) -> None:
    known = synthetic_frames(41, seconds=6, fps=FPS)
    hasher = ContentHasher(settings.with_overrides(video_signals="vpdq").hashing_options())
    store.create_bank("videos")
    [entry] = store.add_entries(
        "videos",
        [NewEntry(signals=hasher.hash_bytes(encode_frames(known, fps=FPS)).signals)],
        source="media",
    )
    actions = ActionStore(db, settings.credential_box())
    actions.add_review("videos")
    matcher = Matcher(store, settings.matching_options())
    lock = threading.Lock()

    def match(signals, lookups):  # type: ignore[no-untyped-def]
        with lock:
            return matcher.match_signals(signals, lookups=lookups)

    alerts: list[tuple[list[Match], dict]] = []

    def alert(matches: list[Match], content: dict) -> None:
        alerts.append((matches, content))
        actions.record_matches(matches, content=content)

    # 3 s of something else, the known video, then something else again, live.
    frames = pattern_frames(3, fps=FPS) + known + pattern_frames(3, fps=FPS)
    with HlsServer(encode_segments(frames, fps=FPS), live=True) as server:
        watcher = StreamWatcher(
            server.url + "?token=s3cret",
            match,
            alert,
            options=StreamOptions(
                sample_seconds=0.5,
                read_timeout=5,
                addresses=FetchPolicy(allow_networks=("127.0.0.1/32",)),
            ),
            policy=WatchPolicy(min_frames=2),
        )
        watcher.start()
        watcher._thread.join(timeout=40)  # the stream ends after its last segment
        watcher.stop()

    assert watcher.error is None
    assert watcher.figures.frames >= 20
    [(matches, content)] = alerts
    assert {(m.bank, m.entry_id) for m in matches} == {("videos", entry)}
    assert content["name"] == server.url  # the token is not passed on
    assert 2.0 <= content["stream_seconds"] <= 6.0
    assert len(watcher.figures.alert_latencies) == 1
    [item] = ReviewDesk(db).jobs()
    assert item.entry_id == entry


def test_public_url_drops_tokens() -> None:
    assert public_url("https://cdn.example/live/x.m3u8?token=abc#t") == (
        "https://cdn.example/live/x.m3u8"
    )
