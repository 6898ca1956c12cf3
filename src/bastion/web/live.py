"""`LiveMatcher`: one process's matcher, kept fresh by following the change sequence.

A query first applies the changes since the last refresh — one indexed read of the `changes`
table when nothing changed — unless the last refresh is younger than `match_staleness`
seconds (setting, default 0.1). So a write through any process is matched by every worker
within that time, and a busy worker reads the change sequence a few times a second instead of
on every query. Writes through this process's own `BankStore` are seen by the next query at
once, so a client reads its own writes. Refreshes and queries share a lock: the index is
never read while it is being changed.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from bastion.banks import BankStore, MatchOptions
from bastion.hashing import HashedContent
from bastion.matching import Match, Matcher, SnapshotShelf
from bastion.settings import Settings
from bastion.signals import Signal

#: How long a query on the event loop first waits before it looks again at an index that a
#: thread holds or refreshes; the wait doubles up to `_POLL_MAX_SECONDS` (a refresh applying a
#: large import may take minutes, and waiting queries must not spin meanwhile).
_POLL_SECONDS = 0.0002
_POLL_MAX_SECONDS = 0.05


@dataclass(frozen=True)
class IndexStatus:
    signals: int
    by_type: dict[str, int]
    seq: int
    refreshed_seconds_ago: float


class LiveMatcher:
    def __init__(
        self,
        store: BankStore,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._store = store
        self._max_staleness = settings.match_staleness
        self._lock = threading.Lock()
        self._seen_local_changes = store.local_changes
        self._matcher = Matcher(store, settings, shelf=SnapshotShelf.for_settings(settings))
        self._refreshed_at = clock()
        self._refreshing = False  # a query on the event loop is refreshing in a thread
        #: Called with every query's matches (metrics, actions).
        self.on_matches: Callable[[list[Match]], None] | None = None

    def _stale(self) -> bool:
        return (
            self._store.local_changes != self._seen_local_changes
            or self._clock() - self._refreshed_at >= self._max_staleness
        )

    def _fresh(self) -> Matcher:
        local = self._store.local_changes  # read before refreshing: see `BankStore`
        if self._stale():
            self._matcher.refresh()
            self._refreshed_at = self._clock()
            self._seen_local_changes = local
        return self._matcher

    def match_signals(
        self,
        signals: Iterable[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
    ) -> list[Match]:
        with self._lock:
            matches = self._fresh().match_signals(
                signals, banks=banks, include_disabled_banks=include_disabled_banks
            )
        self._count(matches)
        return matches

    async def match_signals_async(
        self,
        signals: list[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
    ) -> list[Match]:
        """`match_signals` for an event loop: answered in place when no database read is
        needed (the view is fresh and the hits' entries are known), else in a worker thread.

        When the view is stale, one query refreshes it in a thread and the others wait for
        that; while a thread holds the index, the loop yields and looks again. Sending those
        queries to threads instead would queue them on the lock, keep it busy, and push every
        following query off the loop as well. With `match_staleness` 0 every query reads
        the change sequence, so every query runs in a thread.
        """
        in_a_thread = functools.partial(
            self.match_signals, signals, banks=banks, include_disabled_banks=include_disabled_banks
        )
        if self._max_staleness == 0:
            return await run_in_threadpool(in_a_thread)
        wait = _POLL_SECONDS
        while True:
            if not self._lock.acquire(blocking=False):
                await asyncio.sleep(wait)
                wait = min(wait * 2, _POLL_MAX_SECONDS)
                continue
            try:
                stale = self._stale()
                matches = (
                    None
                    if stale
                    else self._matcher.match_signals_in_memory(
                        signals, banks=banks, include_disabled_banks=include_disabled_banks
                    )
                )
            finally:
                self._lock.release()
            if matches is not None:
                self._count(matches)
                return matches
            if not stale:  # an entry not read yet
                return await run_in_threadpool(in_a_thread)
            if not self._refreshing:  # this query refreshes the view for every waiting one
                self._refreshing = True
                try:
                    return await run_in_threadpool(in_a_thread)
                finally:
                    self._refreshing = False
            await asyncio.sleep(wait)
            wait = min(wait * 2, _POLL_MAX_SECONDS)

    def options(self) -> MatchOptions:
        """The match options any enabled bank uses (what an upload's hashing must give)."""
        with self._lock:
            return self._fresh().options()

    def match_content(self, content: HashedContent) -> list[Match]:
        with self._lock:
            matches = self._fresh().match_content(content)
        self._count(matches)
        return matches

    def _count(self, matches: list[Match]) -> None:
        if self.on_matches is not None:
            self.on_matches(matches)

    def status(self) -> IndexStatus:
        with self._lock:
            matcher = self._fresh()
            return IndexStatus(
                len(matcher), matcher.sizes(), matcher.seq, self._clock() - self._refreshed_at
            )
