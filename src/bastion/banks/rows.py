"""Rows of the bank tables written in bulk: Core inserts (COPY on PostgreSQL), entry id
allocation, signal rows, and `IN (...)` lists in slices. Shared by every writer of banks
(`BankStore`, `BulkWriter`, `UpstreamWriter`) and by the change sequence (`ChangeLog`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

import psycopg
from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.orm import Session

from bastion.banks.model import Derived
from bastion.errors import StorageError, ValidationError, first_line
from bastion.signals import Signal
from bastion.store.models import EntryRow, SignalRow

T = TypeVar("T")
log = logging.getLogger(__name__)

# Core tables for bulk inserts: many times faster than the ORM's unit of work.
ENTRIES = cast(Table, EntryRow.__table__)
SIGNALS = cast(Table, SignalRow.__table__)


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
