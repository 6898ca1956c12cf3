"""`UpstreamWriter`: records fetched from an exchange, applied to its bank.

Entries fetched from an exchange carry its id and the record's id there (`upstream_id`,
unique per exchange), so a later record for the same id updates the entry in place and a
tombstone deletes it. Each record's digest is kept: an unchanged record costs one read and
no write, and no change in the sequence. A changed record replaces the entry's signals and
metadata under a `SIGNALS_REPLACED` change (its old signals are kept in `removed_signals`
for the indexes). Everything happens in the caller's transaction, which also stores the
exchange's checkpoint, so a page is applied exactly once.

With `run` set (a full-list exchange), every entry a record mentions is marked with the run,
and `sweep` deletes the exchange's entries that the run did not mention.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bastion.banks.bulk import checked_metadata
from bastion.banks.changes import ChangeLog
from bastion.banks.model import Record
from bastion.banks.rows import (
    ENTRIES,
    SIGNALS,
    allocate_entry_ids,
    bulk_insert,
    chunks,
    signal_rows,
)
from bastion.banks.store import BankStore
from bastion.store.models import BankRow, ChangeOp, EntryRow, SignalRow, utcnow

#: The source recorded on entries fetched from an exchange.
EXCHANGE_SOURCE = "exchange"


@dataclass
class ApplyCounts:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    #: Records with no usable signal (nothing to match): not stored.
    empty: int = 0

    def __iadd__(self, other: ApplyCounts) -> ApplyCounts:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@contextmanager
def upstream_writer(
    store: BankStore,
    *,
    bank_id: int,
    exchange_id: int,
    exchange_name: str,
    run: int | None = None,
) -> Iterator[UpstreamWriter]:
    """A writer in a new transaction, committed when the block ends without an error; write
    the exchange's checkpoint through `writer.session` to commit it with the records."""
    with store.changes.writing() as s:
        # The first write: on SQLite it takes the write lock, which id allocation relies on.
        s.execute(update(BankRow).where(BankRow.id == bank_id).values(updated_at=utcnow()))
        yield UpstreamWriter(
            store.changes,
            s,
            bank_id=bank_id,
            exchange_id=exchange_id,
            exchange_name=exchange_name,
            run=run,
        )


class UpstreamWriter:
    def __init__(
        self,
        changes: ChangeLog,
        session: Session,
        *,
        bank_id: int,
        exchange_id: int,
        exchange_name: str,
        run: int | None = None,
    ) -> None:
        self._changes, self._s = changes, session
        self.session = session
        self._bank_id, self._exchange_id = bank_id, exchange_id
        self._name, self._run = exchange_name, run

    def apply(self, records: Sequence[Record]) -> ApplyCounts:
        """Apply `records` in order (for one id, the last one wins)."""
        counts = ApplyCounts()
        latest = {r.upstream_id: r for r in records}
        existing = self._existing(sorted(latest))
        gone = [existing[i][0] for i, r in latest.items() if i in existing and _removes(r)]
        counts.empty = sum(1 for r in latest.values() if not r.deleted and not r.signals)
        new = [r for i, r in latest.items() if i not in existing and not _removes(r)]
        changed: list[tuple[int, Record]] = []
        seen: list[int] = []
        for upstream_id, record in latest.items():
            if upstream_id not in existing or _removes(record):
                continue
            entry_id, digest = existing[upstream_id]
            if digest == record.digest:
                seen.append(entry_id)
            else:
                changed.append((entry_id, record))
        self._delete(gone)
        self._replace(changed)
        self._insert(new)
        if self._run is not None and seen:
            for part in chunks(seen):
                self._s.execute(
                    update(EntryRow).where(EntryRow.id.in_(part)).values(upstream_run=self._run)
                )
        counts.deleted, counts.updated, counts.added = len(gone), len(changed), len(new)
        counts.unchanged = len(seen)
        return counts

    def sweep(self) -> int:
        """Delete the exchange's entries the current run did not mention; returns how many."""
        if self._run is None:
            raise ValueError("sweep needs a run")
        stale = list(
            self._s.scalars(
                select(EntryRow.id).where(
                    EntryRow.exchange_id == self._exchange_id,
                    (EntryRow.upstream_run != self._run) | EntryRow.upstream_run.is_(None),
                )
            )
        )
        self._delete(stale)
        return len(stale)

    def _existing(self, upstream_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        found: dict[str, tuple[int, str | None]] = {}
        for part in chunks(upstream_ids):
            rows = self._s.execute(
                select(EntryRow.upstream_id, EntryRow.id, EntryRow.upstream_digest).where(
                    EntryRow.exchange_id == self._exchange_id, EntryRow.upstream_id.in_(part)
                )
            )
            found.update((u, (i, d)) for u, i, d in rows if u is not None)
        return found

    def _delete(self, entry_ids: Sequence[int]) -> None:
        for part in chunks(sorted(entry_ids)):
            self._changes.record(self._s, [(ChangeOp.ENTRY_DELETE, self._bank_id, i) for i in part])
            self._changes.keep_removed(self._s, SignalRow.entry_id.in_(part))
            self._s.execute(delete(SignalRow).where(SignalRow.entry_id.in_(part)))
            self._s.execute(delete(EntryRow).where(EntryRow.id.in_(part)))

    def _replace(self, changed: Sequence[tuple[int, Record]]) -> None:
        now = utcnow()
        for start in range(0, len(changed), 5000):
            part = changed[start : start + 5000]
            ids = [entry_id for entry_id, _ in part]
            self._changes.record(
                self._s, [(ChangeOp.SIGNALS_REPLACED, self._bank_id, i) for i in ids]
            )
            self._changes.keep_removed(self._s, SignalRow.entry_id.in_(ids))
            self._s.execute(delete(SignalRow).where(SignalRow.entry_id.in_(ids)))
            for entry_id, record in part:
                self._s.execute(
                    update(EntryRow)
                    .where(EntryRow.id == entry_id)
                    .values(
                        meta=checked_metadata(record.metadata),
                        upstream_digest=record.digest,
                        upstream_run=self._run,
                        updated_at=now,
                    )
                )
            bulk_insert(
                self._s,
                SIGNALS,
                [
                    row
                    for entry_id, record in part
                    for row in signal_rows(entry_id, self._bank_id, record.signals)
                ],
            )

    def _insert(self, records: Sequence[Record]) -> None:
        now = utcnow()
        for start in range(0, len(records), 5000):
            part = records[start : start + 5000]
            ids = allocate_entry_ids(self._s, len(part))
            bulk_insert(
                self._s,
                ENTRIES,
                [
                    {
                        "id": entry_id,
                        "bank_id": self._bank_id,
                        "metadata": checked_metadata(record.metadata),
                        "note": "",
                        "source": EXCHANGE_SOURCE,
                        "imported_from": self._name,
                        "added_by": None,
                        "added_at": now,
                        "enabled": True,
                        "disabled_until": None,
                        "exchange_id": self._exchange_id,
                        "upstream_id": record.upstream_id,
                        "upstream_digest": record.digest,
                        "upstream_run": self._run,
                        "updated_at": now,
                    }
                    for entry_id, record in zip(ids, part, strict=True)
                ],
            )
            bulk_insert(
                self._s,
                SIGNALS,
                [
                    row
                    for entry_id, record in zip(ids, part, strict=True)
                    for row in signal_rows(entry_id, self._bank_id, record.signals)
                ],
            )
            self._changes.record(self._s, [(ChangeOp.ENTRY_UPSERT, self._bank_id, i) for i in ids])


def _removes(record: Record) -> bool:
    """A tombstone, or a record left with nothing to match: the entry goes."""
    return record.deleted or not record.signals
