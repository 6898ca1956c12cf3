"""`BankStore`: every read and write of banks and their entries.

Each write records its changes in the change sequence (`changes`, a `ChangeLog`) in the same
transaction, so an index or an exchange can follow the store incrementally; the store answers
a follower's questions about the sequence (`changes_since`, `head_seq`, ...) from it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bastion.audit import record_in
from bastion.banks.bulk import BulkWriter, checked_metadata
from bastion.banks.changes import Change, ChangeLog
from bastion.banks.model import (
    ALL_OFF,
    MAX_DESCRIPTION_LENGTH,
    MAX_NOTE_LENGTH,
    Bank,
    BankEntry,
    Derived,
    MatchOptions,
    NewEntry,
    Provenance,
    validate_bank_name,
    validate_thresholds,
)
from bastion.banks.rows import chunks
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import BankRow, ChangeOp, EntryRow, SignalRow, utcnow
from bastion.validation import checked_text, readable


class IndexRow(NamedTuple):
    """One matchable signal of an enabled entry, as an index needs it."""

    signal_id: int
    entry_id: int
    bank_id: int
    signal_type: str
    value: str
    quality: int | None
    disabled_until: datetime | None


class SignalOwner(NamedTuple):
    """Where an indexed signal lives now: what a matcher checks before reporting a hit."""

    signal_id: int
    entry_id: int
    bank_id: int
    #: The signal's `Signal.key` (its value, unless that is long).
    value: str
    enabled: bool
    disabled_until: datetime | None
    metadata: dict[str, Any]
    #: How the signal was derived from the entry's media (`Derived.how`), or None.
    derived: str | None = None


class BankStore:
    """Banks and entries over one `Database`, recording every change in `changes`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        #: The change sequence this store writes to (writers of entries outside this class,
        #: `UpstreamWriter`, record theirs here too).
        self.changes = ChangeLog(db)

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each transaction that records changes has committed
        (`ChangeLog.on_commit`)."""
        self.changes.on_commit(listener)

    # Banks -------------------------------------------------------------------------------

    def create_bank(
        self,
        name: str,
        *,
        description: str = "",
        enabled: bool = True,
        thresholds: dict[str, Any] | None = None,
        matching: MatchOptions | None = None,
        actor: str = "unknown",
    ) -> Bank:
        """Create a bank; recorded in the audit log as done by `actor`."""
        validate_bank_name(name)
        checked_text(description, "description", max_length=MAX_DESCRIPTION_LENGTH)
        checked = validate_thresholds(thresholds or {})
        options = (matching or MatchOptions()).as_dict()
        try:
            with self.changes.writing() as s:
                if s.scalar(select(BankRow.id).where(BankRow.name == name)) is not None:
                    raise ConflictError(f"bank {name!r} already exists")
                row = BankRow(
                    name=name,
                    description=description,
                    enabled=enabled,
                    thresholds=checked,
                    match_options=options,
                )
                s.add(row)
                s.flush()
                self.changes.record(s, [(ChangeOp.BANK_UPSERT, row.id, None)])
                record_in(
                    s,
                    actor,
                    "bank.create",
                    name,
                    enabled=enabled,
                    thresholds=checked,
                    matching=options,
                )
                return _bank(row, entry_count=0)
        except IntegrityError:  # a concurrent create won the race
            raise ConflictError(f"bank {name!r} already exists") from None

    def find_bank(self, name: str) -> Bank | None:
        """The bank called `name` without its entry count (cheap), or None."""
        with self.db.session() as s:
            row = s.scalar(select(BankRow).where(BankRow.name == name))
            return _bank(row) if row is not None else None

    def require_bank(self, name: str) -> Bank:
        """Like `find_bank`, raising `NotFoundError` when there is no such bank."""
        bank = self.find_bank(name)
        if bank is None:
            raise NotFoundError(f"no bank named {name!r}")
        return bank

    def get_bank(self, name: str) -> Bank:
        """The bank with its entry count (a count over its entries: not for hot paths)."""
        with self.db.session() as s:
            row = self._bank_row(s, name)
            count = s.scalar(select(func.count()).where(EntryRow.bank_id == row.id)) or 0
            return _bank(row, entry_count=count)

    def list_banks(self) -> list[Bank]:
        with self.db.session() as s:
            counts: dict[int, int] = dict(
                s.execute(select(EntryRow.bank_id, func.count()).group_by(EntryRow.bank_id)).all()
            )
            rows = s.scalars(select(BankRow).order_by(BankRow.name))
            return [_bank(r, entry_count=counts.get(r.id, 0)) for r in rows]

    def update_bank(
        self,
        name: str,
        *,
        description: str | None = None,
        enabled: bool | None = None,
        thresholds: dict[str, Any] | None = None,
        matching: MatchOptions | None = None,
        actor: str = "unknown",
    ) -> Bank:
        """Change a bank; what changed how it matches (enabled, thresholds, match options)
        is recorded in the audit log as done by `actor`."""
        checked = validate_thresholds(thresholds) if thresholds is not None else None
        if description is not None:
            checked_text(description, "description", max_length=MAX_DESCRIPTION_LENGTH)
        with self.changes.writing() as s:
            row = self._bank_row(s, name)
            changed: dict[str, Any] = {}
            if enabled is not None and enabled != row.enabled:
                changed["enabled"] = enabled
            if checked is not None and checked != dict(row.thresholds or {}):
                changed["thresholds"] = {"from": dict(row.thresholds or {}), "to": checked}
            if matching is not None and matching.as_dict() != row.match_options:
                changed["matching"] = {"from": row.match_options, "to": matching.as_dict()}
            if description is not None:
                row.description = description
            if enabled is not None:
                row.enabled = enabled
            if checked is not None:
                row.thresholds = checked
            if matching is not None:
                row.match_options = matching.as_dict()
            if changed:
                record_in(s, actor, "bank.update", name, **changed)
            row.updated_at = utcnow()
            self.changes.record(s, [(ChangeOp.BANK_UPSERT, row.id, None)])
            return _bank(row)

    def delete_bank(self, name: str, *, actor: str = "unknown") -> int:
        """Delete a bank and all its entries; returns how many entries went with it.
        Recorded in the audit log as done by `actor`."""
        with self.changes.writing() as s:
            row = self._bank_row(s, name)
            count = s.scalar(select(func.count()).where(EntryRow.bank_id == row.id)) or 0
            record_in(s, actor, "bank.delete", name, entries=count)
            self.changes.record(s, [(ChangeOp.BANK_DELETE, row.id, None)])
            self.changes.keep_removed(s, SignalRow.bank_id == row.id)
            # Explicit deletes rather than ORM cascade: a bank may hold millions of rows.
            s.execute(delete(SignalRow).where(SignalRow.bank_id == row.id))
            s.execute(delete(EntryRow).where(EntryRow.bank_id == row.id))
            s.execute(delete(BankRow).where(BankRow.id == row.id))
            return count

    def banks_by_id(self) -> dict[int, Bank]:
        with self.db.session() as s:
            return {r.id: _bank(r) for r in s.scalars(select(BankRow))}

    # Entries -----------------------------------------------------------------------------

    def add_entries(
        self,
        bank: str,
        entries: Iterable[NewEntry],
        *,
        source: str,
        imported_from: str | None = None,
        added_by: str | None = None,
    ) -> list[int]:
        """Add entries in one transaction; returns their ids (duplicates are added too)."""
        with self.bulk_writer(
            bank, source=source, imported_from=imported_from, added_by=added_by, dedupe=False
        ) as writer:
            for entry in entries:
                writer.add(entry)
        return writer.added_ids

    @contextmanager
    def bulk_writer(
        self,
        bank: str,
        *,
        source: str,
        imported_from: str | None = None,
        added_by: str | None = None,
        dedupe: bool = True,
        batch_size: int = 5000,
    ) -> Iterator[BulkWriter]:
        """A writer for many entries in one transaction: all are committed, or none."""
        with self.changes.writing() as s:
            row = self._bank_row(s, bank)
            row.updated_at = utcnow()
            s.flush()  # the first write: on SQLite this takes the database's write lock
            writer = BulkWriter(
                self.changes,
                s,
                row.id,
                source=source,
                imported_from=imported_from,
                added_by=added_by,
                dedupe=dedupe,
                batch_size=batch_size,
            )
            yield writer
            writer.flush()

    def get_entry(self, entry_id: int) -> BankEntry:
        with self.db.session() as s:
            row = s.get(EntryRow, entry_id, options=[selectinload(EntryRow.signals)])
            if row is None:
                raise NotFoundError(f"no entry with id {entry_id}")
            return _entry(row, s.get_one(BankRow, row.bank_id).name)

    def update_entry(
        self,
        entry_id: int,
        *,
        enabled: bool | None = None,
        disabled_until: datetime | bool | None = False,
        note: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> BankEntry:
        """Change an entry; `disabled_until=None` clears it, the default `False` leaves it."""
        if note is not None:
            checked_text(note, "note", max_length=MAX_NOTE_LENGTH)
        if metadata is not None:
            checked_metadata(metadata)
        with self.changes.writing() as s:
            row = s.get(EntryRow, entry_id, options=[selectinload(EntryRow.signals)])
            if row is None:
                raise NotFoundError(f"no entry with id {entry_id}")
            if enabled is not None:
                row.enabled = enabled
            if disabled_until is not False:
                if isinstance(disabled_until, datetime) and disabled_until.tzinfo is None:
                    raise ValidationError("disabled_until must include a timezone")
                row.disabled_until = (
                    disabled_until if isinstance(disabled_until, datetime) else None
                )
            if note is not None:
                row.note = note
            if metadata is not None:
                row.meta = metadata
            self.changes.record(s, [(ChangeOp.ENTRY_UPSERT, row.bank_id, row.id)])
            return _entry(row, s.get_one(BankRow, row.bank_id).name)

    def delete_entry(self, entry_id: int) -> None:
        with self.changes.writing() as s:
            row = s.get(EntryRow, entry_id)
            if row is None:
                raise NotFoundError(f"no entry with id {entry_id}")
            self.changes.record(s, [(ChangeOp.ENTRY_DELETE, row.bank_id, entry_id)])
            self.changes.keep_removed(s, SignalRow.entry_id == entry_id)
            s.execute(delete(SignalRow).where(SignalRow.entry_id == entry_id))
            s.execute(delete(EntryRow).where(EntryRow.id == entry_id))

    def iter_entries(self, bank: str, *, chunk: int = 2000) -> Iterator[BankEntry]:
        """Every entry of a bank in id order, read in chunks so memory stays flat."""
        with self.db.session() as s:
            bank_row = self._bank_row(s, bank)
            after = 0
            while True:
                rows = s.scalars(
                    select(EntryRow)
                    .where(EntryRow.bank_id == bank_row.id, EntryRow.id > after)
                    .order_by(EntryRow.id)
                    .limit(chunk)
                    .options(selectinload(EntryRow.signals))
                ).all()
                if not rows:
                    return
                for row in rows:
                    yield _entry(row, bank_row.name)
                after = rows[-1].id
                s.expunge_all()

    def list_entries(
        self,
        bank: str,
        *,
        after: int = 0,
        limit: int = 100,
        enabled: bool | None = None,
        signal_type: str | None = None,
    ) -> list[BankEntry]:
        """A page of a bank's entries with ids above `after`, optionally filtered."""
        with self.db.session() as s:
            bank_row = self._bank_row(s, bank)
            query = (
                select(EntryRow)
                .where(EntryRow.bank_id == bank_row.id, EntryRow.id > after)
                .order_by(EntryRow.id)
                .limit(limit)
                .options(selectinload(EntryRow.signals))
            )
            if enabled is not None:
                query = query.where(EntryRow.enabled.is_(enabled))
            if signal_type is not None:
                query = query.where(
                    EntryRow.id.in_(
                        select(SignalRow.entry_id).where(
                            SignalRow.bank_id == bank_row.id, SignalRow.signal_type == signal_type
                        )
                    )
                )
            return [_entry(r, bank_row.name) for r in s.scalars(query)]

    def scan_index_rows(
        self,
        *,
        after_signal_id: int,
        limit: int,
        exclude_types: Collection[str] = (),
        only_types: Collection[str] | None = None,
    ) -> list[IndexRow]:
        """A page of matchable signals (of every entry, switched off or not: the matcher
        judges that when it confirms a hit), in signal id order."""
        query = _INDEX_ROWS.where(SignalRow.id > after_signal_id)
        if exclude_types:
            query = query.where(SignalRow.signal_type.not_in(list(exclude_types)))
        if only_types is not None:
            query = query.where(SignalRow.signal_type.in_(list(only_types)))
        with self.db.session() as s:
            return [IndexRow(*r) for r in s.execute(query.order_by(SignalRow.id).limit(limit))]

    def index_rows_for_entries(self, entry_ids: Sequence[int]) -> list[IndexRow]:
        """The matchable signals of those of `entry_ids` that exist."""
        rows: list[IndexRow] = []
        with self.db.session() as s:
            for part in chunks(entry_ids):
                rows.extend(
                    IndexRow(*r) for r in s.execute(_INDEX_ROWS.where(SignalRow.entry_id.in_(part)))
                )
        return rows

    def signals_of_entries(self, entry_ids: Sequence[int]) -> list[tuple[int, str]]:
        """(signal id, signal type) of every signal of those of `entry_ids` that exist."""
        found: list[tuple[int, str]] = []
        with self.db.session() as s:
            for part in chunks(entry_ids):
                query = select(SignalRow.id, SignalRow.signal_type).where(
                    SignalRow.entry_id.in_(part)
                )
                found.extend((i, t) for i, t in s.execute(query))
        return found

    def signal_values(self, signal_ids: Sequence[int]) -> dict[int, str]:
        """The full value of each of `signal_ids` that still exists."""
        values: dict[int, str] = {}
        with self.db.session() as s:
            for part in chunks(signal_ids):
                query = select(
                    SignalRow.id, func.coalesce(SignalRow.payload, SignalRow.value)
                ).where(SignalRow.id.in_(part))
                values.update((i, v) for i, v in s.execute(query))
        return values

    def signal_counts(self) -> dict[str, int]:
        """How many signals the banks hold, per signal type: the entries' own, not those
        derived from their media for robust matching; enabled or not."""
        query = (
            select(SignalRow.signal_type, func.count())
            .where(SignalRow.derived.is_(None))
            .group_by(SignalRow.signal_type)
        )
        with self.db.session() as s:
            return {type_name: int(count) for type_name, count in s.execute(query)}

    def signal_owners(self, signal_ids: Sequence[int]) -> dict[int, SignalOwner]:
        """The entry of each of `signal_ids` that still exists, read fresh."""
        owners: dict[int, SignalOwner] = {}
        with self.db.session() as s:
            for part in chunks(signal_ids):
                query = (
                    select(
                        SignalRow.id,
                        SignalRow.entry_id,
                        SignalRow.bank_id,
                        SignalRow.value,
                        EntryRow.enabled,
                        EntryRow.disabled_until,
                        EntryRow.meta,
                        SignalRow.derived,
                    )
                    .join(EntryRow, EntryRow.id == SignalRow.entry_id)
                    .where(SignalRow.id.in_(part))
                )
                for signal_id, entry_id, bank_id, value, enabled, until, meta, how in s.execute(
                    query
                ):
                    owners[signal_id] = SignalOwner(
                        signal_id, entry_id, bank_id, value, enabled, until, _metadata(meta), how
                    )
        return owners

    # The change sequence, for a follower (see `ChangeLog`) ---------------------------------

    def head_seq(self) -> int:
        """The newest sequence number (0 for an empty store)."""
        return self.changes.head()

    def removed_signals(self, seqs: Sequence[int]) -> list[tuple[int, str]]:
        """(signal id, signal type) of the signals deleted by the changes `seqs`."""
        return self.changes.removed_signals(seqs)

    def change_stamp(self, seq: int) -> str | None:
        """An identity for change `seq`, or None if there is none (`ChangeLog.stamp`)."""
        return self.changes.stamp(seq)

    def changes_since(
        self, seq: int, *, until: int | None = None, limit: int = 10_000
    ) -> list[Change]:
        """Changes with a sequence number above `seq` (and at most `until`), oldest first."""
        return self.changes.since(seq, until=until, limit=limit)

    # Internals ----------------------------------------------------------------------------

    def _bank_row(self, s: Session, name: str) -> BankRow:
        row = s.scalar(select(BankRow).where(BankRow.name == name))
        if row is None:
            raise NotFoundError(f"no bank named {name!r}")
        return row


_INDEX_ROWS = select(
    SignalRow.id,
    SignalRow.entry_id,
    SignalRow.bank_id,
    SignalRow.signal_type,
    func.coalesce(SignalRow.payload, SignalRow.value),
    SignalRow.quality,
    EntryRow.disabled_until,
).join(EntryRow, EntryRow.id == SignalRow.entry_id)


def _bank(row: BankRow, entry_count: int | None = None) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        description=row.description,
        enabled=row.enabled,
        thresholds=dict(row.thresholds or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        entry_count=entry_count,
        matching=MatchOptions.of(row.match_options or {}, base=ALL_OFF),
    )


def _metadata(stored: dict[str, Any] | None) -> dict[str, Any]:
    """An entry's metadata as clients can read it back (`readable`: an earlier version may
    have stored what the checks now refuse)."""
    return dict(readable(stored or {}))


def _entry(row: EntryRow, bank_name: str) -> BankEntry:
    return BankEntry(
        id=row.id,
        bank_id=row.bank_id,
        bank=bank_name,
        signals=tuple(
            Signal(s.signal_type, s.full_value, s.quality) for s in row.signals if s.derived is None
        ),
        metadata=_metadata(row.meta),
        note=row.note,
        provenance=Provenance(
            row.source,
            row.imported_from,
            row.added_by,
            row.added_at,
            upstream_id=row.upstream_id,
            updated_at=row.updated_at,
        ),
        enabled=row.enabled,
        disabled_until=row.disabled_until,
        derived=tuple(
            Derived(Signal(s.signal_type, s.full_value, s.quality), s.derived)
            for s in row.signals
            if s.derived is not None
        ),
    )


__all__ = ["BankStore", "IndexRow", "SignalOwner"]
