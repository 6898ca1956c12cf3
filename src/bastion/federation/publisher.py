"""Publishing banks to partners: collaborations, their partners, and the feed they read.

A **collaboration** names banks this instance shares and the partners it shares them with.
Entries this instance itself fetched from exchanges (NCMEC's list, another partner's) are
left out unless the collaboration says `include_fetched`: a received list is not passed on
by accident.
Each partner reads with its own API key (scope `partner`), which opens only the
collaborations it belongs to. The feed (`Feed.page`) is read with an opaque cursor:

- With no cursor (or one from an older generation of the collaboration, or one past a bank
  deletion), a **snapshot** starts: every enabled entry of the collaboration's banks, in id
  order, a page at a time. Its pages carry `mark` (the change number the snapshot started
  at) and the last one `sweep` with the same number: the partner then deletes whatever it
  holds from this collaboration that the snapshot did not mention.
- Then **changes**, in change-sequence order from where the snapshot started: an entry
  added or changed is sent whole (`upsert`), a deleted or disabled one as a tombstone
  (`delete`). Changes made while the snapshot was read are sent again; applying them twice
  changes nothing.

Every page is JSON, signed with the publisher's Ed25519 key (`signing`). A partner's
feedback on a published entry is kept (`give_feedback`) for this instance's reviewers.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bastion.audit import record_in
from bastion.auth import ApiKey, ApiKeyStore, Scope
from bastion.banks.changes import ChangeLog, ChangeOp
from bastion.banks.model import MAX_DESCRIPTION_LENGTH, Opinion, validate_bank_name
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.federation.signing import SigningKey
from bastion.store import Database
from bastion.store.models import (
    BankRow,
    CollaborationRow,
    EntryRow,
    PartnerFeedbackRow,
    PartnerRow,
    utcnow,
)
from bastion.validation import checked_text

#: Most entries or changes one page holds.
MAX_PAGE = 10_000
FEED_VERSION = 1
_ENTRY_OPS = (ChangeOp.ENTRY_UPSERT, ChangeOp.ENTRY_DELETE, ChangeOp.SIGNALS_REPLACED)


@dataclass(frozen=True)
class Collaboration:
    id: int
    name: str
    description: str
    banks: list[str]
    partners: list[str]
    include_fetched: bool
    generation: int
    created_at: datetime


@dataclass(frozen=True)
class NewPartner:
    collab: str
    partner: str
    #: The partner's API key: shown once, never stored.
    secret: str


@dataclass(frozen=True)
class PartnerFeedback:
    id: int
    collab: str
    partner: str
    entry_id: int
    opinion: Opinion
    note: str
    received_at: datetime


@dataclass(frozen=True)
class SignedPage:
    body: bytes
    signature: str


class CollabStore:
    def __init__(self, db: Database, keys: ApiKeyStore) -> None:
        self._db, self._keys = db, keys
        self._changes = ChangeLog(db)

    # Configuration ----------------------------------------------------------------------

    def create(
        self,
        name: str,
        banks: list[str],
        *,
        description: str = "",
        include_fetched: bool = False,
        actor: str = "unknown",
    ) -> Collaboration:
        validate_bank_name(name)
        checked_text(description, "description", max_length=MAX_DESCRIPTION_LENGTH)
        with self._db.session() as s:
            row = CollaborationRow(
                name=name,
                description=description,
                bank_ids=[self._bank_id(s, b) for b in dict.fromkeys(banks)],
                include_fetched=include_fetched,
                generation=1,
                created_at=utcnow(),
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ConflictError(f"a collaboration named {name!r} already exists") from None
            made = _collab(s, row)
            record_in(
                s, actor, "collab.create", name, banks=made.banks, include_fetched=include_fetched
            )
            return made

    def get(self, name: str) -> Collaboration:
        with self._db.session() as s:
            return _collab(s, self._row(s, name))

    def list(self) -> builtins.list[Collaboration]:
        with self._db.session() as s:
            rows = s.scalars(select(CollaborationRow).order_by(CollaborationRow.name))
            return [_collab(s, r) for r in rows]

    def set_banks(
        self, name: str, banks: builtins.list[str], *, actor: str = "unknown"
    ) -> Collaboration:
        """Publish exactly `banks`; partners read the collaboration again from the start."""
        with self._db.session() as s:
            row = self._row(s, name)
            row.bank_ids = [self._bank_id(s, b) for b in dict.fromkeys(banks)]
            row.generation += 1
            changed = _collab(s, row)
            record_in(s, actor, "collab.set_banks", name, banks=changed.banks)
            return changed

    def remove(self, name: str, *, actor: str = "unknown") -> None:
        """Stop publishing; the partners' keys are revoked."""
        with self._db.session() as s:
            row = self._row(s, name)
            record_in(s, actor, "collab.remove", name)
            key_ids = list(
                s.scalars(select(PartnerRow.key_id).where(PartnerRow.collab_id == row.id))
            )
            s.delete(row)
        for key in self._keys.list():
            if key.id in key_ids and key.revoked_at is None:
                self._keys.revoke(key.prefix, actor=actor)

    def add_partner(self, collab: str, partner: str, *, actor: str = "unknown") -> NewPartner:
        """A partner and its new API key (scope `partner`), shown once."""
        if not partner.strip() or len(partner) > 100:
            raise ValidationError("partner name must be 1-100 characters")
        row_id = self.get(collab).id
        created = self._keys.create(f"partner {partner} of {collab}", [Scope.PARTNER], actor=actor)
        with self._db.session() as s:
            s.add(
                PartnerRow(
                    collab_id=row_id, name=partner, key_id=created.key.id, created_at=utcnow()
                )
            )
            try:
                s.flush()
            except IntegrityError:
                raise ConflictError(f"{collab} already has a partner named {partner!r}") from None
            record_in(s, actor, "collab.add_partner", collab, partner=partner)
        return NewPartner(collab, partner, created.secret)

    def remove_partner(self, collab: str, partner: str, *, actor: str = "unknown") -> None:
        with self._db.session() as s:
            row = self._partner(s, self._row(s, collab).id, partner)
            key_id = row.key_id
            s.delete(row)
            record_in(s, actor, "collab.remove_partner", collab, partner=partner)
        for key in self._keys.list():
            if key.id == key_id and key.revoked_at is None:
                self._keys.revoke(key.prefix, actor=actor)

    # What partners ask ------------------------------------------------------------------

    def partner_of(self, collab: str, key: ApiKey) -> tuple[int, int, str]:
        """(collaboration id, partner id, partner name) when `key` is a partner of `collab`;
        an admin key reads as the publisher itself (partner id 0). NotFoundError otherwise,
        naming no collaboration the key may not see."""
        with self._db.session() as s:
            row = s.scalar(select(CollaborationRow).where(CollaborationRow.name == collab))
            if row is not None:
                if Scope.ADMIN in key.scopes:
                    return row.id, 0, f"key:{key.prefix}"
                partner = s.scalar(
                    select(PartnerRow).where(
                        PartnerRow.collab_id == row.id, PartnerRow.key_id == key.id
                    )
                )
                if partner is not None:
                    return row.id, partner.id, partner.name
        raise NotFoundError(f"no collaboration {collab!r} for this key")

    def page(
        self,
        collab_id: int,
        cursor: str | None,
        limit: int,
        signer: SigningKey,
        *,
        reader: str = "unknown",
    ) -> SignedPage:
        """One page of the feed from `cursor`, signed (see the module docstring). The start
        of every full read (a snapshot) is recorded in the audit log, with `reader`."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"limit must be 1-{MAX_PAGE:,}")
        with self._db.session() as s:
            collab = s.get_one(CollaborationRow, collab_id)
            doc = Feed(s, collab, self._changes).page(cursor, limit)
            if _starts_snapshot(cursor, doc):
                record_in(s, reader, "collab.read", collab.name, generation=doc["generation"])
        body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        return SignedPage(body, signer.header(body))

    def give_feedback(
        self, collab_id: int, partner_id: int, entry_id: int, opinion: Opinion, note: str
    ) -> PartnerFeedback:
        if len(note) > 2000:
            raise ValidationError("a feedback note is at most 2,000 characters")
        with self._db.session() as s:
            collab = s.get_one(CollaborationRow, collab_id)
            entry = s.get(EntryRow, entry_id)
            if entry is None or entry.bank_id not in collab.bank_ids:
                raise NotFoundError(f"entry {entry_id} is not published in {collab.name}")
            if partner_id == 0:
                raise ValidationError("feedback comes from partners, not the publisher")
            row = PartnerFeedbackRow(
                collab_id=collab_id,
                partner_id=partner_id,
                entry_id=entry_id,
                opinion=opinion.value,
                note=note,
                received_at=utcnow(),
            )
            s.add(row)
            s.flush()
            given = _feedback(s, row)
            record_in(
                s, f"partner:{given.partner}", "collab.feedback", collab.name,
                entry=entry_id, opinion=opinion.value,
            )  # fmt: skip
            return given

    def feedback(self, collab: str, *, limit: int = 100) -> builtins.list[PartnerFeedback]:
        with self._db.session() as s:
            row = self._row(s, collab)
            rows = s.scalars(
                select(PartnerFeedbackRow)
                .where(PartnerFeedbackRow.collab_id == row.id)
                .order_by(PartnerFeedbackRow.id.desc())
                .limit(limit)
            )
            return [_feedback(s, r) for r in rows]

    # Internals --------------------------------------------------------------------------

    def _row(self, s: Session, name: str) -> CollaborationRow:
        row = s.scalar(select(CollaborationRow).where(CollaborationRow.name == name))
        if row is None:
            raise NotFoundError(f"no collaboration named {name!r}")
        return row

    def _partner(self, s: Session, collab_id: int, name: str) -> PartnerRow:
        row = s.scalar(
            select(PartnerRow).where(PartnerRow.collab_id == collab_id, PartnerRow.name == name)
        )
        if row is None:
            raise NotFoundError(f"no partner named {name!r}")
        return row

    def _bank_id(self, s: Session, name: str) -> int:
        bank_id = s.scalar(select(BankRow.id).where(BankRow.name == name))
        if bank_id is None:
            raise NotFoundError(f"no bank named {name!r}")
        return bank_id


class Feed:
    """Builds one page of a collaboration's feed inside a session, from the change
    sequence (`changes`)."""

    def __init__(self, s: Session, collab: CollaborationRow, changes: ChangeLog) -> None:
        self._s, self._collab, self._log = s, collab, changes
        query = select(BankRow.id, BankRow.name).where(BankRow.id.in_(collab.bank_ids or [-1]))
        self._banks: dict[int, str] = {i: n for i, n in s.execute(query).all()}  # noqa: C416

    @property
    def _own_only(self) -> tuple[Any, ...]:
        """The filter that keeps out fetched entries, unless the collaboration passes them on."""
        return () if self._collab.include_fetched else (EntryRow.exchange_id.is_(None),)

    def _shared(self, row: EntryRow) -> bool:
        fetched = row.exchange_id is not None and not self._collab.include_fetched
        return row.enabled and row.bank_id in self._banks and not fetched

    def page(self, cursor: str | None, limit: int) -> dict[str, Any]:
        parsed = _parse_cursor(cursor)
        if parsed is None or parsed[1] != self._collab.generation:
            return self._snapshot(self._head(), 0, limit)
        phase, _generation, seq, after = parsed
        if phase == "s":
            return self._snapshot(seq, after, limit)
        return self._changes(seq, limit)

    def _head(self) -> int:
        return self._log.head(session=self._s)

    def _snapshot(self, seq0: int, after: int, limit: int) -> dict[str, Any]:
        rows = self._s.scalars(
            select(EntryRow)
            .where(
                EntryRow.bank_id.in_(list(self._banks) or [-1]),
                EntryRow.id > after,
                EntryRow.enabled.is_(True),
                *self._own_only,
            )
            .order_by(EntryRow.id)
            .limit(limit)
            .options(selectinload(EntryRow.signals))
        ).all()
        done = len(rows) < limit
        last = rows[-1].id if rows else after
        generation = self._collab.generation
        return self._doc(
            [self._upsert(r) for r in rows],
            f"c{generation}.{seq0}" if done else f"s{generation}.{seq0}.{last}",
            more=not done or self._head() > seq0,
            mark=seq0,
            sweep=seq0 if done else None,
        )

    def _changes(self, seq: int, limit: int) -> dict[str, Any]:
        changes = self._log.since(seq, limit=limit, session=self._s)
        latest: dict[int, int] = {}
        for change in changes:
            if change.bank_id not in self._banks:
                continue
            if change.op is ChangeOp.BANK_DELETE:  # its entries are gone: read it all again
                return self._snapshot(self._head(), 0, limit)
            if change.op in _ENTRY_OPS and change.entry_id is not None:
                latest[change.entry_id] = change.seq
        entries = {
            r.id: r
            for r in self._s.scalars(
                select(EntryRow)
                .where(EntryRow.id.in_(list(latest) or [-1]))
                .options(selectinload(EntryRow.signals))
            )
        }
        out = []
        for entry_id in sorted(latest, key=latest.__getitem__):
            row = entries.get(entry_id)
            if row is None or not self._shared(row):
                out.append({"op": "delete", "id": str(entry_id)})
            else:
                out.append(self._upsert(row))
        last = changes[-1].seq if changes else seq
        return self._doc(
            out, f"c{self._collab.generation}.{last}", more=len(changes) == limit, mark=None,
            sweep=None,
        )  # fmt: skip

    def _upsert(self, row: EntryRow) -> dict[str, Any]:
        return {
            "op": "upsert",
            "id": str(row.id),
            "bank": self._banks[row.bank_id],
            "signals": [
                [s.signal_type, s.full_value, s.quality] for s in row.signals if s.derived is None
            ],
            "metadata": dict(row.meta or {}),
            "updated_at": (row.updated_at or row.added_at).isoformat(),
        }

    def _doc(
        self,
        changes: list[dict[str, Any]],
        cursor: str,
        *,
        more: bool,
        mark: int | None,
        sweep: int | None,
    ) -> dict[str, Any]:
        return {
            "version": FEED_VERSION,
            "collab": self._collab.name,
            "generation": self._collab.generation,
            "changes": changes,
            "cursor": cursor,
            "more": more,
            "mark": mark,
            "sweep": sweep,
        }


def _starts_snapshot(cursor: str | None, doc: dict[str, Any]) -> bool:
    """Whether this page begins a full read: a snapshot page from a cursor that was not
    already inside one."""
    parsed = _parse_cursor(cursor)
    inside = parsed is not None and parsed[0] == "s" and parsed[1] == doc["generation"]
    return doc["mark"] is not None and not inside


def _parse_cursor(cursor: str | None) -> tuple[str, int, int, int] | None:
    """(phase, generation, seq, after) from "s<gen>.<seq>.<after>" or "c<gen>.<seq>"."""
    if not cursor:
        return None
    phase, numbers = cursor[:1], cursor[1:].split(".")
    if phase not in ("s", "c") or not all(n.isdigit() for n in numbers):
        raise ValidationError("malformed cursor: pass back the cursor a page gave")
    if phase == "s" and len(numbers) == 3:
        return "s", int(numbers[0]), int(numbers[1]), int(numbers[2])
    if phase == "c" and len(numbers) == 2:
        return "c", int(numbers[0]), int(numbers[1]), 0
    raise ValidationError("malformed cursor: pass back the cursor a page gave")


def _collab(s: Session, row: CollaborationRow) -> Collaboration:
    names = dict(
        s.execute(
            select(BankRow.id, BankRow.name).where(BankRow.id.in_(row.bank_ids or [-1]))
        ).all()
    )
    partners = list(
        s.scalars(
            select(PartnerRow.name).where(PartnerRow.collab_id == row.id).order_by(PartnerRow.name)
        )
    )
    return Collaboration(
        id=row.id,
        name=row.name,
        description=row.description,
        banks=[names[i] for i in row.bank_ids if i in names],
        partners=partners,
        include_fetched=row.include_fetched,
        generation=row.generation,
        created_at=row.created_at,
    )


def _feedback(s: Session, row: PartnerFeedbackRow) -> PartnerFeedback:
    return PartnerFeedback(
        id=row.id,
        collab=s.get_one(CollaborationRow, row.collab_id).name,
        partner=s.get_one(PartnerRow, row.partner_id).name,
        entry_id=row.entry_id,
        opinion=Opinion(row.opinion),
        note=row.note,
        received_at=row.received_at,
    )
