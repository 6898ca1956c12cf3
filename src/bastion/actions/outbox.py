"""The outbox: webhook deliveries persisted with the match, delivered at least once.

A row is `pending` until a receiver answers 2xx (`delivered`) or it has failed
`max_attempts` times (`dead`). A worker *claims* one due row at a time in its own short
transaction, setting `claimed_until`; until then no other worker takes it (on PostgreSQL the
claim also skips rows another claim has locked, `FOR UPDATE SKIP LOCKED`; on SQLite the claim
is one UPDATE, and SQLite runs one writer at a time). If the worker dies mid-delivery the claim
simply expires and the row is delivered again: receivers must dedupe by `X-Bastion-Delivery`
(the row id) or the event's `event_id`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from bastion.actions.secrets import StoredSecrets
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.store.database import Database
from bastion.store.models import ActionRuleRow, OutboxRow, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    rule_id: int
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    claimed_until: datetime | None


@dataclass(frozen=True)
class Claim:
    """A row a worker holds until `until`: everything needed to deliver it."""

    id: int
    rule_id: int
    payload: dict[str, Any]
    attempts: int
    url: str
    #: The rule's signing secrets, still sealed: the deliverer opens them to sign.
    secrets: StoredSecrets
    until: datetime


def claim_next(db: Database, *, now: datetime, until: datetime) -> Claim | None:
    """Claim the most overdue deliverable row until `until`; None when nothing is due.

    Rows of disabled rules are left waiting.
    """
    due = (
        select(OutboxRow.id)
        .join(ActionRuleRow, ActionRuleRow.id == OutboxRow.rule_id)
        .where(
            OutboxRow.status == OutboxStatus.PENDING.value,
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
            ActionRuleRow.enabled.is_(True),
        )
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(1)
    )
    if db.dialect == "postgresql":
        due = due.with_for_update(of=OutboxRow, skip_locked=True)
    with db.session() as s:
        # One statement, and the transaction's first: on SQLite it takes the write lock at
        # once, so two workers cannot both read the row as unclaimed.
        claimed = s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == due.scalar_subquery())
            .values(claimed_until=until)
            .returning(OutboxRow.id),
            execution_options={"synchronize_session": False},
        ).scalar()
        if claimed is None:
            return None
        row, rule = s.execute(
            select(OutboxRow, ActionRuleRow)
            .join(ActionRuleRow, ActionRuleRow.id == OutboxRow.rule_id)
            .where(OutboxRow.id == claimed)
        ).one()
        return Claim(
            id=row.id,
            rule_id=row.rule_id,
            payload=row.payload,
            attempts=row.attempts,
            url=rule.url or "",
            secrets=StoredSecrets.of(rule),
            until=until,
        )


def mark_delivered(db: Database, claim: Claim, *, now: datetime) -> bool:
    """Record a 2xx. Final even if the claim had expired: the receiver did get it."""
    with db.session() as s:
        result = s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == claim.id, OutboxRow.status == OutboxStatus.PENDING.value)
            .values(
                status=OutboxStatus.DELIVERED.value,
                attempts=OutboxRow.attempts + 1,
                delivered_at=now,
                claimed_until=None,
                last_error=None,
            ),
            execution_options={"synchronize_session": False},
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(db: Database, claim: Claim, *, error: str, retry_at: datetime | None) -> bool:
    """Record a failed attempt: retry at `retry_at`, or give up (dead) when it is None.

    Ignored when the claim was lost (expired and taken by another worker).
    """
    values: dict[str, Any] = {
        "attempts": claim.attempts + 1,
        "last_error": error[:300],
        "claimed_until": None,
    }
    if retry_at is None:
        values["status"] = OutboxStatus.DEAD.value
    else:
        values["next_attempt_at"] = retry_at
    with db.session() as s:
        result = s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == claim.id,
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.claimed_until == claim.until,
            )
            .values(**values),
            execution_options={"synchronize_session": False},
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class Outbox:
    """Looking into the outbox: one row, a page of rows, counts; retrying; purging."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, item_id: int) -> OutboxItem:
        with self.db.session() as s:
            row = s.get(OutboxRow, item_id)
            if row is None:
                raise NotFoundError(f"no outbox row with id {item_id}")
            return _item(row)

    def list(
        self, status: str | None = None, *, limit: int = 100, after: int = 0
    ) -> builtins.list[OutboxItem]:
        """Rows in id order after id `after`, optionally of one status."""
        query = select(OutboxRow).where(OutboxRow.id > after)
        if status is not None:
            query = query.where(OutboxRow.status == _status(status).value)
        with self.db.session() as s:
            rows = s.scalars(query.order_by(OutboxRow.id).limit(max(1, min(limit, 1000))))
            return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many rows have each status (every status present, zero included)."""
        with self.db.session() as s:
            found = dict(
                s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
            )
        return {status.value: found.get(status.value, 0) for status in OutboxStatus}

    def retry(self, item_id: int) -> OutboxItem:
        """Give a dead row a fresh set of attempts, due now."""
        with self.db.session() as s:
            row = s.get(OutboxRow, item_id)
            if row is None:
                raise NotFoundError(f"no outbox row with id {item_id}")
            if row.status != OutboxStatus.DEAD.value:
                raise ConflictError(f"outbox row {item_id} is {row.status}, not dead")
            row.status = OutboxStatus.PENDING.value
            row.attempts = 0
            row.next_attempt_at = utcnow()
            row.claimed_until = None
            return _item(row)

    def purge(self, before: datetime) -> int:
        """Delete delivered and dead rows created before `before`; returns how many."""
        with self.db.session() as s:
            result = s.execute(
                delete(OutboxRow).where(
                    OutboxRow.status != OutboxStatus.PENDING.value, OutboxRow.created_at < before
                ),
                execution_options={"synchronize_session": False},
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _status(value: str) -> OutboxStatus:
    try:
        return OutboxStatus(value)
    except ValueError:
        choices = ", ".join(s.value for s in OutboxStatus)
        raise ValidationError(f"unknown outbox status {value!r} (one of {choices})") from None


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        rule_id=row.rule_id,
        payload=row.payload,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        claimed_until=row.claimed_until,
    )
