"""`ConversationStore`: conversations read a message at a time, kept in the database so any
service process can take the next message, and their alerts.

Each call locks the conversation's row, reads its tracker state, adds the messages and
writes the state back in one transaction. The first time the conversation's level becomes
"high" its alert fires, once: the event goes to every enabled rule on conversation alerts
(a signed webhook delivery, a review item) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bastion.actions import ActionStore
from bastion.conversations.assess import Assessment, Tracker
from bastion.conversations.model import Message, Participant, clean
from bastion.conversations.scoring import Model
from bastion.errors import NotFoundError, ValidationError
from bastion.store import Database
from bastion.store.models import ConversationRow, utcnow

EVENT_TYPE = "conversation_alert"
#: Evidence an alert event carries (the first ones).
EVENT_EVIDENCE = 50
#: Messages one call may add.
MAX_BATCH = 1000
KEY_LENGTH = 128


@dataclass(frozen=True)
class Progress:
    assessment: Assessment
    #: Whether this call fired the conversation's alert.
    alerted: bool
    alerted_at: datetime | None
    actions: int


class ConversationStore:
    def __init__(self, db: Database, model: Model, actions: ActionStore) -> None:
        self.db = db
        self.model = model
        self.actions = actions

    def add(
        self,
        key: str,
        messages: Sequence[Message],
        participants: Sequence[Participant] = (),
    ) -> Progress:
        """Add messages (in order) and participants' declarations to conversation `key`."""
        _check_key(key)
        if not messages and not participants:
            raise ValidationError("nothing to add: give messages or participants")
        if len(messages) > MAX_BATCH:
            raise ValidationError(f"{len(messages):,} messages in one call (limit {MAX_BATCH:,})")
        now = utcnow()
        with self.db.session() as s:
            # Writing first makes this a write transaction before anything is read: calls on
            # one conversation take turns (PostgreSQL's row lock, SQLite's write lock).
            insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
            s.execute(
                insert(ConversationRow)
                .values(key=key, state={}, messages=0, score=0.0, level="low", created_at=now,
                        updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )  # fmt: skip
            row = s.scalars(
                select(ConversationRow).where(ConversationRow.key == key).with_for_update()
            ).one()
            tracker = Tracker.from_json(row.state, self.model) if row.state else Tracker(self.model)
            for participant in participants:
                tracker.declare(participant)
            for message in messages:
                tracker.add(message)
            assessment = tracker.assessment()
            row.state = tracker.to_json()
            row.messages, row.score, row.level = (
                tracker.messages,
                assessment.score,
                assessment.level,
            )
            row.updated_at = now
            alerted, actions = False, 0
            if assessment.level == "high" and row.alerted_at is None:
                row.alerted_at = now
                alerted = True
                actions = self.actions.queue_conversation_alert(
                    s, key, alert_event(key, assessment, now)
                )
            s.flush()
            return Progress(assessment, alerted, row.alerted_at, actions)

    def get(self, key: str) -> tuple[Assessment, datetime | None]:
        _check_key(key)
        with self.db.session() as s:
            row = s.scalar(select(ConversationRow).where(ConversationRow.key == key))
            if row is None:
                raise NotFoundError(f"no conversation {key!r}")
            return Tracker.from_json(row.state, self.model).assessment(), row.alerted_at

    def delete(self, key: str) -> None:
        """Forget a conversation's state (its alert's review items and deliveries stay)."""
        _check_key(key)
        with self.db.session() as s:
            gone = s.execute(delete(ConversationRow).where(ConversationRow.key == key))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise NotFoundError(f"no conversation {key!r}")


def alert_event(key: str, assessment: Assessment, at: datetime) -> dict[str, Any]:
    """What a webhook receives and a review item keeps when a conversation alerts: the
    scores and the evidence (the exact excerpts), nothing else of the conversation."""
    doc = assessment.to_json()
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": EVENT_TYPE,
        "occurred_at": at.isoformat(),
        "conversation": key,
        "score": doc["score"],
        "level": doc["level"],
        "likely_groomer": doc["likely_groomer"],
        "first_warning": doc["first_warning"],
        "messages": doc["messages"],
        "senders": doc["senders"],
        "evidence": doc["evidence"][:EVENT_EVIDENCE],
    }


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_LENGTH:
        raise ValidationError(f"a conversation id is 1-{KEY_LENGTH} characters")
    if clean(key) != key:
        raise ValidationError("a conversation id cannot hold NUL or unpaired surrogates")
