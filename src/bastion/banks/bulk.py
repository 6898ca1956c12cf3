"""Writing entries and signals in bulk: `BulkWriter`, and the row helpers it shares with
`BankStore` and `UpstreamWriter` (core-table inserts, COPY on PostgreSQL, id allocation)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import psycopg
from sqlalchemy import JSON, Table, insert, select, text
from sqlalchemy.orm import Session

from bastion.banks.model import MAX_NOTE_LENGTH, MAX_SIGNALS_PER_ENTRY, Derived, NewEntry
from bastion.errors import StorageError, ValidationError, first_line
from bastion.signals import Signal
from bastion.store.models import ChangeOp, ChangeRow, EntryRow, SignalRow, utcnow
from bastion.validation import METADATA_LIMITS, checked_object, checked_text

if TYPE_CHECKING:
    from bastion.banks.store import BankStore

T = TypeVar("T")
log = logging.getLogger(__name__)


# Core tables for bulk inserts: many times faster than the ORM's unit of work.
ENTRIES = cast(Table, EntryRow.__table__)
SIGNALS = cast(Table, SignalRow.__table__)
CHANGES = cast(Table, ChangeRow.__table__)


class BulkWriter:
    """Adds entries in batches inside one transaction (see `BankStore.bulk_writer`)."""

    def __init__(
        self,
        store: BankStore,
        session: Session,
        bank_id: int,
        *,
        source: str,
        imported_from: str | None,
        added_by: str | None,
        dedupe: bool,
        batch_size: int,
    ) -> None:
        self._store = store
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
        self._store._record(s, [(ChangeOp.ENTRY_UPSERT, self._bank_id, i) for i in ids])
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


def allocate_entry_ids(s: Session, count: int) -> list[int]:
    """Reserve `count` new entry ids, so rows can be inserted without RETURNING.

    (SQLite cannot return the ids of a multi-row insert in a guaranteed order, and a
    row-at-a-time insert is many times slower.) On SQLite the caller's transaction must
    already hold the write lock, so nobody else can take ids between this read and the
    insert.
    """
    if s.get_bind().dialect.name == "postgresql":
        return list(
            s.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('bank_entries', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    last = s.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'bank_entries'")) or 0
    return list(range(last + 1, last + 1 + count))


def signal_rows(
    entry_id: int, bank_id: int, signals: Iterable[Signal], derived: Iterable[Derived] = ()
) -> list[dict[str, Any]]:
    """The `entry_signals` rows of one entry's signals and derived signals (a long value
    under its key)."""
    return [
        {
            "entry_id": entry_id,
            "bank_id": bank_id,
            "signal_type": sig.type,
            "value": sig.key,
            "quality": sig.quality,
            "payload": sig.value if sig.key != sig.value else None,
            "derived": how,
        }
        for sig, how in [*((s, None) for s in signals), *((d.signal, d.how) for d in derived)]
    ]


def chunks(values: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    """`values` in slices small enough for one SQL `IN (...)` list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def bulk_insert(s: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL (executemany there goes row by row), else Core."""
    if not rows:
        return
    if s.get_bind().dialect.name != "postgresql":
        s.execute(insert(table), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver_connection = s.connection().connection.driver_connection
    assert driver_connection is not None
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )
    except psycopg.DataError as e:  # COPY bypasses SQLAlchemy: as `Database.session` does
        log.warning("database refused a value: %s", first_line(e))
        raise ValidationError("the database cannot store a value given") from e
    except psycopg.Error as e:
        raise StorageError(f"database error: {first_line(e)}") from e


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
