"""When each API key was last used: recorded off the request's path, a write per key per minute.

An operator deciding whether a key can be revoked, or finding a key that leaked, asks when it
was last used. Writing that on every request would add a write to every read; instead each
process notes a key's use at most once per `interval` (a minute), and a background thread
writes the noted uses in one transaction, so a request never waits on the write and a busy
key costs one small UPDATE a minute per process. The time is therefore right to within the
interval, and a use in the last moments before a process is killed may be lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, update

from bastion.errors import first_line
from bastion.store import Database
from bastion.store.models import ApiKeyRow, utcnow

log = logging.getLogger("bastion.auth")

#: How often one process records a key's use, at most.
INTERVAL_SECONDS = 60.0

_MAX_REMEMBERED = 10_000


class UseRecorder:
    """Notes uses of keys (`note`, cheap enough for an event loop) and writes them from a
    thread of its own, which ends when nothing is left to write."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._interval = interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._noted: dict[int, float] = {}  # key id -> when its use was last noted (clock)
        self._unwritten: dict[int, datetime] = {}  # key id -> when it was used
        self._writer: threading.Thread | None = None

    def note(self, key_id: int) -> None:
        """Record that key `key_id` is being used, unless this process did so less than
        `interval` ago. Never touches the database itself."""
        now = self._clock()
        with self._lock:
            last = self._noted.get(key_id)
            if last is not None and now - last < self._interval:
                return
            if len(self._noted) >= _MAX_REMEMBERED:
                self._noted.clear()
            self._noted[key_id] = now
            self._unwritten[key_id] = self._wall_clock()
            if self._writer is not None:
                return  # the running writer takes it on its next pass
            writer = self._writer = threading.Thread(
                target=self._write_all, name="bastion-key-uses", daemon=True
            )
        writer.start()

    def flush(self) -> None:
        """Wait until every use noted so far is written."""
        while True:
            with self._lock:
                writer = self._writer
            if writer is None:
                return
            writer.join()

    def _write_all(self) -> None:
        while True:
            with self._lock:
                batch, self._unwritten = self._unwritten, {}
                if not batch:
                    self._writer = None
                    return
            try:
                self._write(batch)
            except Exception as e:  # last use is a convenience: never worth a crashed thread
                log.warning(
                    "could not record when %d API key(s) were last used: %s",
                    len(batch),
                    first_line(e),
                )

    def _write(self, batch: dict[int, datetime]) -> None:
        with self._db.session() as s:
            for key_id, used_at in sorted(batch.items()):
                s.execute(
                    update(ApiKeyRow)
                    .where(
                        ApiKeyRow.id == key_id,
                        # Never back in time: another process may have written a later use.
                        or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < used_at),
                    )
                    .values(last_used_at=used_at),
                    execution_options={"synchronize_session": False},
                )
