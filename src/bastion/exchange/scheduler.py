"""`SyncScheduler`: the single-node default for periodic syncs (and for sending queued
feedback upstream), in a service thread.

Every few seconds it asks which enabled exchanges are due (`next_sync_at` passed, no lease
held) and syncs them one at a time. Any number of service processes may run one: the
exchange's lease (`ExchangeStore.claim`) lets only one of them fetch a source at a time, the
others skip it. Failures are backed off by the store (`ExchangeStore.finish`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bastion.errors import BastionError, ConflictError
from bastion.exchange.feedback import FeedbackQueue
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.store.models import utcnow

log = logging.getLogger("bastion.exchange")


class SyncScheduler:
    def __init__(
        self, syncer: Syncer, exchanges: ExchangeStore, feedback: FeedbackQueue | None = None
    ) -> None:
        self._syncer, self._exchanges, self._feedback = syncer, exchanges, feedback

    def run_due(self, halt: threading.Event | None = None) -> int:
        """Sync every exchange that is due; returns how many syncs ran."""
        ran = 0
        for name in self._exchanges.due(utcnow()):
            if halt is not None and halt.is_set():
                break
            try:
                self._syncer.sync(name)
            except ConflictError:  # another process took it first
                continue
            ran += 1
        return ran

    @contextmanager
    def in_background(self, interval: float = 2.0) -> Iterator[threading.Thread]:
        halt = threading.Event()

        def loop() -> None:
            while not halt.is_set():
                try:
                    self.run_due(halt)
                    if self._feedback is not None:
                        self._feedback.deliver_due()
                except BastionError as e:  # the database is away: try again later
                    log.warning("exchange scheduler: %s", e)
                except Exception:  # never let a bug end the scheduler
                    log.exception("exchange scheduler failed")
                halt.wait(interval)

        thread = threading.Thread(target=loop, name="exchange syncs", daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            halt.set()
            thread.join(timeout=30)
