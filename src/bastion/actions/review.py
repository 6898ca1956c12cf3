"""`ReviewQueue`: matches and conversation alerts waiting for a human decision (the review
console comes later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.store.database import Database
from bastion.store.models import ReviewItemRow, utcnow

OPEN = "open"


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    ESCALATED = "escalated"


@dataclass(frozen=True)
class ReviewItem:
    id: int
    #: The rule that opened it; None once that rule is removed.
    rule_id: int | None
    #: "match" (bank, entry, signal type and distance are set) or "conversation" (the
    #: conversation's key is).
    kind: str
    bank: str | None
    entry_id: int | None
    signal_type: str | None
    distance: int | None
    conversation: str | None
    #: The event, as a webhook would receive it.
    payload: dict[str, Any]
    #: "open", or the decision taken.
    status: str
    created_at: datetime
    decided_at: datetime | None
    reviewer: str | None


class ReviewQueue:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(
        self, status: str | None = OPEN, *, limit: int = 50, after: int = 0
    ) -> list[ReviewItem]:
        """Items in id order after id `after` (a page cursor); `status=None` lists all."""
        if status is not None and status != OPEN:
            status = _decision(status).value
        if not 1 <= limit <= 1000:
            raise ValidationError("limit must be 1-1000")
        query = select(ReviewItemRow).where(ReviewItemRow.id > after)
        if status is not None:
            query = query.where(ReviewItemRow.status == status)
        with self.db.session() as s:
            return [_item(r) for r in s.scalars(query.order_by(ReviewItemRow.id).limit(limit))]

    def get(self, item_id: int) -> ReviewItem:
        with self.db.session() as s:
            return _item(_row(s.get(ReviewItemRow, item_id), item_id))

    def resolve(self, item_id: int, decision: str, reviewer: str) -> ReviewItem:
        """Decide an open item; deciding one twice is a conflict."""
        chosen = _decision(decision)
        if not reviewer.strip() or len(reviewer) > 200:
            raise ValidationError("reviewer must be 1-200 characters")
        with self.db.session() as s:
            row = _row(s.get(ReviewItemRow, item_id, with_for_update=True), item_id)
            if row.status != OPEN:
                raise ConflictError(f"review item {item_id} is already decided ({row.status})")
            row.status = chosen.value
            row.reviewer = reviewer
            row.decided_at = utcnow()
            return _item(row)


def _decision(value: str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        choices = ", ".join(d.value for d in Decision)
        raise ValidationError(f"unknown decision {value!r} (one of {choices})") from None


def _row(row: ReviewItemRow | None, item_id: int) -> ReviewItemRow:
    if row is None:
        raise NotFoundError(f"no review item with id {item_id}")
    return row


def _item(row: ReviewItemRow) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        rule_id=row.rule_id,
        kind=row.kind,
        bank=row.bank,
        entry_id=row.entry_id,
        signal_type=row.signal_type,
        distance=row.distance,
        conversation=row.conversation,
        payload=row.payload,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
        reviewer=row.reviewer,
    )
