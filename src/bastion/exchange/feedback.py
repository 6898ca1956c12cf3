"""`FeedbackQueue`: reviewers' opinions on fetched entries, sent back to their sources.

An opinion (true positive, false positive, disputed) on an entry that came from an exchange
is queued with the entry's upstream id, signals and metadata, so it survives the entry's
deletion and a source that is down. The service's scheduler sends what is due (`deliver_due`): sent
rows are kept as a record; a failure is retried with backoff (1 min, 2, 4, ... up to a
day) until `MAX_ATTEMPTS`; a source that takes no such feedback marks the row
`unsupported` at once. Each row is claimed before it is sent, as webhook deliveries are.
Feedback reaches only the addresses the queue's `SourceAccess` allows, as syncs do.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bastion.errors import BastionError, NotFoundError, ValidationError
from bastion.exchange.access import SourceAccess
from bastion.exchange.api import Exchange, FeedbackNotSupported, Opinion, Record
from bastion.exchange.impl import make_exchange
from bastion.exchange.secrets import CredentialBox
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import EntryRow, ExchangeFeedbackRow, ExchangeRow, SignalRow, utcnow
from bastion.validation import checked_text

log = logging.getLogger("bastion.exchange")

MAX_ATTEMPTS = 12
MAX_BACKOFF = timedelta(days=1)
#: How long a sender holds a row it is sending.
CLAIM = timedelta(minutes=2)


class FeedbackStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS
    UNSUPPORTED = "unsupported"  # the source takes no such feedback


@dataclass(frozen=True)
class Feedback:
    id: int
    exchange: str
    entry_id: int
    upstream_id: str
    opinion: Opinion
    note: str
    given_by: str | None
    status: FeedbackStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class _Claimed:
    """A row held by one sender, with what sending it needs."""

    id: int
    kind: str
    exchange: str
    config: dict[str, object]
    credentials: dict[str, str]
    record: Record
    opinion: Opinion
    note: str


class FeedbackQueue:
    def __init__(
        self,
        db: Database,
        box: CredentialBox,
        *,
        access: SourceAccess | None = None,
        transport: httpx.BaseTransport | None = None,
        exchange_factory: Callable[..., Exchange] = make_exchange,
    ) -> None:
        self._db, self._box, self._transport = db, box, transport
        self._access = access or SourceAccess()
        self._make = exchange_factory

    def give(
        self, entry_id: int, opinion: Opinion | str, *, note: str = "", given_by: str | None = None
    ) -> Feedback:
        """Queue an opinion on an entry fetched from an exchange."""
        try:
            opinion = Opinion(opinion)
        except ValueError:
            choices = ", ".join(o.value for o in Opinion)
            raise ValidationError(f"opinion must be one of {choices}") from None
        checked_text(note, "note", max_length=2000)
        with self._db.session() as s:
            entry = s.get(EntryRow, entry_id)
            if entry is None:
                raise NotFoundError(f"no entry with id {entry_id}")
            if entry.exchange_id is None or entry.upstream_id is None:
                raise ValidationError(
                    f"entry {entry_id} was not fetched from an exchange: there is no one to tell"
                )
            signals = s.execute(
                select(SignalRow.signal_type, SignalRow.value, SignalRow.payload)
                .where(SignalRow.entry_id == entry_id, SignalRow.derived.is_(None))
                .order_by(SignalRow.id)
            ).all()
            row = ExchangeFeedbackRow(
                exchange_id=entry.exchange_id,
                entry_id=entry_id,
                upstream_id=entry.upstream_id,
                meta=dict(entry.meta or {}),
                signals=[[t, payload if payload is not None else v] for t, v, payload in signals],
                opinion=opinion.value,
                note=note,
                given_by=given_by,
                status=FeedbackStatus.PENDING.value,
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return self._feedback(s, row)

    def list(self, *, entry_id: int | None = None, limit: int = 100) -> builtins.list[Feedback]:
        with self._db.session() as s:
            query = select(ExchangeFeedbackRow).order_by(ExchangeFeedbackRow.id.desc()).limit(limit)
            if entry_id is not None:
                query = query.where(ExchangeFeedbackRow.entry_id == entry_id)
            return [self._feedback(s, r) for r in s.scalars(query)]

    def deliver_due(self, limit: int = 100) -> int:
        """Send what is due; returns how many were sent."""
        sent = 0
        for _ in range(limit):
            claimed = self._claim()
            if claimed is None:
                break
            sent += self._send(claimed)
        return sent

    def _claim(self) -> _Claimed | None:
        now = utcnow()
        with self._db.session() as s:
            row = s.scalar(
                select(ExchangeFeedbackRow)
                .where(
                    or_(
                        ExchangeFeedbackRow.status == FeedbackStatus.PENDING.value,
                        # a sender that died while sending: its claim has passed
                        ExchangeFeedbackRow.status == FeedbackStatus.SENDING.value,
                    ),
                    ExchangeFeedbackRow.next_attempt_at <= now,
                )
                .order_by(ExchangeFeedbackRow.next_attempt_at, ExchangeFeedbackRow.id)
                .limit(1)
            )
            if row is None:
                return None
            taken = s.execute(
                update(ExchangeFeedbackRow)
                .where(
                    ExchangeFeedbackRow.id == row.id,
                    ExchangeFeedbackRow.next_attempt_at == row.next_attempt_at,
                )
                .values(status=FeedbackStatus.SENDING.value, next_attempt_at=now + CLAIM)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            exchange = s.get_one(ExchangeRow, row.exchange_id)
            credentials = (
                self._box.open(exchange.credentials, owner=exchange.name)
                if exchange.credentials
                else {}
            )
            return _Claimed(
                id=row.id,
                kind=exchange.kind,
                exchange=exchange.name,
                config=dict(exchange.config or {}),
                credentials=credentials,
                record=Record(
                    row.upstream_id,
                    tuple(Signal(t, v) for t, v in row.signals),
                    dict(row.meta or {}),
                ),
                opinion=Opinion(row.opinion),
                note=row.note,
            )

    def _send(self, claimed: _Claimed) -> int:
        row_id, name = claimed.id, claimed.exchange
        status, error = FeedbackStatus.SENT, None
        try:
            exchange = self._make(
                claimed.kind,
                name,
                claimed.config,
                claimed.credentials,
                access=self._access,
                transport=self._transport,
            )
            exchange.send_feedback(claimed.record, claimed.opinion, claimed.note)
        except FeedbackNotSupported as e:
            status, error = FeedbackStatus.UNSUPPORTED, e.message
        except BastionError as e:
            status, error = FeedbackStatus.PENDING, e.message
        except Exception as e:  # a bug: keep the sender alive, keep the row
            log.exception("exchange %s: feedback %d failed", name, row_id)
            status, error = FeedbackStatus.PENDING, f"internal error ({type(e).__name__})"
        now = utcnow()
        with self._db.session() as s:
            row = s.get(ExchangeFeedbackRow, row_id)
            if row is None:
                return 0
            row.attempts += 1
            row.last_error = error[:500] if error else None
            if status is FeedbackStatus.PENDING:
                if row.attempts >= MAX_ATTEMPTS:
                    status = FeedbackStatus.FAILED
                else:
                    wait = min(MAX_BACKOFF, timedelta(minutes=2 ** (row.attempts - 1)))
                    row.next_attempt_at = now + wait
                log.warning("exchange %s: feedback %d not sent: %s", name, row_id, error)
            if status is FeedbackStatus.SENT:
                row.sent_at = now
            row.status = status.value
        return 1 if status is FeedbackStatus.SENT else 0

    def _feedback(self, s: Session, row: ExchangeFeedbackRow) -> Feedback:
        return Feedback(
            id=row.id,
            exchange=s.get_one(ExchangeRow, row.exchange_id).name,
            entry_id=row.entry_id,
            upstream_id=row.upstream_id,
            opinion=Opinion(row.opinion),
            note=row.note,
            given_by=row.given_by,
            status=FeedbackStatus(row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
