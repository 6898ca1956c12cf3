"""Live-stream watcher latency: from a known video going live to its bank's actions.

    python benchmarks/stream.py [--runs 5]

A live HLS stream (1-s MPEG-TS segments, 320x240, 10 fps, served from 127.0.0.1 by the
test suite's `HlsServer`) shows 4 s of other content, then 6 s of a video that is in a bank,
then other content. The watcher samples two frames a second, matches each against the bank
(a real SQLite store and matcher) and alerts on two matching frames. Reported per run:

- first match to alert: from the arrival of the first matching frame to the alert (the
  issue asks for at most 2 s);
- live to alert: from the first segment of the known video being published to the alert.

The anchor, measured in the same run, is the reader alone on a stream of flat colours: from
a segment being published to the arrival of its first frame (what any watcher must wait).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from tests.media.hls import HlsServer, colour_frames, encode_segments, pattern_frames  # noqa: E402
from tests.videos import encode_frames, synthetic_frames  # noqa: E402

from bastion.banks import BankStore, Derived, NewEntry  # noqa: E402
from bastion.hashing import ContentHasher  # noqa: E402
from bastion.matching import Match, Matcher  # noqa: E402
from bastion.media.fetch import FetchPolicy  # noqa: E402
from bastion.media.stream import StreamOptions, StreamReader  # noqa: E402
from bastion.settings import Settings  # noqa: E402
from bastion.signals import Signal  # noqa: E402
from bastion.store import Database  # noqa: E402
from bastion.streams import StreamWatcher, WatchPolicy  # noqa: E402
from machine import describe  # noqa: E402

FPS = 10
#: The test server is on 127.0.0.1, which streams may not reach by default.
LOCAL = StreamOptions(sample_seconds=0.5, addresses=FetchPolicy(allow_networks=("127.0.0.1/32",)))
BEFORE = 4  # seconds of other content before the known video


def anchor(colours: list[tuple[int, int, int]], segments: list[bytes]) -> list[float]:
    """Seconds from each segment's publication to the arrival of a frame of its colour."""
    delays: list[float] = []
    with HlsServer(segments, live=True) as server:
        reader = StreamReader(server.url, LOCAL)
        seen: set[int] = set()
        for frame in reader.frames():
            mean = frame.pixels.reshape(-1, 3).mean(axis=0)
            index = int(np.argmin([np.abs(mean - c).sum() for c in colours]))
            if index not in seen and index in server.published_at and index >= 2:
                seen.add(index)  # the first two segments were published before reading
                delays.append(frame.received_at - server.published_at[index])
    return delays


def watch_once(matcher: Matcher, segments: list[bytes]) -> tuple[float, float]:
    lock = threading.Lock()
    alerted = threading.Event()

    def match(signals: list[Signal], lookups: list[Derived]) -> list[Match]:
        with lock:
            return matcher.match_signals(signals, lookups=lookups)

    def alert(matches: list[Match], content: dict[str, object]) -> None:
        alerted.set()

    with HlsServer(segments, live=True) as server:
        watcher = StreamWatcher(
            server.url,
            match,
            alert,
            options=LOCAL,
            policy=WatchPolicy(min_frames=2),
        )
        watcher.start()
        if not alerted.wait(30):
            watcher.stop()
            raise SystemExit("no alert within 30 s")
        alerted_at = time.monotonic()
        watcher.stop()
        live_at = server.published_at[BEFORE]
    [first_match] = watcher.figures.alert_latencies
    return first_match, alerted_at - live_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    known = synthetic_frames(41, seconds=6, fps=FPS)
    frames = pattern_frames(BEFORE, fps=FPS) + known + pattern_frames(4, fps=FPS)
    segments = encode_segments(frames, fps=FPS)
    colours = [((37 * i) % 256, (91 * i) % 256, (151 * i) % 256) for i in range(12)]
    colour_segments = encode_segments(colour_frames(colours, fps=FPS), fps=FPS)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.load(env={}, data_dir=Path(folder))
        db = Database.open(settings.database_url)
        store = BankStore(db)
        store.create_bank("videos")
        hasher = ContentHasher(settings.with_overrides(video_signals="vpdq").hashing_options())
        video = hasher.hash_bytes(encode_frames(known, fps=FPS))
        store.add_entries("videos", [NewEntry(signals=video.signals)], source="media")
        matcher = Matcher(store, settings.matching_options())
        anchors: list[float] = []
        first: list[float] = []
        live: list[float] = []
        for _ in range(args.runs):
            anchors += anchor(colours, colour_segments)
            a, b = watch_once(matcher, segments)
            first.append(a)
            live.append(b)
        db.close()
    print(f"Machine: {describe('av', 'numpy')}; {args.runs} runs\n")
    print("| measure | median s | max s |")
    print("|---|---:|---:|")
    for name, values in [
        ("anchor: segment published to its first frame read", anchors),
        ("first matching frame to alert", first),
        ("known video live to alert", live),
    ]:
        print(f"| {name} | {statistics.median(values):.3f} | {max(values):.3f} |")


if __name__ == "__main__":
    main()
