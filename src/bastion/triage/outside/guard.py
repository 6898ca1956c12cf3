"""The limits every call to an outside service goes through.

- `TokenBucket`: the service's rate limit, shared by every thread of every process through one
  database row: a token is taken by one conditional UPDATE (refill and take at once), so two
  workers never spend the same token, on SQLite and PostgreSQL alike. A service that answers
  "too many requests" pauses the bucket for as long as it asked (Retry-After).
- `Breaker`: a circuit breaker per process. After `failures` calls in a row that failed
  (timeouts, 5xx, unreadable answers), the service is not called for `pause` seconds; then one
  call is let through, and its outcome closes or reopens the breaker. Refused credentials
  open it for longer: nothing is retried until someone sets them again.
- `Guard`: a service behind both, with a deadline; it never raises, so a service that
  misbehaves gives the item a clear state and never the caller an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import case, update

from bastion.store.models import OutsideBucketRow
from bastion.triage.outside import Answer, Item, OutsideService, State

if TYPE_CHECKING:
    from bastion.store.database import Database

log = logging.getLogger(__name__)

#: States that count as the service failing (the breaker counts them in a row).
FAILING = frozenset({State.TIMEOUT, State.UNAVAILABLE, State.MALFORMED})
#: How long refused credentials keep a service from being called, unless they change.
CREDENTIALS_PAUSE = 15 * 60.0


class TokenBucket:
    """`rate` tokens a second, at most `burst` at once, shared through the database."""

    def __init__(
        self,
        db: Database,
        service: str,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.service = service
        self.rate = rate
        self.burst = burst
        self._clock = clock

    def take(self) -> bool:
        """Take a token if one is there now (never waits)."""
        now = self._clock()
        row = OutsideBucketRow
        refilled = row.tokens + (now - row.updated) * self.rate
        level = case((refilled > self.burst, float(self.burst)), else_=refilled)
        with self.db.session() as s:
            taken = s.execute(
                update(row)
                .where(row.service == self.service, row.paused_until <= now, level >= 1.0)
                .values(tokens=level - 1.0, updated=now)
                .execution_options(synchronize_session=False)
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    def pause(self, seconds: float) -> None:
        """No token for `seconds` (the service asked to wait), and none saved up meanwhile."""
        until = self._clock() + seconds
        with self.db.session() as s:
            s.execute(
                update(OutsideBucketRow)
                .where(OutsideBucketRow.service == self.service)
                .values(paused_until=until, tokens=0.0, updated=until)
                .execution_options(synchronize_session=False)
            )


class Breaker:
    """Opens after `failures` failures in a row, for `pause` seconds; then lets one call try."""

    def __init__(
        self, failures: int = 5, pause: float = 30.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.pause = pause
        self._clock = clock
        self._lock = threading.Lock()
        self._in_a_row = 0
        self._open_until = 0.0
        self._trying = False

    def allow(self) -> bool:
        """Whether a call may go now (while half-open, one at a time)."""
        with self._lock:
            if self._clock() < self._open_until:
                return False
            if self._in_a_row >= self.failures:  # half-open: one call tries
                if self._trying:
                    return False
                self._trying = True
            return True

    def release(self) -> None:
        """The call `allow` let through was not made after all."""
        with self._lock:
            self._trying = False

    def succeeded(self) -> None:
        with self._lock:
            self._in_a_row, self._open_until, self._trying = 0, 0.0, False

    def failed(self, *, pause: float | None = None) -> None:
        """A failure; `pause`: open now for that long whatever the count (bad credentials)."""
        with self._lock:
            self._trying = False
            self._in_a_row += 1
            if pause is not None:
                self._in_a_row = max(self._in_a_row, self.failures)
                self._open_until = self._clock() + pause
            elif self._in_a_row >= self.failures:
                self._open_until = self._clock() + self.pause

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._clock() < self._open_until


class Guard:
    """`service` behind its rate limit, breaker and deadline."""

    def __init__(
        self, service: OutsideService, bucket: TokenBucket, breaker: Breaker, *, timeout: float
    ) -> None:
        self.service = service
        self.bucket = bucket
        self.breaker = breaker
        self.timeout = timeout
        self.name = service.name
        self.accepts = service.accepts

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        """One answer per item, in requests of the service's batch size, each within the
        smaller of `timeout` and the service's own; never raises."""
        answers: list[Answer] = []
        size = max(1, self.service.batch_size)
        deadline = time.monotonic() + min(timeout, self.timeout)
        for start in range(0, len(items), size):
            answers += self._ask(items[start : start + size], deadline - time.monotonic())
        return answers

    def _ask(self, batch: list[Item], left: float) -> list[Answer]:
        if left <= 0:
            return self._all(batch, State.TIMEOUT, "no time left for this request")
        if not self.breaker.allow():
            return self._all(
                batch, State.CIRCUIT_OPEN, "too many recent failures: not asked for a while"
            )
        if not self.bucket.take():
            self.breaker.release()  # the call it allowed did not happen
            return self._all(
                batch, State.RATE_LIMITED, f"the rate limit of {self.bucket.rate:g}/s is spent"
            )
        try:
            answers = self.service.ask(batch, left)
        except Exception as e:  # a client's bug must not become the caller's
            log.warning("outside service %s failed: %s", self.name, type(e).__name__)
            answers = self._all(batch, State.UNAVAILABLE, f"the client failed: {type(e).__name__}")
        if len(answers) != len(batch):
            answers = self._all(
                batch, State.MALFORMED, f"{len(answers)} answers for {len(batch)} items"
            )
        self._feed(answers)
        return answers

    def _feed(self, answers: list[Answer]) -> None:
        states = {a.state for a in answers}
        if State.BAD_CREDENTIALS in states:
            self.breaker.failed(pause=CREDENTIALS_PAUSE)
        elif states & FAILING:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        waits = [a.detail.get("retry_after") for a in answers if a.state is State.RATE_LIMITED]
        seconds = [float(w) for w in waits if isinstance(w, int | float) and w > 0]
        if State.RATE_LIMITED in states:
            self.bucket.pause(min(max(seconds, default=1.0), 3600.0))

    def _all(self, batch: list[Item], state: State, error: str) -> list[Answer]:
        return [Answer(self.name, state, error=error) for _ in batch]
