"""`StreamRegistry`: starts, lists and stops the service's stream watches, and runs this
process's share of them.

Watches live in the database (`WatchStore`), so every service process sees the same list
and any of them can stop a watch. Each process that matches runs up to `limit` watchers:
`sync`, called every second by `in_background` and at once after a start, reports the
figures of its watchers (renewing their leases), stops those that were stopped elsewhere or
taken over, records those that ended, and claims waiting watches while it has room. A watch
whose process died is taken over by another once its lease (`lease_seconds`) has passed; a
service restarted on the same database resumes its watches. A process that shuts down
cleanly releases its watches at once.

A stream URL comes from a user, so its host must resolve only to addresses URL fetching may
reach (public ones, and `fetch_allow_networks`): checked here when a watch is started, for a
clear error, and again by the reader at every connection, for the stream and every
playlist, segment and redirect it leads to (`bastion.media.stream`).
"""

from __future__ import annotations

import builtins
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

from bastion.banks import ALL_OFF, MatchOptions
from bastion.errors import BastionError, ValidationError
from bastion.media.fetch import FetchError, FetchPolicy, ForbiddenAddressError
from bastion.media.stream import StreamOptions, check_stream_address
from bastion.signals import HashingOptions
from bastion.store.database import Database
from bastion.store.models import utcnow
from bastion.streams.watcher import Alert, MatchFrame, StreamWatcher, WatchPolicy, public_url
from bastion.streams.watches import WatchFiguresReport, WatchStatus, WatchStore

log = logging.getLogger(__name__)


@dataclass
class _Running:
    watcher: StreamWatcher
    earlier: WatchFiguresReport

    def figures(self) -> WatchFiguresReport:
        reader, figures = self.watcher.reader, self.watcher.figures
        return WatchFiguresReport(
            connected=reader.connected,
            frames=figures.frames,
            matched_frames=figures.matched_frames,
            alerts=figures.alerts,
            reconnects=reader.reconnects,
            lag_seconds=reader.lag_seconds,
            last_error=self.watcher.error or reader.last_error,
        ).after(self.earlier)


class StreamRegistry:
    """The watches on `db`, and this process's watchers: each hashes its frames as
    `hashing` says, looks them up with `match` (with the lookups `lookups_wanted` names) and
    hands an alert's matches to `alert`. The service passes its pipeline's look-up and act
    (`bastion.pipeline.Bastion.streams`), so a stream's matches act as any other."""

    def __init__(
        self,
        db: Database,
        match: MatchFrame,
        alert: Alert,
        policy: FetchPolicy,
        *,
        limit: int,
        options: StreamOptions | None = None,
        watch_policy: WatchPolicy | None = None,
        hashing: HashingOptions | None = None,
        lookups_wanted: Callable[[], MatchOptions] = lambda: ALL_OFF,
        lease_seconds: float = 15.0,
    ) -> None:
        self.watches = WatchStore(db)
        #: This process, as the database knows it.
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._match = match
        self._alert = alert
        self._policy = policy
        self._options = replace(options or StreamOptions(sample_seconds=0.5), addresses=policy)
        self._watch_policy = watch_policy or WatchPolicy()
        self._hashing = hashing
        self._lookups_wanted = lookups_wanted
        self._limit = limit
        self._lease = timedelta(seconds=lease_seconds)
        self._lock = threading.Lock()  # one sync at a time; guards _running
        self._running: dict[int, _Running] = {}

    # What the API and the CLI ask -----------------------------------------------------

    def start(self, url: str, *, name: str = "", started_by: str | None = None) -> WatchStatus:
        """Add a watch of `url` and claim it in this process if it has room. Refuses
        private addresses, and more than `limit` unfinished watches."""
        check_address(url, self._policy)
        status = self.watches.add(url, name=name, started_by=started_by, limit=self._limit)
        self.sync()
        return self.watches.get(status.id)

    def status(self, watch_id: int) -> WatchStatus:
        return self.watches.get(watch_id)

    def list(self) -> builtins.list[WatchStatus]:
        return self.watches.list()

    def stop(self, watch_id: int) -> WatchStatus:
        """Stop a watch, wherever it runs, and forget it; returns its last status."""
        with self._lock:
            running = self._running.pop(watch_id, None)
        if running is not None:
            running.watcher.stop()
        return self.watches.remove(watch_id)

    @property
    def local_ids(self) -> builtins.list[int]:
        """The watches this process runs now."""
        with self._lock:
            return sorted(self._running)

    # Running this process's share ------------------------------------------------------

    def sync(self) -> None:
        """Report, reconcile and claim: see the module's docstring."""
        with self._lock:
            until = utcnow() + self._lease
            for watch_id, running in list(self._running.items()):
                figures = running.figures()
                if not running.watcher.running:
                    self.watches.finish(watch_id, self.owner, figures)
                    del self._running[watch_id]
                elif not self.watches.report(watch_id, self.owner, figures, until=until):
                    running.watcher.stop_event.set()  # stopped elsewhere, or taken over
                    del self._running[watch_id]
            room = self._limit - len(self._running)
            for claim in self.watches.claim(self.owner, now=utcnow(), until=until, limit=room):
                watcher = StreamWatcher(
                    claim.url,
                    self._match,
                    self._alert,
                    options=self._options,
                    policy=self._watch_policy,
                    hashing=self._hashing,
                    lookups_wanted=self._lookups_wanted,
                )
                self._running[claim.id] = _Running(watcher, claim.earlier)
                watcher.start()
                log.info("watching stream %d: %s", claim.id, public_url(claim.url))

    @contextmanager
    def in_background(self, interval: float = 1.0) -> Iterator[threading.Thread]:
        """`sync` every `interval` seconds in a thread; on leaving, this process's watchers
        stop and their watches are released for another process (or the next start)."""
        halt = threading.Event()

        def loop() -> None:
            while not halt.is_set():
                try:
                    self.sync()
                except BastionError as e:  # the database is away: try again next time
                    log.warning("stream watches not synchronised: %s", e)
                halt.wait(interval)

        thread = threading.Thread(target=loop, name="stream watches", daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            halt.set()
            thread.join()
            self.release_all()

    def release_all(self) -> None:
        """Stop this process's watchers and hand their watches back."""
        with self._lock:
            running, self._running = self._running, {}
        for item in running.values():
            item.watcher.stop_event.set()
        for watch_id, item in running.items():
            item.watcher.stop()
            try:
                self.watches.release(watch_id, self.owner, item.figures())
            except BastionError as e:
                log.warning("stream watch %d not released: %s", watch_id, e)


def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse a stream URL that is malformed, names no host we can find (ValidationError)
    or resolves to an address `policy` refuses (ForbiddenAddressError)."""
    try:
        check_stream_address(url, policy)
    except ForbiddenAddressError:
        raise
    except FetchError as e:  # the user's URL names no host we can find
        raise ValidationError(f"stream URL: {e}") from None
