"""Writing entries and signals in bulk: `BulkWriter`, and the checks every writer of
entries applies (`checked_entry`, `checked_metadata`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.banks.changes import ChangeLog
from bastion.banks.model import MAX_NOTE_LENGTH, MAX_SIGNALS_PER_ENTRY, NewEntry
from bastion.banks.rows import (
    ENTRIES,
    SIGNALS,
    allocate_entry_ids,
    bulk_insert,
    chunks,
    signal_rows,
)
from bastion.errors import ValidationError
from bastion.store.models import ChangeOp, SignalRow, utcnow
from bastion.validation import METADATA_LIMITS, checked_object, checked_text


class BulkWriter:
    """Adds entries in batches inside one transaction (see `BankStore.bulk_writer`)."""

    def __init__(
        self,
        changes: ChangeLog,
        session: Session,
        bank_id: int,
        *,
        source: str,
        imported_from: str | None,
        added_by: str | None,
        dedupe: bool,
        batch_size: int,
    ) -> None:
        self._changes = changes
        self._session = session
        self._bank_id = bank_id
        self._source = source
        self._imported_from = imported_from
        self._added_by = added_by
        self._dedupe = dedupe
        self._batch_size = batch_size
        self._pending: list[NewEntry] = []
        self._now = utcnow()
        self.added_ids: list[int] = []
        self.duplicates = 0

    def add(self, entry: NewEntry) -> None:
        self._pending.append(checked_entry(entry))
        if len(self._pending) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if self._dedupe:
            batch = self._without_duplicates(batch)
        if not batch:
            return
        s = self._session
        ids = allocate_entry_ids(s, len(batch))
        bulk_insert(
            s,
            ENTRIES,
            [
                {
                    "id": entry_id,
                    "bank_id": self._bank_id,
                    "metadata": e.metadata,
                    "note": e.note,
                    "source": self._source,
                    "imported_from": self._imported_from,
                    "added_by": self._added_by,
                    "added_at": self._now,
                    "enabled": e.enabled,
                    "disabled_until": e.disabled_until,
                }
                for entry_id, e in zip(ids, batch, strict=True)
            ],
        )
        bulk_insert(
            s,
            SIGNALS,
            [
                row
                for entry_id, e in zip(ids, batch, strict=True)
                for row in signal_rows(entry_id, self._bank_id, e.signals, e.derived)
            ],
        )
        self._changes.record(s, [(ChangeOp.ENTRY_UPSERT, self._bank_id, i) for i in ids])
        self.added_ids.extend(ids)

    def _without_duplicates(self, batch: list[NewEntry]) -> list[NewEntry]:
        """Drop entries all of whose signals the bank (or this batch) already holds."""
        by_type: dict[str, set[str]] = {}
        for e in batch:
            for sig in e.signals:
                by_type.setdefault(sig.type, set()).add(sig.key)
        existing: set[tuple[str, str]] = set()
        for type_name, values in by_type.items():
            for part in chunks(sorted(values)):
                existing.update(
                    (type_name, v)
                    for v in self._session.scalars(
                        select(SignalRow.value).where(
                            SignalRow.bank_id == self._bank_id,
                            SignalRow.signal_type == type_name,
                            SignalRow.value.in_(part),
                            SignalRow.derived.is_(None),
                        )
                    )
                )
        kept: list[NewEntry] = []
        for entry in batch:
            entry_keys = {(sig.type, sig.key) for sig in entry.signals}
            if entry_keys <= existing:
                self.duplicates += 1
                continue
            existing |= entry_keys
            kept.append(entry)
        return kept


def checked_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """An entry's metadata, if it is a JSON object within `METADATA_LIMITS` (it comes back
    with every match of the entry) that every database and client can hold."""
    return checked_object(metadata, "metadata", METADATA_LIMITS)


def checked_entry(entry: NewEntry) -> NewEntry:
    """`entry`, if what it carries may be stored: its signals (at least one, at most
    `MAX_SIGNALS_PER_ENTRY`), note and metadata."""
    if not entry.signals:
        raise ValidationError("an entry needs at least one signal")
    if len(entry.signals) > MAX_SIGNALS_PER_ENTRY:
        raise ValidationError(
            f"an entry holds at most {MAX_SIGNALS_PER_ENTRY} signals, not {len(entry.signals)}"
        )
    checked_text(entry.note, "note", max_length=MAX_NOTE_LENGTH)
    checked_metadata(entry.metadata)
    return entry
