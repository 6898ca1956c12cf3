"""`LiveMatcher`: one process's matcher, kept fresh by following the change sequence.

Before answering, a query applies the changes since the last refresh — one indexed read of
the `changes` table when nothing changed — so a write through any worker is seen by the next
query in every worker, and a client reads its own writes. `max_staleness` (default 0) lets a
very busy worker skip that read for queries closer together than that many seconds.
Refreshes and queries share a lock: the index is never read while it is being changed.
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
        max_staleness: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._max_staleness = max_staleness
        self._lock = threading.Lock()
        self._matcher = Matcher(store, settings, shelf=SnapshotShelf.for_settings(settings))
        self._refreshed_at = clock()
        #: Called with every query's matches (metrics, actions).
        self.on_matches: Callable[[list[Match]], None] | None = None

    def _fresh(self) -> Matcher:
        if self._clock() - self._refreshed_at >= self._max_staleness:
            self._matcher.refresh()
            self._refreshed_at = self._clock()
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
