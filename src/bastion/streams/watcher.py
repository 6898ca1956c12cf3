"""`StreamWatcher`: one live stream, its sampled frames matched as they arrive.

Each sampled frame (`bastion.media.stream.StreamReader`) is hashed by every image signal
type (PDQ, and those of plugins) and matched at once as those signals against image banks
and as each video type's signal of one frame (`SignalType.from_frame`: a one-frame `vpdq`)
against the frames of bank videos, and by the same lookups as an upload where a bank's match
options ask for them (`bastion.variants.lookups`: a rotated or letterboxed picture in the
stream is found as it would be uploaded). When `min_frames` frames within `window_seconds` of
stream time have matched the same bank entry, the watcher raises an alert for it: the
caller's `alert` (the bank's actions) runs at once, in the watcher's thread. An entry
alerts again only after `realert_seconds` without alerting. The watcher's figures (frames,
alerts, lag, the time from a first matching frame to its alert) can be read from any
thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from bastion.banks import ALL_OFF, Derived, MatchOptions
from bastion.hashing import computed_types
from bastion.matching import Match
from bastion.media.stream import LiveFrame, StreamOptions, StreamReader
from bastion.pdq import PdqMode
from bastion.signals import Content, HashingOptions, Signal, signal_types
from bastion.variants import lookups

log = logging.getLogger(__name__)

#: Looks a frame up: its signals, and its lookups (its rotations, the picture inside its
#: borders...), each matched in the banks whose match options allow it.
MatchFrame = Callable[[list[Signal], list[Derived]], list[Match]]
#: Called with the matches of an alert and what the stream content was at that moment.
Alert = Callable[[list[Match], dict[str, object]], None]


@dataclass(frozen=True)
class WatchPolicy:
    """When a stream's matching frames amount to an alert."""

    min_frames: int = 2
    window_seconds: float = 10.0
    realert_seconds: float = 300.0


@dataclass
class WatchFigures:
    frames: int = 0
    matched_frames: int = 0
    alerts: int = 0
    #: Seconds from the first matching frame's arrival to its alert, per alert.
    alert_latencies: list[float] = field(default_factory=list)


def public_url(url: str) -> str:
    """`url` without its query and fragment, which may carry access tokens: for logs and
    listings."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class StreamWatcher:
    def __init__(
        self,
        url: str,
        match: MatchFrame,
        alert: Alert,
        *,
        options: StreamOptions | None = None,
        policy: WatchPolicy | None = None,
        hashing: HashingOptions | None = None,
        lookups_wanted: Callable[[], MatchOptions] = lambda: ALL_OFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.stop_event = threading.Event()
        self.reader = StreamReader(url, options, stop=self.stop_event, clock=clock)
        self.policy = policy or WatchPolicy()
        self.figures = WatchFigures()
        self.error: str | None = None
        self._match = match
        self._alert = alert
        self._hashing = hashing or HashingOptions(pdq_mode=PdqMode.FAST)
        #: The lookups the banks use now (`Matcher.options`), asked for each frame.
        self._lookups_wanted = lookups_wanted
        self._image_types = computed_types(Content.IMAGE, self._hashing.image_hashes)
        self._video_types = [t for t in signal_types().values() if Content.VIDEO in t.content]
        self._clock = clock
        #: Per (bank, entry): (stream seconds, arrival) of recent matching frames.
        self._recent: dict[tuple[str, int], list[tuple[float, float]]] = {}
        self._alerted_at: dict[tuple[str, int], float] = {}
        self._thread: threading.Thread | None = None

    # Running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run, daemon=True, name=f"stream {public_url(self.url)}"
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Watch until stopped or the stream ends; an error ends the watch with `error`."""
        try:
            for frame in self.reader.frames():
                self.watch_frame(frame)
        except Exception as e:  # the watch ends; its owner records why
            self.error = f"{type(e).__name__}: {e}"
            log.warning("stream watch of %s ended: %s", public_url(self.url), self.error)

    # One frame -----------------------------------------------------------------------------

    def watch_frame(self, frame: LiveFrame) -> list[Match]:
        """Match one frame; returns the matches that raised an alert (often none)."""
        self.figures.frames += 1
        pixels = np.ascontiguousarray(frame.pixels)
        hashes = {t.name: t.hash_pixels(pixels, self._hashing) for t in self._image_types}
        signals = [h.signal for h in hashes.values()]
        signals += [s for t in self._video_types if (s := t.from_frame(hashes)) is not None]
        derived = lookups(
            pixels, list(hashes.values()), self._image_types, self._hashing, self._lookups_wanted()
        )
        matches = self._match(signals, derived)
        if not matches:
            return []
        self.figures.matched_frames += 1
        due: list[Match] = []
        first_seen: list[float] = []
        for match in matches:
            key = (match.bank, match.entry_id)
            recent = [
                (t, at)
                for t, at in self._recent.get(key, [])
                if frame.seconds - t <= self.policy.window_seconds
            ]
            recent.append((frame.seconds, frame.received_at))
            self._recent[key] = recent
            last = self._alerted_at.get(key)
            quiet = last is None or frame.seconds - last >= self.policy.realert_seconds
            if len(recent) >= self.policy.min_frames and quiet:
                self._alerted_at[key] = frame.seconds
                due.append(match)
                first_seen.append(recent[0][1])
        if due:
            self._alert(
                due,
                {
                    "name": public_url(self.url),
                    "kind": "stream",
                    "stream_seconds": round(frame.seconds, 3),
                    "signals": {name: h.signal.value for name, h in hashes.items()},
                },
            )
            now = self._clock()
            self.figures.alerts += len(due)
            self.figures.alert_latencies += [now - seen for seen in first_seen]
        return due
