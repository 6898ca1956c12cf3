"""`LiveMatcher`: one process's matcher, kept fresh by following the change sequence.

Look-ups never wait on writers. One thread at a time catches the view up (`Matcher.refresh`:
the changes up to the newest at its start, read without holding the index and applied in
short steps), and look-ups go on answering from the view as it is meanwhile:

- a look-up that finds the view older than half of `match_staleness` (setting, default 0.1 s)
  starts a catch-up in a background thread, and answers at once;
- one that finds it older than `match_staleness` answers at once as well if a catch-up is
  under way that began while the view was younger than that. Only after the process has had
  no look-up for a while does one wait, for a catch-up that began at most `match_staleness`
  before it arrived.

So a change through any process is matched by every process within `match_staleness` plus the
catch-up in flight (milliseconds for a few changes), and a busy process reads the change
sequence a few times a second instead of on every query. A write through this process's own
`BankStore` catches the view up in the writing thread before the write returns, so a client
reads its own writes on its next query here, and nobody else's look-up pays for them. With
`match_staleness` 0, every look-up waits for a catch-up that began after it arrived.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from bastion.banks import Derived, MatchOptions
from bastion.matching import Match, Matcher, NotInMemory
from bastion.signals import Signal

log = logging.getLogger(__name__)

#: How long a query on the event loop first waits before it looks again for the catch-up it
#: needs; the wait doubles up to `_POLL_MAX_SECONDS` (catching up with a large import may take
#: minutes, and waiting queries must not spin meanwhile).
_POLL_SECONDS = 0.0002
_POLL_MAX_SECONDS = 0.05


@dataclass(frozen=True)
class IndexStatus:
    signals: int
    by_type: dict[str, int]
    seq: int
    refreshed_seconds_ago: float


class LiveMatcher:
    """`matcher` kept fresh as above; `max_staleness` is the `match_staleness` setting."""

    def __init__(
        self,
        matcher: Matcher,
        *,
        max_staleness: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._max_staleness = max_staleness
        #: Guards the catch-up bookkeeping below; never held while reading the database.
        self._state = threading.Condition()
        self._fresh_as_of = clock()  # when the reads of the view began
        self._matcher = matcher
        #: Catch-ups begun, the newest finished (by number), and when the one under way began.
        self._begun = 0
        self._finished = 0
        self._running_since: float | None = None
        self._failed = False  # the last catch-up raised
        #: The catch-up the background thread is to run next, and the thread (started with
        #: the first one: starting a thread per catch-up would block the event loop until
        #: the new thread runs, which on a busy machine takes milliseconds).
        self._next_in_background: tuple[int, float] | None = None
        self._background: threading.Thread | None = None
        self._closed = False
        matcher.store.on_commit(self._after_write)

    # Freshness -----------------------------------------------------------------------------

    def _plan(self) -> int | None:
        """For a query arriving now: None when it may answer from the view as it is, else
        the number of catch-ups begun so far, of which a later one must finish first.

        Starts a catch-up in the background when the view is getting old. Called with
        `_state` held.
        """
        if self._max_staleness == 0:
            wait_past = self._begun
        else:
            now = self._clock()
            age = now - self._fresh_as_of
            running = self._running_since
            if age < self._max_staleness or (
                running is not None and running - self._fresh_as_of < self._max_staleness
            ):
                if running is None and age >= self._max_staleness / 2:
                    self._begin_in_background()
                return None
            # Idle for a while: wait for a catch-up begun within the staleness before now.
            recent = running is not None and now - running < self._max_staleness
            wait_past = self._begun - 1 if recent else self._begun
        return wait_past

    def _begin(self) -> tuple[int, float]:
        """Claim the next catch-up (its number and start); called with `_state` held."""
        self._begun += 1
        self._running_since = self._clock()
        return self._begun, self._running_since

    def _begin_in_background(self) -> None:
        """Hand the next catch-up to the background thread; called with `_state` held."""
        self._next_in_background = self._begin()
        if self._background is None:
            self._background = threading.Thread(
                target=self._run_in_background, daemon=True, name="index-catch-up"
            )
            self._background.start()
        else:
            self._state.notify_all()

    def _run_in_background(self) -> None:
        while True:
            with self._state:
                while self._next_in_background is None and not self._closed:
                    self._state.wait()
                if self._closed:
                    return
                assert self._next_in_background is not None
                (number, began), self._next_in_background = self._next_in_background, None
            self._catch_up(number, began, in_background=True)

    def close(self) -> None:
        """Stop the background thread (at shutdown), once the catch-up it may be running
        has finished: the database is closed next, and must not be closed under it."""
        with self._state:
            self._closed = True
            self._state.notify_all()
            background = self._background
        if background is not None and background is not threading.current_thread():
            background.join()

    def _catch_up(self, number: int, began: float, *, in_background: bool = False) -> None:
        """Run catch-up `number`, claimed at `began`; raises what the store raised, or in
        the background logs it (the next query that must wait runs a catch-up itself, and
        reports the error to its caller)."""
        done = False
        try:
            self._matcher.refresh()
            done = True
        except Exception as exc:
            if not in_background:
                raise
            log.warning("catching up the match index failed: %s", exc)
        finally:
            with self._state:
                self._running_since = None
                self._failed = not done
                if done:
                    self._finished = number
                    self._fresh_as_of = began
                self._state.notify_all()

    def _wait_past(self, wait_past: int) -> None:
        """Block until a catch-up numbered above `wait_past` has finished, running one in
        this thread when none is under way."""
        with self._state:
            while self._finished <= wait_past and self._running_since is not None:
                self._state.wait()
            if self._finished > wait_past:
                return
            number, began = self._begin()
        self._catch_up(number, began)

    def _fresh(self) -> Matcher:
        """The matcher, once its view will do for a query arriving now (in a thread)."""
        with self._state:
            wait_past = self._plan()
        if wait_past is not None:
            self._wait_past(wait_past)
        return self._matcher

    def _after_write(self) -> None:
        """Read-your-writes: a write through this process's store returns once a catch-up
        begun after it committed has finished. A failure is logged, not raised: the write
        stands, and the view catches up with it within the staleness."""
        with self._state:
            wait_past = self._begun
        try:
            self._wait_past(wait_past)
        except Exception as exc:
            log.warning("catching up the match index after a write failed: %s", exc)

    # Queries -------------------------------------------------------------------------------

    def match_signals(
        self,
        signals: Iterable[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
        lookups: Iterable[Derived] = (),
    ) -> list[Match]:
        """`Matcher.match_signals` on a view fresh enough for a query arriving now."""
        return self._fresh().match_signals(
            signals,
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            include_disabled_entries=include_disabled_entries,
            lookups=lookups,
        )

    def near_misses(
        self, signals: Iterable[Signal], margin: int, *, lookups: Iterable[Derived] = ()
    ) -> list[Match]:
        """`Matcher.near_misses` on a view fresh enough for a query arriving now."""
        return self._fresh().near_misses(signals, margin, lookups=lookups)

    async def match_signals_async(
        self,
        signals: list[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
    ) -> list[Match]:
        """`match_signals` for an event loop: answered in place when no database read is
        needed (the view will do and the hits' entries are known), else in a worker thread.

        When the query must wait for a catch-up (after an idle spell), or for a step of one
        being applied, the loop yields and looks again; sending such queries to threads
        instead would hold a thread each for the wait, and on a busy machine a thread's turn
        comes late. With `match_staleness` 0 every query waits for a catch-up, so every query
        runs in a thread.
        """
        in_a_thread = functools.partial(
            self.match_signals,
            signals,
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            include_disabled_entries=include_disabled_entries,
        )
        if self._max_staleness == 0:
            return await run_in_threadpool(in_a_thread)
        with self._state:
            wait_past = self._plan()
            if wait_past is not None and self._running_since is None:
                self._begin_in_background()
        wait = _POLL_SECONDS
        while wait_past is not None:
            with self._state:
                if self._finished > wait_past:
                    break
                failed = self._running_since is None and self._failed
                if self._running_since is None and not failed:  # the one after it
                    self._begin_in_background()
            if failed:  # a thread runs one and reports why it fails
                return await run_in_threadpool(in_a_thread)
            await asyncio.sleep(wait)
            wait = min(wait * 2, _POLL_MAX_SECONDS)
        wait = _POLL_SECONDS
        while True:
            found = self._matcher.match_signals_in_memory(
                signals,
                banks=banks,
                include_disabled_banks=include_disabled_banks,
                include_disabled_entries=include_disabled_entries,
            )
            if found is not NotInMemory.BUSY:
                break
            await asyncio.sleep(wait)  # a step is being applied: it takes milliseconds
            wait = min(wait * 2, _POLL_MAX_SECONDS)
        if found is NotInMemory.NEEDS_THREAD:  # an entry to read, or video work
            found = await run_in_threadpool(
                functools.partial(
                    self._matcher.match_signals,
                    signals,
                    banks=banks,
                    include_disabled_banks=include_disabled_banks,
                    include_disabled_entries=include_disabled_entries,
                )
            )
        return found

    def catch_up(self) -> int:
        """Apply every change committed before this call (raising what the store raised);
        returns the change the index has applied."""
        with self._state:
            wait_past = self._begun
        self._wait_past(wait_past)
        return self._matcher.seq

    @property
    def seq(self) -> int:
        """The bank change the index has applied (as of its last catch-up)."""
        return self._matcher.seq

    def options(self) -> MatchOptions:
        """The match options any enabled bank uses (what an upload's hashing must give)."""
        return self._fresh().options()

    def status(self) -> IndexStatus:
        matcher = self._fresh()
        return IndexStatus(
            len(matcher), matcher.sizes(), matcher.seq, self._clock() - self._fresh_as_of
        )
