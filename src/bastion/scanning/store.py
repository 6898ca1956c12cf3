"""`ScanStore`: scans and their manifests, in the database.

A scan is found again by its name, so re-running the same command resumes it: the listing is
recorded again (`record_listing`: new items are added, an item whose size or ETag changed is
checked again, the others keep their status), and only what is not done is handed out
(`pending`). A worker marks an item done with `finish_in`, a conditional update inside the
transaction that acts on the item's matches: if two workers ever check one item (Dask runs
a task again when the worker running it died), one marks it and acts, the other's update
changes nothing and it acts on nothing.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bastion.errors import NotFoundError, ValidationError
from bastion.scanning.sources import SourceItem
from bastion.store import Database
from bastion.store.models import ScanItemRow, ScanRow

PENDING, DONE, FAILED = "pending", "done", "failed"
RUNNING, STOPPED, FINISHED = "running", "stopped", "finished"
#: Items recorded per transaction while listing.
LISTING_BATCH = 2_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$")
#: The longest error kept against an item.
MAX_ERROR = 1_000


@dataclass(frozen=True)
class Scan:
    id: int
    name: str
    source: str
    options: dict[str, Any]
    state: str
    started_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class ScanCounts:
    pending: int = 0
    done: int = 0
    failed: int = 0
    matched: int = 0
    queued: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed


@dataclass(frozen=True)
class Listed:
    """What recording a listing did: items new to the scan, and items whose bytes changed."""

    new: int
    changed: int
    total: int


@dataclass(frozen=True)
class WorkItem:
    """What a worker needs of an item to check it."""

    id: int
    key: str
    location: str
    content_id: str | None
    user_id: str | None


@dataclass(frozen=True)
class FailedItem:
    key: str
    error: str
    attempts: int


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValidationError(
            f"scan name {name[:60]!r}: 1-200 letters, digits and . _ : / @ + -, "
            "starting with a letter or digit"
        )
    return name


def default_name(source: str) -> str:
    """The name a scan of `source` gets unless given one: the source itself, made a name, so
    the same command run again finds the same scan."""
    name = re.sub(r"[^A-Za-z0-9._:/@+-]+", "-", source.strip()).lstrip("/.-_:@+")
    return (name or "scan")[:200]


class ScanStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Scans --------------------------------------------------------------------------------

    def start(self, name: str, source: str, options: dict[str, Any], *, actor: str) -> Scan:
        """The scan `name`, created for `source` or resumed (running again). A name already
        used for another source is refused: a resumed scan must read what it listed."""
        check_name(name)
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = s.scalar(select(ScanRow).where(ScanRow.name == name))
            if row is None:
                row = ScanRow(
                    name=name, source=source, options=options, state=RUNNING,
                    started_by=actor, created_at=now, updated_at=now,
                )  # fmt: skip
                s.add(row)
            elif row.source != source:
                raise ValidationError(
                    f"scan {name!r} is of {row.source}, not {source}; "
                    "give this one another name (--name)"
                )
            else:
                row.state, row.options, row.updated_at, row.finished_at = (
                    RUNNING, options, now, None,
                )  # fmt: skip
            s.flush()
            return _scan(row)

    def get(self, name: str) -> Scan:
        with self.db.session() as s:
            row = s.scalar(select(ScanRow).where(ScanRow.name == name))
            if row is None:
                raise NotFoundError(f"no scan named {name!r} (bastion scans list)")
            return _scan(row)

    def list(self) -> builtins.list[Scan]:
        with self.db.session() as s:
            return [_scan(r) for r in s.scalars(select(ScanRow).order_by(ScanRow.id.desc()))]

    def end(self, scan_id: int) -> Scan:
        """Mark the scan finished when nothing is left to do, else stopped."""
        counts = self.counts(scan_id)
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = s.get(ScanRow, scan_id)
            if row is None:
                raise NotFoundError(f"scan {scan_id} is gone")
            done = counts.pending == 0 and counts.failed == 0
            row.state = FINISHED if done else STOPPED
            row.updated_at = now
            row.finished_at = now if done else None
            return _scan(row)

    def counts(self, scan_id: int) -> ScanCounts:
        with self.db.session() as s:
            by_status = dict(
                s.execute(
                    select(ScanItemRow.status, func.count())
                    .where(ScanItemRow.scan_id == scan_id)
                    .group_by(ScanItemRow.status)
                ).all()
            )
            matched, queued = s.execute(
                select(
                    func.count().filter(ScanItemRow.matches > 0),
                    func.coalesce(func.sum(ScanItemRow.queued), 0),
                ).where(ScanItemRow.scan_id == scan_id, ScanItemRow.status == DONE)
            ).one()
        return ScanCounts(
            pending=by_status.get(PENDING, 0),
            done=by_status.get(DONE, 0),
            failed=by_status.get(FAILED, 0),
            matched=int(matched),
            queued=int(queued),
        )

    def failures(self, scan_id: int, *, limit: int = 20) -> builtins.list[FailedItem]:
        with self.db.session() as s:
            rows = s.execute(
                select(ScanItemRow.key, ScanItemRow.error, ScanItemRow.attempts)
                .where(ScanItemRow.scan_id == scan_id, ScanItemRow.status == FAILED)
                .order_by(ScanItemRow.id)
                .limit(limit)
            ).all()
        return [FailedItem(k, e, a) for k, e, a in rows]

    # The manifest -------------------------------------------------------------------------

    def record_listing(self, scan_id: int, items: Iterable[SourceItem]) -> Listed:
        """Add the listed items the scan does not have; an item whose size or ETag changed is
        pending again (its bytes are not those checked). Batches of `LISTING_BATCH`."""
        new = changed = total = 0
        batch: builtins.list[SourceItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= LISTING_BATCH:
                n, c = self._record(scan_id, batch)
                new, changed, total = new + n, changed + c, total + len(batch)
                batch = []
        if batch:
            n, c = self._record(scan_id, batch)
            new, changed, total = new + n, changed + c, total + len(batch)
        return Listed(new, changed, total)

    def _record(self, scan_id: int, batch: builtins.list[SourceItem]) -> tuple[int, int]:
        with self.db.session() as s:
            known = {
                r.key: r
                for r in s.scalars(
                    select(ScanItemRow).where(
                        ScanItemRow.scan_id == scan_id,
                        ScanItemRow.key.in_([i.key for i in batch]),
                    )
                )
            }
            new = changed = 0
            for item in batch:
                row = known.get(item.key)
                if row is None:
                    row = ScanItemRow(
                        scan_id=scan_id, key=item.key, location=item.location,
                        size=item.size, etag=item.etag, content_id=item.content_id,
                        user_id=item.user_id, status=PENDING, attempts=0, matches=0,
                        queued=0, error="",
                    )  # fmt: skip
                    s.add(row)
                    known[item.key] = row  # a key listed twice is one item
                    new += 1
                elif (row.size, row.etag, row.location) != (item.size, item.etag, item.location):
                    row.size, row.etag, row.location = item.size, item.etag, item.location
                    row.content_id, row.user_id = item.content_id, item.user_id
                    row.status, row.attempts, row.error = PENDING, 0, ""
                    changed += 1
        return new, changed

    def pending(
        self, scan_id: int, *, retry_failed: bool = True, batch: int = 1_000
    ) -> Iterator[builtins.list[WorkItem]]:
        """What is left to check, `batch` items at a time, in id order (failed items too
        unless `retry_failed` is false). Read a page at a time: a worker may mark items done
        meanwhile, which only shortens what is handed out."""
        statuses = [PENDING, FAILED] if retry_failed else [PENDING]
        after = 0
        while True:
            with self.db.session() as s:
                rows = s.execute(
                    select(
                        ScanItemRow.id, ScanItemRow.key, ScanItemRow.location,
                        ScanItemRow.content_id, ScanItemRow.user_id,
                    )
                    .where(
                        ScanItemRow.scan_id == scan_id,
                        ScanItemRow.status.in_(statuses),
                        ScanItemRow.id > after,
                    )
                    .order_by(ScanItemRow.id)
                    .limit(batch)
                ).all()  # fmt: skip
            if not rows:
                return
            after = rows[-1][0]
            yield [WorkItem(*r) for r in rows]

    # Outcomes -----------------------------------------------------------------------------

    def finish_in(
        self,
        s: Session,
        item_id: int,
        *,
        signals: dict[str, str],
        matches: int,
        at: datetime,
    ) -> bool:
        """Mark the item done in the caller's transaction `s`; False when it already was (the
        caller must then act on nothing)."""
        result = s.execute(
            update(ScanItemRow)
            .where(ScanItemRow.id == item_id, ScanItemRow.status != DONE)
            .values(
                status=DONE, signals=signals, matches=matches, queued=0, error="",
                checked_at=at, attempts=ScanItemRow.attempts + 1,
            )
        )  # fmt: skip
        return bool(getattr(result, "rowcount", 0))

    def set_queued_in(self, s: Session, item_id: int, queued: int) -> None:
        s.execute(update(ScanItemRow).where(ScanItemRow.id == item_id).values(queued=queued))

    def fail(self, item_id: int, error: str, *, at: datetime) -> None:
        """Record why the item could not be checked (unless it is done meanwhile)."""
        with self.db.session() as s:
            self.fail_in(s, item_id, error, at=at)

    def fail_in(self, s: Session, item_id: int, error: str, *, at: datetime) -> None:
        """`fail` in the caller's transaction `s`."""
        s.execute(
            update(ScanItemRow)
            .where(ScanItemRow.id == item_id, ScanItemRow.status != DONE)
            .values(
                status=FAILED, error=error[:MAX_ERROR], checked_at=at,
                attempts=ScanItemRow.attempts + 1,
            )
        )  # fmt: skip


def _scan(row: ScanRow) -> Scan:
    return Scan(
        id=row.id, name=row.name, source=row.source, options=dict(row.options),
        state=row.state, started_by=row.started_by, created_at=row.created_at,
        updated_at=row.updated_at, finished_at=row.finished_at,
    )  # fmt: skip
