"""`StreamRegistry`: the live-stream watchers of one service process, started and stopped
through the API.

A stream URL comes from a user, so its host must resolve only to addresses URL fetching may
reach (public ones, and `fetch_allow_networks`): checked here when the watcher is started,
for a clear error, and again by the reader at every connection, for the stream and every
playlist, segment and redirect it leads to (`bastion.media.stream`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.matching import Match
from bastion.media.fetch import FetchError, FetchPolicy, ForbiddenAddressError
from bastion.media.stream import StreamOptions, check_stream_address
from bastion.pdq import PdqMode
from bastion.signals import Signal
from bastion.store.models import utcnow
from bastion.streams.watcher import Alert, StreamWatcher, WatchPolicy, public_url

#: Watchers one process runs at most: each decodes a stream in real time.
MAX_WATCHERS = 8


@dataclass(frozen=True)
class WatchStatus:
    id: int
    #: The URL without its query (which may hold a token).
    url: str
    name: str
    started_by: str | None
    started_at: datetime
    running: bool
    connected: bool
    frames: int
    matched_frames: int
    alerts: int
    lag_seconds: float
    reconnects: int
    last_error: str | None


class StreamRegistry:
    def __init__(
        self,
        match: Callable[[list[Signal]], list[Match]],
        alert: Alert,
        policy: FetchPolicy,
        *,
        options: StreamOptions | None = None,
        watch_policy: WatchPolicy | None = None,
        pdq_mode: PdqMode = PdqMode.FAST,
    ) -> None:
        self._match = match
        self._alert = alert
        self._policy = policy
        self._options = replace(options or StreamOptions(sample_seconds=0.5), addresses=policy)
        self._watch_policy = watch_policy or WatchPolicy()
        self._mode = pdq_mode
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._watchers: dict[int, tuple[StreamWatcher, str, str | None, datetime]] = {}

    def start(self, url: str, *, name: str = "", started_by: str | None = None) -> WatchStatus:
        """Start watching `url`; refuses private addresses and more than `MAX_WATCHERS`."""
        try:
            check_stream_address(url, self._policy)
        except ForbiddenAddressError:
            raise
        except FetchError as e:  # the user's URL names no host we can find
            raise ValidationError(f"stream URL: {e}") from None
        with self._lock:
            running = sum(1 for w, *_ in self._watchers.values() if w.running)
            if running >= MAX_WATCHERS:
                raise ConflictError(f"already watching {MAX_WATCHERS} streams; stop one first")
            watcher = StreamWatcher(
                url,
                self._match,
                self._alert,
                options=self._options,
                policy=self._watch_policy,
                pdq_mode=self._mode,
            )
            watch_id = next(self._ids)
            self._watchers[watch_id] = (watcher, name, started_by, utcnow())
            watcher.start()
        return self.status(watch_id)

    def status(self, watch_id: int) -> WatchStatus:
        with self._lock:
            found = self._watchers.get(watch_id)
        if found is None:
            raise NotFoundError(f"no stream watcher {watch_id}")
        watcher, name, started_by, started_at = found
        reader, figures = watcher.reader, watcher.figures
        return WatchStatus(
            id=watch_id,
            url=public_url(watcher.url),
            name=name,
            started_by=started_by,
            started_at=started_at,
            running=watcher.running,
            connected=reader.connected,
            frames=figures.frames,
            matched_frames=figures.matched_frames,
            alerts=figures.alerts,
            lag_seconds=round(reader.lag_seconds, 3),
            reconnects=reader.reconnects,
            last_error=watcher.error or reader.last_error,
        )

    def list(self) -> list[WatchStatus]:
        with self._lock:
            ids = sorted(self._watchers)
        return [self.status(i) for i in ids]

    def stop(self, watch_id: int) -> WatchStatus:
        """Stop a watcher and forget it; returns its last status."""
        status = self.status(watch_id)
        with self._lock:
            watcher, *_ = self._watchers.pop(watch_id)
        watcher.stop()
        return status

    def stop_all(self) -> None:
        with self._lock:
            watchers = [w for w, *_ in self._watchers.values()]
            self._watchers.clear()
        for watcher in watchers:
            watcher.stop_event.set()
        for watcher in watchers:
            watcher.stop()
