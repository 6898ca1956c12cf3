"""`WatchStore`: the service's stream watches in the database, shared by all its processes.

A watch is added by the API or the CLI and then *claimed* by one service process, which sets
itself as `owner` with a lease (`lease_until`) and renews it with every report of the
watcher's figures. A claim is one conditional UPDATE (only a row that is unfinished and
unowned, or whose lease has passed), so two processes never both take a watch; a process
that dies simply stops renewing, and once its lease has passed another one takes the watch
over. A report names its owner, so a process that lost its watch (stopped, or taken over)
learns so from the report that changes nothing. Figures add up across owners.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, or_, select, update

from bastion.errors import ConflictError, NotFoundError
from bastion.store.database import Database
from bastion.store.models import StreamWatchRow, utcnow
from bastion.streams.watcher import public_url
from bastion.validation import checked_text

#: Free watches looked at beyond `limit` in one claim, for those other processes take first.
_SPARE_CANDIDATES = 8


class WatchState(StrEnum):
    WAITING = "waiting"
    """No process runs it now: just added, its process stopped, or every process is full."""
    RUNNING = "running"
    ENDED = "ended"
    """The stream finished, or failed for good (`last_error` says why)."""


@dataclass(frozen=True)
class WatchFiguresReport:
    """What a watcher reports: its figures, added to those of earlier owners."""

    connected: bool = False
    frames: int = 0
    matched_frames: int = 0
    alerts: int = 0
    reconnects: int = 0
    lag_seconds: float = 0.0
    last_error: str | None = None

    def after(self, earlier: WatchFiguresReport) -> WatchFiguresReport:
        """These figures counted on from `earlier` (a previous owner's)."""
        return WatchFiguresReport(
            connected=self.connected,
            frames=earlier.frames + self.frames,
            matched_frames=earlier.matched_frames + self.matched_frames,
            alerts=earlier.alerts + self.alerts,
            reconnects=earlier.reconnects + self.reconnects,
            lag_seconds=self.lag_seconds,
            last_error=self.last_error or earlier.last_error,
        )


@dataclass(frozen=True)
class WatchStatus:
    id: int
    #: The URL without its query (which may hold a token).
    url: str
    name: str
    started_by: str | None
    started_at: datetime
    state: WatchState
    running: bool
    connected: bool
    frames: int
    matched_frames: int
    alerts: int
    lag_seconds: float
    reconnects: int
    last_error: str | None


@dataclass(frozen=True)
class WatchClaim:
    """A watch a process now runs: where to connect, and the figures so far."""

    id: int
    url: str
    earlier: WatchFiguresReport


class WatchStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, url: str, *, name: str, started_by: str | None, limit: int) -> WatchStatus:
        """A new watch, waiting for a process to claim it; ConflictError past `limit`
        unfinished watches."""
        checked_text(name, "name", max_length=200)
        with self._db.session() as s:
            unfinished = s.scalar(
                select(func.count())
                .select_from(StreamWatchRow)
                .where(StreamWatchRow.finished_at.is_(None))
            )
            if (unfinished or 0) >= limit:
                raise ConflictError(f"already watching {limit} streams; stop one first")
            row = StreamWatchRow(url=url, name=name, started_by=started_by, started_at=utcnow())
            s.add(row)
            s.flush()
            return _status(row, utcnow())

    def get(self, watch_id: int) -> WatchStatus:
        with self._db.session() as s:
            row = s.get(StreamWatchRow, watch_id)
            if row is None:
                raise NotFoundError(f"no stream watch {watch_id}")
            return _status(row, utcnow())

    def list(self) -> builtins.list[WatchStatus]:
        now = utcnow()
        with self._db.session() as s:
            rows = s.scalars(select(StreamWatchRow).order_by(StreamWatchRow.id))
            return [_status(row, now) for row in rows]

    def remove(self, watch_id: int) -> WatchStatus:
        """Forget a watch; its process stops the watcher at its next report. Returns the
        last status, as ended."""
        with self._db.session() as s:
            row = s.get(StreamWatchRow, watch_id)
            if row is None:
                raise NotFoundError(f"no stream watch {watch_id}")
            last = _status(row, utcnow())
            s.delete(row)
        return WatchStatus(
            **{**vars(last), "state": WatchState.ENDED, "running": False, "connected": False}
        )

    # Claims and reports (the processes that run watchers) -------------------------------

    def claim(
        self, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> builtins.list[WatchClaim]:
        """Up to `limit` watches no process holds, oldest first, held by `owner` until
        `until`."""
        if limit <= 0:
            return []
        free = or_(StreamWatchRow.owner.is_(None), StreamWatchRow.lease_until <= now)
        claimed: builtins.list[WatchClaim] = []
        with self._db.session() as s:
            ids = s.scalars(
                select(StreamWatchRow.id)
                .where(StreamWatchRow.finished_at.is_(None), free)
                .order_by(StreamWatchRow.id)
                .limit(limit + _SPARE_CANDIDATES)
            ).all()
        for watch_id in ids:
            if len(claimed) == limit:
                break
            with self._db.session() as s:
                taken = s.execute(
                    update(StreamWatchRow)
                    .where(
                        StreamWatchRow.id == watch_id,
                        StreamWatchRow.finished_at.is_(None),
                        free,
                    )
                    .values(owner=owner, lease_until=until, connected=False, updated_at=now)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]  # another was quicker
                    continue
                row = s.get(StreamWatchRow, watch_id)
                if row is not None:
                    claimed.append(WatchClaim(row.id, row.url, _figures(row)))
        return claimed

    def report(
        self, watch_id: int, owner: str, figures: WatchFiguresReport, *, until: datetime
    ) -> bool:
        """Write a running watcher's figures and renew its lease; False when `owner` no
        longer holds the watch (it was stopped, or taken over)."""
        return self._write(watch_id, owner, figures, owner_after=owner, lease_until=until)

    def finish(self, watch_id: int, owner: str, figures: WatchFiguresReport) -> bool:
        """The watcher ended by itself (the stream finished, or a failure that retrying
        cannot mend): no process claims it again."""
        return self._write(watch_id, owner, figures, finished_at=utcnow())

    def release(self, watch_id: int, owner: str, figures: WatchFiguresReport) -> bool:
        """`owner` stops running the watch (it is shutting down); any process may claim it."""
        return self._write(watch_id, owner, figures)

    def _write(
        self,
        watch_id: int,
        owner: str,
        figures: WatchFiguresReport,
        *,
        owner_after: str | None = None,
        lease_until: datetime | None = None,
        finished_at: datetime | None = None,
    ) -> bool:
        values = vars(figures) | {
            "connected": figures.connected and owner_after is not None,
            "last_error": figures.last_error[:300] if figures.last_error else None,
            "owner": owner_after,
            "lease_until": lease_until,
            "finished_at": finished_at,
            "updated_at": utcnow(),
        }
        with self._db.session() as s:
            done = s.execute(
                update(StreamWatchRow)
                .where(StreamWatchRow.id == watch_id, StreamWatchRow.owner == owner)
                .values(**values)
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def _figures(row: StreamWatchRow) -> WatchFiguresReport:
    return WatchFiguresReport(
        connected=row.connected,
        frames=row.frames,
        matched_frames=row.matched_frames,
        alerts=row.alerts,
        reconnects=row.reconnects,
        lag_seconds=row.lag_seconds,
        last_error=row.last_error,
    )


def _status(row: StreamWatchRow, now: datetime) -> WatchStatus:
    if row.finished_at is not None:
        state = WatchState.ENDED
    elif row.owner is not None and row.lease_until is not None and row.lease_until > now:
        state = WatchState.RUNNING
    else:
        state = WatchState.WAITING
    running = state is WatchState.RUNNING
    return WatchStatus(
        id=row.id,
        url=public_url(row.url),
        name=row.name,
        started_by=row.started_by,
        started_at=row.started_at,
        state=state,
        running=running,
        connected=running and row.connected,
        frames=row.frames or 0,
        matched_frames=row.matched_frames or 0,
        alerts=row.alerts or 0,
        lag_seconds=round(row.lag_seconds or 0.0, 3),
        reconnects=row.reconnects or 0,
        last_error=row.last_error,
    )
