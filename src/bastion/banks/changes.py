"""`ChangeLog`: the change sequence, which indexes and federation feeds follow.

Every write to banks, entries or signals records its changes here (`record`) in the same
transaction, and keeps the ids of the signals it deletes (`keep_removed`), so a follower can
catch up incrementally: `since(seq)` lists the changes after the ones it has applied,
`removed_signals` what they deleted, `head` the newest number, and `stamp` an identity that
tells this database's change `seq` from an earlier database's. On PostgreSQL writers take a
lock on the table, so sequence numbers become visible in commit order and a follower never
skips a change that commits late.

Writers open their transaction with `writing()`: listeners registered with `on_commit` run
once it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, Table, func, insert, literal, select, text
from sqlalchemy.orm import Session

from bastion.banks.rows import bulk_insert, chunks
from bastion.store import Database
from bastion.store.models import ChangeOp, ChangeRow, RemovedSignalRow, SignalRow, utcnow

_CHANGES = cast(Table, ChangeRow.__table__)


@dataclass(frozen=True)
class Change:
    """One change: its sequence number, what happened, to which bank, and to which entry
    (None for a change to the bank itself)."""

    seq: int
    op: ChangeOp
    bank_id: int
    entry_id: int | None


class ChangeLog:
    """The change sequence of one `Database` (its `changes` and `removed_signals` tables)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._on_commit: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each transaction opened with `writing` has committed, in
        the writing thread, before the write returns (read-your-writes: a matcher that
        follows the sequence catches up with the write before its caller can ask)."""
        self._on_commit.append(listener)

    # Writing --------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for a transaction that records changes; `on_commit` listeners are
        called once it commits."""
        with self.db.session() as s:
            yield s
        for listener in self._on_commit:
            listener()

    def record(self, s: Session, changes: Sequence[tuple[ChangeOp, int, int | None]]) -> None:
        """Append `changes` (operation, bank id, entry id or None) in `s`'s transaction."""
        if not changes:
            return
        if s.get_bind().dialect.name == "postgresql":
            # Serialise writers so sequence numbers commit in order (see module docstring).
            s.execute(text("LOCK TABLE changes IN SHARE ROW EXCLUSIVE MODE"))
        now = utcnow()
        bulk_insert(
            s,
            _CHANGES,
            [{"op": op.value, "bank_id": b, "entry_id": e, "at": now} for op, b, e in changes],
        )

    def keep_removed(self, s: Session, which: ColumnElement[bool]) -> None:
        """Keep, under the change just recorded, the ids and types of the signals `which`
        selects: call it right before deleting them."""
        seq = s.scalar(select(func.max(ChangeRow.seq)))
        s.execute(
            insert(RemovedSignalRow).from_select(
                ["seq", "signal_id", "signal_type"],
                select(literal(seq), SignalRow.id, SignalRow.signal_type).where(which),
            )
        )

    # Reading --------------------------------------------------------------------------------

    def head(self, *, session: Session | None = None) -> int:
        """The newest sequence number (0 for an empty store); read in `session` if given."""
        with self._reading(session) as s:
            return s.scalar(select(func.coalesce(func.max(ChangeRow.seq), 0))) or 0

    def since(
        self,
        seq: int,
        *,
        until: int | None = None,
        limit: int = 10_000,
        session: Session | None = None,
    ) -> list[Change]:
        """Changes with a sequence number above `seq` (and at most `until`), oldest first;
        read in `session` if given."""
        query = select(ChangeRow.seq, ChangeRow.op, ChangeRow.bank_id, ChangeRow.entry_id).where(
            ChangeRow.seq > seq
        )
        if until is not None:
            query = query.where(ChangeRow.seq <= until)
        with self._reading(session) as s:
            rows = s.execute(query.order_by(ChangeRow.seq).limit(limit))
            return [Change(q, ChangeOp(op), b, e) for q, op, b, e in rows]

    def removed_signals(self, seqs: Sequence[int]) -> list[tuple[int, str]]:
        """(signal id, signal type) of the signals deleted by the changes `seqs`."""
        found: list[tuple[int, str]] = []
        with self.db.session() as s:
            for part in chunks(seqs):
                query = select(RemovedSignalRow.signal_id, RemovedSignalRow.signal_type).where(
                    RemovedSignalRow.seq.in_(part)
                )
                found.extend((i, t) for i, t in s.execute(query))
        return found

    def stamp(self, seq: int) -> str | None:
        """An identity for change `seq` (its number and time), or None if there is none.

        Something saved "as of change seq" checks this to be sure it describes this database
        and not an earlier one whose sequence numbers happen to overlap.
        """
        with self.db.session() as s:
            at = s.scalar(select(ChangeRow.at).where(ChangeRow.seq == seq))
        return None if at is None else f"{seq}@{at.isoformat()}"

    @contextmanager
    def _reading(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
            return
        with self.db.session() as s:
            yield s


__all__ = ["Change", "ChangeLog", "ChangeOp"]
