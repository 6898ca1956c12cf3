"""`PrivateTables`: the blinded tables of the banks, kept in the database.

A table is built from every matchable bank signal of the covered types (exact: MD5,
SHA-256, video MD5, PDQ; near: PDQ's samples), then follows the bank's change log: a
token whose last signal goes leaves its slot (a fresh random point takes it), a new token
is placed by cuckoo insertion, and every changed slot takes the new version. A device
holding version v asks for the slots changed since v. Past `cuckoo.MAX_LOAD`, or when the
threshold or near parameters change, the table is rebuilt under a new id and blinding key,
and devices fetch it whole.

The table holds more than the matcher would match (switched-off banks and entries): what a
voucher reveals is matched again by the live matcher, which judges those.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.banks import BankStore, IndexRow
from bastion.banks.rows import bulk_insert
from bastion.errors import NotFoundError
from bastion.matching.catch_up import ChangeStep, read_steps
from bastion.private import cuckoo, group
from bastion.private.table import TableInfo, encode_changes, encode_slots
from bastion.private.tokens import EXACT_TYPES, NEAR_TYPE, Lsh, exact_token
from bastion.private.voucher import token_point
from bastion.store import Database
from bastion.store.models import PrivateRefRow, PrivateSlotRow, PrivateTableRow, utcnow

log = logging.getLogger("bastion.private")

#: Near tokens: samples per hash, bits per sample, and how many must agree.
NEAR_TABLES = 32
NEAR_BITS = 32
NEAR_ITEM_THRESHOLD = 1
_PAGE = 50_000
_WRITE = 10_000


@dataclass(frozen=True)
class TableOptions:
    account_threshold: int
    near: bool


class PrivateTables:
    def __init__(
        self, db: Database, banks: BankStore, secret: bytes, options: TableOptions
    ) -> None:
        self.db = db
        self.banks = banks
        self._secret = hashlib.sha256(b"bastion-private-tables|" + secret).digest()
        self.options = options

    def kinds(self) -> tuple[str, ...]:
        return ("exact", "near") if self.options.near else ("exact",)

    def alpha(self, kind: str, table_id: bytes) -> int:
        """The blinding key of table `table_id` (derived from the deployment's secret)."""
        return group.derive_scalar(self._secret, b"table|" + kind.encode() + b"|" + table_id)

    def info(self, kind: str) -> TableInfo | None:
        """The table as it stands (None: never built)."""
        with self.db.session() as s:
            row = s.get(PrivateTableRow, kind)
            return None if row is None else self._info(row)

    def sync(self, kind: str) -> TableInfo:
        """Bring table `kind` up to the bank (building it the first time); returns it."""
        if kind not in self.kinds():
            raise NotFoundError(
                f"no {kind!r} table: private matching publishes {', '.join(self.kinds())}"
            )
        for _ in range(3):  # two processes building at once: one wins, the other reads it
            try:
                return self._sync(kind)
            except IntegrityError:
                continue
        return self._sync(kind)

    def _sync(self, kind: str) -> TableInfo:
        with self.db.session() as s:
            # Writing first takes the lock (PostgreSQL's row, SQLite's database): one
            # process follows the log at a time.
            s.execute(
                update(PrivateTableRow).where(PrivateTableRow.kind == kind)
                .values(updated_at=utcnow())
            )  # fmt: skip
            row = s.get(PrivateTableRow, kind)
            if row is None or self._outdated(row):
                return self._build(s, kind, row)
            head = self.banks.head_seq()
            if head <= row.seq:
                return self._info(row)
            version = row.version + 1
            changed = False
            for step in read_steps(self.banks, row.seq, until=head):
                try:
                    changed |= self._apply(s, row, step, version)
                except cuckoo.TableFullError:
                    s.rollback()
                    return self._rebuild(kind)
                row.seq = step.seq
            if changed:
                row.version = version
            if row.tokens > cuckoo.MAX_LOAD * row.size:
                s.commit()
                return self._rebuild(kind)
            return self._info(row)

    def _rebuild(self, kind: str) -> TableInfo:
        with self.db.session() as s:
            s.execute(
                update(PrivateTableRow).where(PrivateTableRow.kind == kind)
                .values(updated_at=utcnow())
            )  # fmt: skip
            return self._build(s, kind, s.get(PrivateTableRow, kind))

    def _outdated(self, row: PrivateTableRow) -> bool:
        if row.account_threshold != self.options.account_threshold:
            return True
        return row.kind == "near" and (row.lsh or {}).get("tables") != NEAR_TABLES

    # Building -----------------------------------------------------------------------------

    def _build(self, s: Session, kind: str, row: PrivateTableRow | None) -> TableInfo:
        head = self.banks.head_seq()  # changes after this are replayed (harmlessly) later
        lsh = Lsh(NEAR_TABLES, NEAR_BITS, secrets.token_bytes(16)) if kind == "near" else None
        refs: list[tuple[int, bytes]] = []
        for rows in self._all_rows(kind):
            refs += [(r.signal_id, t) for r in rows for t in _tokens(r, lsh)]
        distinct = sorted({t for _, t in refs})
        size = cuckoo.size_for(len(distinct))
        while True:
            seed = secrets.token_bytes(16)
            try:
                placed = cuckoo.build(distinct, seed, size)
                break
            except cuckoo.TableFullError:
                size = int(size * 1.1) + 1
        table_id = secrets.token_bytes(16)
        alpha = self.alpha(kind, table_id)
        version = 1 if row is None else row.version + 1
        s.execute(delete(PrivateSlotRow).where(PrivateSlotRow.kind == kind))
        s.execute(delete(PrivateRefRow).where(PrivateRefRow.kind == kind))
        slots = (
            {"kind": kind, "slot": i, "token": placed.get(i), "version": version,
             "point": _blind(alpha, placed[i]) if i in placed else group.random_point()}
            for i in range(size)
        )  # fmt: skip
        for chunk in _chunks(slots, _WRITE):
            bulk_insert(s, PrivateSlotRow.__table__, chunk)  # type: ignore[arg-type]
        ref_rows = ({"kind": kind, "signal_id": sid, "token": t} for sid, t in sorted(set(refs)))
        for chunk in _chunks(ref_rows, _WRITE):
            bulk_insert(s, PrivateRefRow.__table__, chunk)  # type: ignore[arg-type]
        values = {
            "table_id": table_id.hex(), "version": version, "size": size, "seed": seed.hex(),
            "tokens": len(distinct), "seq": head,
            "account_threshold": self.options.account_threshold,
            "item_threshold": NEAR_ITEM_THRESHOLD if lsh else 1,
            "lsh": None if lsh is None else lsh.to_json(),
            "built_at": utcnow(), "updated_at": utcnow(),
        }  # fmt: skip
        if row is None:
            row = PrivateTableRow(kind=kind, **values)
            s.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        s.flush()
        log.info("private %s table built: %d tokens in %d slots", kind, len(distinct), size)
        return self._info(row)

    def _all_rows(self, kind: str) -> Iterable[list[IndexRow]]:
        types = sorted(EXACT_TYPES) if kind == "exact" else [NEAR_TYPE]
        after = 0
        while True:
            rows = self.banks.scan_index_rows(after_signal_id=after, limit=_PAGE, only_types=types)
            if not rows:
                return
            yield rows
            after = rows[-1].signal_id

    # Following the log --------------------------------------------------------------------

    def _apply(self, s: Session, row: PrivateTableRow, step: ChangeStep, version: int) -> bool:
        kind = row.kind
        lsh = None if row.lsh is None else Lsh.from_json(row.lsh)
        gone_ids = [sid for sid, _ in step.gone]
        old: set[bytes] = set()
        for chunk in _chunks(gone_ids, 500):
            refs = s.scalars(
                select(PrivateRefRow).where(
                    PrivateRefRow.kind == kind, PrivateRefRow.signal_id.in_(chunk)
                )
            ).all()
            old |= {r.token for r in refs}
            for ref in refs:
                s.delete(ref)
        s.flush()
        types = EXACT_TYPES if kind == "exact" else {NEAR_TYPE: 64}
        for index_row in step.rows:
            if index_row.signal_type in types:
                for token in set(_tokens(index_row, lsh)):
                    s.add(PrivateRefRow(kind=kind, signal_id=index_row.signal_id, token=token))
        s.flush()
        candidates = old | set(_all_tokens(step.rows, types, lsh))
        held = _held(s, kind, candidates)
        placed = _placed(s, kind, candidates)
        slots = _DbSlots(s, kind)
        rng = random.Random()
        alpha = self.alpha(kind, bytes.fromhex(row.table_id))
        for token in sorted(placed - held):  # no signal holds it any more
            slot = s.scalar(
                select(PrivateSlotRow).where(
                    PrivateSlotRow.kind == kind, PrivateSlotRow.token == token
                )
            )
            assert slot is not None
            slot.token, slot.point, slot.version = None, group.random_point(), version
            slots.forget(slot.slot)
            row.tokens -= 1
        for token in sorted(held - placed):
            cuckoo.insert(slots, bytes.fromhex(row.seed), row.size, token, rng)
            row.tokens += 1
        for slot_row in slots.changed():
            assert slot_row.token is not None
            slot_row.point, slot_row.version = _blind(alpha, slot_row.token), version
        s.flush()
        return bool(placed - held or held - placed)

    # Publishing ---------------------------------------------------------------------------

    def document(self, kind: str, since: int | None = None) -> dict[str, Any]:
        """Table `kind` for a device: whole, or the slots changed after version `since` (of
        this same table; a device with another table's version gets it whole)."""
        info = self.sync(kind)
        doc: dict[str, Any] = info.to_json()
        with self.db.session() as s:
            if (
                since is not None
                and 0 <= since <= info.version
                and self._same_table(s, kind, since)
            ):
                changes = s.execute(
                    select(PrivateSlotRow.slot, PrivateSlotRow.point)
                    .where(PrivateSlotRow.kind == kind, PrivateSlotRow.version > since)
                    .order_by(PrivateSlotRow.slot)
                ).all()
                doc.update(since=since, changes=encode_changes([(a, b) for a, b in changes]))
                return doc
            points = s.scalars(
                select(PrivateSlotRow.point).where(PrivateSlotRow.kind == kind)
                .order_by(PrivateSlotRow.slot)
            )  # fmt: skip
            doc.update(since=None, slots=encode_slots(b"".join(points)))
        return doc

    def _same_table(self, s: Session, kind: str, since: int) -> bool:
        """Whether version `since` belongs to the table as it is (not to one rebuilt since):
        every slot of a rebuilt table has the rebuild's version."""
        oldest = s.scalar(
            select(func.min(PrivateSlotRow.version)).where(PrivateSlotRow.kind == kind)
        )
        return oldest is not None and since >= oldest

    def _info(self, row: PrivateTableRow) -> TableInfo:
        table_id = bytes.fromhex(row.table_id)
        return TableInfo(
            id=table_id, kind=row.kind, version=row.version, size=row.size,
            seed=bytes.fromhex(row.seed),
            public_key=group.base_mult(self.alpha(row.kind, table_id)),
            account_threshold=row.account_threshold, item_threshold=row.item_threshold,
            lsh=None if row.lsh is None else Lsh.from_json(row.lsh),
        )  # fmt: skip


class _DbSlots:
    """`cuckoo.Slots` over a table's rows in session `s`."""

    def __init__(self, s: Session, kind: str) -> None:
        self.s = s
        self.kind = kind
        self._rows: dict[int, PrivateSlotRow] = {}
        self._changed: set[int] = set()

    def _row(self, slot: int) -> PrivateSlotRow:
        if slot not in self._rows:
            row = self.s.get(PrivateSlotRow, (self.kind, slot))
            assert row is not None
            self._rows[slot] = row
        return self._rows[slot]

    def get(self, slot: int) -> bytes | None:
        return self._row(slot).token

    def set(self, slot: int, token: bytes) -> None:
        self._row(slot).token = token
        self._changed.add(slot)

    def forget(self, slot: int) -> None:
        self._changed.discard(slot)

    def changed(self) -> list[PrivateSlotRow]:
        return [self._rows[i] for i in sorted(self._changed) if self._rows[i].token is not None]


def _tokens(row: IndexRow, lsh: Lsh | None) -> list[bytes]:
    if lsh is not None:
        return lsh.tokens(row.value) if row.signal_type == NEAR_TYPE else []
    return [exact_token(row.signal_type, row.value)] if row.signal_type in EXACT_TYPES else []


def _all_tokens(rows: Sequence[IndexRow], types: dict[str, int], lsh: Lsh | None) -> list[bytes]:
    return [t for r in rows if r.signal_type in types for t in _tokens(r, lsh)]


def _held(s: Session, kind: str, tokens: set[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for chunk in _chunks(sorted(tokens), 500):
        found |= set(
            s.scalars(
                select(PrivateRefRow.token).where(
                    PrivateRefRow.kind == kind, PrivateRefRow.token.in_(chunk)
                )
            )
        )
    return found


def _placed(s: Session, kind: str, tokens: set[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for chunk in _chunks(sorted(tokens), 500):
        found |= {
            t
            for t in s.scalars(
                select(PrivateSlotRow.token).where(
                    PrivateSlotRow.kind == kind, PrivateSlotRow.token.in_(chunk)
                )
            )
            if t is not None
        }
    return found


def _blind(alpha: int, token: bytes) -> bytes:
    return group.mult(alpha, token_point(token))


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
