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

import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from bastion.banks import BankStore
from bastion.hashing import HashedContent
from bastion.matching import Match, Matcher, SnapshotShelf
from bastion.settings import Settings
from bastion.signals import Signal


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
        #: Called with every query's matches (metrics, actions).
        self.on_matches: Callable[[list[Match]], None] | None = None

    def _fresh(self) -> Matcher:
        local = self._store.local_changes  # read before refreshing: see `BankStore`
        if (
            local != self._seen_local_changes
            or self._clock() - self._refreshed_at >= self._max_staleness
        ):
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
