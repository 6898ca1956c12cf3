"""What the transparency report reads from the other modules' tables: counts over a period.

These are read-only aggregate queries (counts, and the two timestamps a median needs) over
tables whose owners have no query for them: the review desk's jobs, conversations, entries
fetched from exchanges, feedback sent to exchanges and received from partners, and the
CyberTipline reports. They return counts by name (decision, job kind, exchange, opinion,
incident type), never a row, an id, a user or a piece of content. Collaborations, which
have an owner with a query (`CollabStore.list`), are passed in by the caller.

The reports are read through `FiledReports`, a function the composition root supplies:
`filed_reports` asks the reports store (`ReportStore.finished_between`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from bastion.banks.upstream import EXCHANGE_SOURCE
from bastion.reporting.model import IncidentType
from bastion.reporting.store import ReportStore
from bastion.reporting.tallies import FEDERATION_KIND
from bastion.store import Database
from bastion.store.models import (
    BankRow,
    ConversationRow,
    EntryRow,
    ExchangeFeedbackRow,
    ExchangeRow,
    JobRow,
    PartnerFeedbackRow,
)

#: Ids per `IN (...)` list.
_CHUNK = 500


# The review desk ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCounts:
    #: Jobs opened in the period, by kind (match, conversation, user_report, escalation).
    opened: dict[str, int]
    #: Jobs decided in the period, by (kind, decision).
    decided: dict[tuple[str, str], int]
    #: For each job decided in the period, seconds from its detection (the job's creation)
    #: to its decision.
    seconds_to_decision: list[float]


def review_counts(db: Database, start: datetime, end: datetime) -> ReviewCounts:
    """Jobs opened and decided in [start, end), and how long each decided one took."""
    j = JobRow
    with db.session() as s:
        opened = dict(
            s.execute(
                select(j.kind, func.count())
                .where(j.created_at >= start, j.created_at < end)
                .group_by(j.kind)
            ).all()
        )
        decided_in = (j.decided_at >= start, j.decided_at < end, j.decision.is_not(None))
        decided: dict[tuple[str, str], int] = {
            (kind, decision or ""): n
            for kind, decision, n in s.execute(
                select(j.kind, j.decision, func.count())
                .where(*decided_in)
                .group_by(j.kind, j.decision)
            )
        }
        durations = [
            (decided_at - created_at).total_seconds()
            for created_at, decided_at in s.execute(
                select(j.created_at, j.decided_at).where(*decided_in)
            )
            if decided_at is not None
        ]
    return ReviewCounts(opened, decided, durations)


def detection_times(db: Database, job_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of `job_ids` was opened (its content detected)."""
    ids = sorted(set(job_ids))
    found: dict[int, datetime] = {}
    with db.session() as s:
        for i in range(0, len(ids), _CHUNK):
            rows = s.execute(
                select(JobRow.id, JobRow.created_at).where(JobRow.id.in_(ids[i : i + _CHUNK]))
            )
            found.update(rows.all())
    return found


# Conversations ------------------------------------------------------------------------------


def conversation_alerts(db: Database, start: datetime, end: datetime) -> int:
    """Conversations whose alert fired in [start, end) (each fires once; a conversation the
    platform deleted since is not counted)."""
    c = ConversationRow
    with db.session() as s:
        return s.scalar(select(func.count()).where(c.alerted_at >= start, c.alerted_at < end)) or 0


# Sharing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedCollaboration:
    """A collaboration as the report needs it: its name, banks, and whether entries
    fetched from exchanges are passed on."""

    name: str
    banks: Sequence[str]
    include_fetched: bool


@dataclass(frozen=True)
class SharingCounts:
    #: Entries first fetched in the period (still held), by exchange name.
    received: dict[str, int]
    #: The kind of each exchange in `received` (``federation`` for bastion partners).
    received_kinds: dict[str, str]
    #: Entries added in the period to banks a collaboration publishes, by collaboration.
    published: dict[str, int]
    #: The same entries counted once (a bank published by two collaborations).
    published_total: int
    #: Opinions sent to exchanges in the period, by opinion.
    feedback_sent: dict[str, int]
    #: Opinions partners sent on what this instance publishes, by opinion.
    feedback_received: dict[str, int]


def sharing_counts(
    db: Database,
    start: datetime,
    end: datetime,
    collaborations: Sequence[SharedCollaboration],
) -> SharingCounts:
    e, x = EntryRow, ExchangeRow
    added = (e.added_at >= start, e.added_at < end)
    with db.session() as s:
        received: dict[str, int] = {}
        kinds: dict[str, str] = {}
        for name, kind, n in s.execute(
            select(e.imported_from, func.max(x.kind), func.count())
            .outerjoin(x, e.exchange_id == x.id)
            .where(e.source == EXCHANGE_SOURCE, *added)
            .group_by(e.imported_from)
        ).all():
            label = name or "removed exchange"
            received[label] = received.get(label, 0) + n
            kinds[label] = (
                "exchange" if kind is None else "federation" if kind == FEDERATION_KIND else kind
            )
        by_bank = _entries_added_by_bank(s, added, {b for c in collaborations for b in c.banks})
        published = {
            c.name: sum(by_bank.get(b, (0, 0))[0 if c.include_fetched else 1] for b in c.banks)
            for c in collaborations
        }
        fetched_shared = {b for c in collaborations if c.include_fetched for b in c.banks}
        published_total = sum(
            counts[0 if bank in fetched_shared else 1] for bank, counts in by_bank.items()
        )
        sent = _by_opinion(
            s,
            ExchangeFeedbackRow.opinion,
            ExchangeFeedbackRow.status == "sent",
            ExchangeFeedbackRow.sent_at >= start,
            ExchangeFeedbackRow.sent_at < end,
        )
        partners = _by_opinion(
            s,
            PartnerFeedbackRow.opinion,
            PartnerFeedbackRow.received_at >= start,
            PartnerFeedbackRow.received_at < end,
        )
    return SharingCounts(received, kinds, published, published_total, sent, partners)


def _entries_added_by_bank(
    s: sa.orm.Session, added: tuple[sa.ColumnElement[bool], ...], banks: set[str]
) -> dict[str, tuple[int, int]]:
    """For each of `banks`: entries added in the period, and of those the bank's own (not
    fetched from an exchange)."""
    if not banks:
        return {}
    own = sa.case((EntryRow.source == EXCHANGE_SOURCE, 0), else_=1)
    rows = s.execute(
        select(BankRow.name, func.count(), func.coalesce(func.sum(own), 0))
        .join(EntryRow, EntryRow.bank_id == BankRow.id)
        .where(BankRow.name.in_(sorted(banks)), *added)
        .group_by(BankRow.name)
    )
    return {name: (int(every), int(own_only)) for name, every, own_only in rows}


def _by_opinion(
    s: sa.orm.Session, opinion: sa.orm.InstrumentedAttribute[str], *where: sa.ColumnElement[bool]
) -> dict[str, int]:
    return dict(s.execute(select(opinion, func.count()).where(*where).group_by(opinion)).all())


# Reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiledReport:
    """A report the hotline received whole, as the transparency report counts it."""

    #: The incident type's short name (`IncidentType.short`: ``csam``, ``enticement``...).
    incident: str
    #: When the hotline accepted it (submitted); None if not known.
    reported_at: datetime | None
    #: The jobs whose decisions made it (their creation is when the content was detected).
    job_ids: tuple[int, ...] = ()


#: Reports finished in [start, end); None when this installation has no reports.
FiledReports = Callable[[datetime, datetime], Sequence[FiledReport] | None]


def filed_reports(db: Database, start: datetime, end: datetime) -> list[FiledReport]:
    """Reports finished in [start, end), as the reports store reads them."""
    return [
        FiledReport(_incident(incident), submitted_at, _ids(job_ids))
        for incident, submitted_at, job_ids in ReportStore(db).finished_between(start, end)
    ]


def _incident(incident: object) -> str:
    value = incident.get("type") if isinstance(incident, dict) else None
    try:
        return IncidentType(str(value)).short
    except ValueError:
        return "other"


def _ids(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(i for i in value if isinstance(i, int) and not isinstance(i, bool))
