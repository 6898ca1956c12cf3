"""`ReviewDesk`: content submitted for review, the jobs it and the detectors open, the cases
that gather a user's jobs, the queues that order them, claims with a lease, and decisions.

A job belongs to one queue and one case. Jobs about the same platform user share an open
case, so a reviewer sees the user's whole picture; content with no user gets a case of its
own. A queue's open jobs are worked most urgent first, then oldest first (`next_job`), and a
claim is a lease: a compare-and-set on the job's row, so two reviewers (two processes, two
databases sessions) never hold one job, and a job whose holder walked away returns to the
queue when the lease ends. A decision is taken once; what it does (banks, exceptions,
webhooks, feedback upstream) runs in the same transaction through `then`
(`bastion.pipeline` composes it).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.review.assessment import Assessor, findings_of
from bastion.review.model import (
    Case,
    Classification,
    Comment,
    Content,
    Decision,
    Job,
    JobKind,
    JobStatus,
    Queue,
    QueueCount,
)
from bastion.signals import Signal
from bastion.store.database import Database
from bastion.store.models import CaseRow, CommentRow, ContentRow, JobRow, QueueRow, utcnow
from bastion.triage.findings import Finding
from bastion.triage.policy import Assessment, Policy
from bastion.validation import checked_int, checked_object, checked_text

#: The queue jobs go to when nothing names one (created on first use).
DEFAULT_QUEUE = "default"
#: How long a claim lasts unless renewed.
DEFAULT_LEASE = timedelta(minutes=10)
MAX_PAGE = 1000


@dataclass(frozen=True)
class ContentSubmission:
    """What the platform tells about content it submits."""

    platform_id: str | None = None
    user_id: str | None = None
    surface: str | None = None
    url: str | None = None
    posted_at: datetime | None = None
    name: str | None = None
    media_type: str | None = None
    signals: tuple[Signal, ...] = ()
    media_sha256: str | None = None
    evidence_id: str | None = None
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewJob:
    """A job to open: its kind and queue, what it is about, and its evidence."""

    kind: JobKind
    evidence: dict[str, Any]
    queue: str = DEFAULT_QUEUE
    #: The priority the platform chose (0-100), kept whatever the triage policy says; None:
    #: the policy's level sets it.
    priority: int | None = None
    content_id: int | None = None
    #: Gathers it with the same user's jobs (when `content_id` names no user).
    user_id: str | None = None
    rule_id: int | None = None
    bank: str | None = None
    entry_id: int | None = None
    signal_type: str | None = None
    distance: int | None = None
    conversation: str | None = None
    media_sha256: str | None = None
    #: What the opener knows beyond the job itself (a classifier's label, an outside
    #: matcher's answer), for the triage policy.
    findings: tuple[Finding, ...] = ()


#: Called in the deciding transaction with the decided job (its effects).
DecisionHook = Callable[[Session, Job], None]


class ReviewDesk:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        policy: Policy | None = None,
    ) -> None:
        self.db = db
        self._clock = clock
        #: Sets each job's level (`bastion.review.assessment`).
        self.assessor = Assessor(policy or Policy.default())

    # Content -------------------------------------------------------------------------------

    def submit(self, content: ContentSubmission) -> Content:
        with self.db.session() as s:
            row = self.submit_in(s, content)
            return _content(row)

    def submit_in(self, s: Session, content: ContentSubmission) -> ContentRow:
        row = ContentRow(
            platform_id=_optional_text(content.platform_id, "content_id", 255),
            user_id=_optional_text(content.user_id, "user_id", 255),
            surface=_optional_text(content.surface, "surface", 64),
            url=_optional_text(content.url, "url", 4096),
            posted_at=content.posted_at,
            name=_optional_text(content.name, "name", 255),
            media_type=_optional_text(content.media_type, "media_type", 100),
            signals=[{"type": x.type, "value": x.value} for x in content.signals],
            media_sha256=content.media_sha256,
            evidence_id=content.evidence_id,
            context=checked_object(content.context or {}, "context"),
            created_at=self._clock(),
        )
        s.add(row)
        s.flush()
        return row

    def keep_media(self, content_id: int, evidence_id: str) -> Content:
        """Record that the content's media is now kept in the vault as `evidence_id`."""
        with self.db.session() as s:
            row = s.get(ContentRow, content_id)
            if row is None:
                raise NotFoundError(f"no content with id {content_id}")
            row.evidence_id = evidence_id
            return _content(row)

    def content(self, content_id: int) -> Content:
        with self.db.session() as s:
            row = s.get(ContentRow, content_id)
            if row is None:
                raise NotFoundError(f"no content with id {content_id}")
            return _content(row)

    # Queues --------------------------------------------------------------------------------

    def create_queue(
        self,
        name: str,
        *,
        description: str = "",
        child_safety: bool = True,
        sla_minutes: int = 24 * 60,
        reviewers: Iterable[str] | None = None,
    ) -> Queue:
        name = _queue_name(name)
        checked_int(sla_minutes, "sla_minutes", low=1, high=365 * 24 * 60)
        with self.db.session() as s:
            if s.scalar(select(QueueRow.id).where(QueueRow.name == name)) is not None:
                raise ConflictError(f"queue {name!r} already exists")
            row = QueueRow(
                name=name,
                description=checked_text(description, "description", max_length=2000),
                child_safety=child_safety,
                sla_minutes=sla_minutes,
                reviewers=_reviewers(reviewers),
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return _queue(row)

    def set_reviewers(self, name: str, reviewers: Iterable[str] | None) -> Queue:
        with self.db.session() as s:
            row = _queue_row(s, name)
            row.reviewers = _reviewers(reviewers)
            return _queue(row)

    def queues(self) -> builtins.list[Queue]:
        with self.db.session() as s:
            self._default_queue(s)
            return [_queue(r) for r in s.scalars(select(QueueRow).order_by(QueueRow.name))]

    def queue(self, name: str) -> Queue:
        with self.db.session() as s:
            if name == DEFAULT_QUEUE:
                return _queue(self._default_queue(s))
            return _queue(_queue_row(s, name))

    def counts(self) -> builtins.list[QueueCount]:
        """Every queue with its open, overdue and claimed jobs.

        Counted one queue at a time: each count is then a range of an index that starts
        with (queue_id, status) and, given one that holds due_at and claimed_until as
        well, reads that index alone. As one query grouped by queue, SQLite's planner reads
        every open job's row (100 ms at 100,000 open jobs); see docs/benchmarks.md, "Review
        console", for the index."""
        now = self._clock()
        with self.db.session() as s:
            self._default_queue(s)
            found = []
            for queue in s.scalars(select(QueueRow).order_by(QueueRow.name)).all():
                n, late, held = s.execute(
                    select(
                        func.count(),
                        func.count().filter(JobRow.due_at < now),
                        func.count().filter(JobRow.claimed_until > now),
                    ).where(JobRow.queue_id == queue.id, JobRow.status == JobStatus.OPEN.value)
                ).one()
                found.append(QueueCount(_queue(queue), n, late, held))
            return found

    def ensure_queue(
        self, name: str, *, description: str, child_safety: bool, sla_minutes: int
    ) -> Queue:
        """The queue `name`, made with these settings when it does not exist."""
        with self.db.session() as s:
            return _queue(
                self.ensure_queue_in(
                    s, name, description=description, child_safety=child_safety,
                    sla_minutes=sla_minutes,
                )
            )  # fmt: skip

    def ensure_queue_in(
        self,
        s: Session,
        name: str,
        *,
        description: str,
        child_safety: bool,
        sla_minutes: int,
    ) -> QueueRow:
        """The queue `name`, made with these settings in the caller's transaction when it
        does not exist (a queue a use case needs, such as escalations)."""
        row = s.scalar(select(QueueRow).where(QueueRow.name == name))
        if row is None:
            row = QueueRow(
                name=_queue_name(name),
                description=description,
                child_safety=child_safety,
                sla_minutes=sla_minutes,
                reviewers=None,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
        return row

    def _default_queue(self, s: Session) -> QueueRow:
        row = s.scalar(select(QueueRow).where(QueueRow.name == DEFAULT_QUEUE))
        if row is None:
            row = QueueRow(
                name=DEFAULT_QUEUE,
                description="Matches, alerts and reports no rule sends elsewhere",
                child_safety=True,
                sla_minutes=24 * 60,
                reviewers=None,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
        return row

    # Jobs ----------------------------------------------------------------------------------

    def open_job(self, job: NewJob) -> Job:
        with self.db.session() as s:
            return _job(self.open_in(s, job), job.queue)

    def open_in(self, s: Session, job: NewJob) -> JobRow:
        """Open `job` in the caller's transaction `s`: in its queue, in the open case of its
        user (or a new case)."""
        if job.priority is not None:
            checked_int(job.priority, "priority", low=0, high=100)
        queue = self._default_queue(s) if job.queue == DEFAULT_QUEUE else _queue_row(s, job.queue)
        now = self._clock()
        user_id = job.user_id
        if user_id is None and job.content_id is not None:
            user_id = s.scalar(select(ContentRow.user_id).where(ContentRow.id == job.content_id))
        case = self._case_for(s, user_id, now)
        row = JobRow(
            case_id=case.id,
            queue_id=queue.id,
            content_id=job.content_id,
            rule_id=job.rule_id,
            kind=job.kind.value,
            status=JobStatus.OPEN.value,
            bank=job.bank,
            entry_id=job.entry_id,
            signal_type=job.signal_type,
            distance=job.distance,
            conversation=job.conversation,
            media_sha256=job.media_sha256,
            evidence=job.evidence,
            created_at=now,
            due_at=now + timedelta(minutes=queue.sla_minutes),
            note="",
        )
        s.add(row)
        s.flush()
        if case.subject.startswith("pending:"):  # a case of its own, named by its job
            case.subject = f"content:{job.content_id}" if job.content_id else f"job:{row.id}"
        self.assessor.assess_in(s, row, job.findings, fixed=job.priority)
        s.flush()
        return row

    def _case_for(self, s: Session, user_id: str | None, now: datetime) -> CaseRow:
        if user_id is not None:
            subject = f"user:{user_id}"
            found = s.scalar(
                select(CaseRow)
                .where(CaseRow.subject == subject, CaseRow.status == "open")
                .order_by(CaseRow.id)
                .limit(1)
            )
            if found is not None:
                found.updated_at = now
                return found
        else:
            subject = "pending:"
        case = CaseRow(subject=subject, status="open", opened_at=now, updated_at=now)
        s.add(case)
        s.flush()
        return case

    def get(self, job_id: int) -> Job:
        with self.db.session() as s:
            return self._get(s, job_id)

    def _get(self, s: Session, job_id: int) -> Job:
        found = s.execute(
            select(JobRow, QueueRow.name)
            .join(QueueRow, QueueRow.id == JobRow.queue_id)
            .where(JobRow.id == job_id)
        ).first()
        if found is None:
            raise NotFoundError(f"no review job with id {job_id}")
        return _job(*found)

    def jobs(
        self,
        *,
        queue: str | None = None,
        status: JobStatus | None = JobStatus.OPEN,
        kind: JobKind | None = None,
        case_id: int | None = None,
        content_id: int | None = None,
        bank: str | None = None,
        limit: int = 50,
        after: int | None = None,
    ) -> builtins.list[Job]:
        """Jobs in work order (most urgent, then oldest; decided ones newest first), a page of
        `limit` after the job `after` (a cursor: the last id of the previous page)."""
        checked_int(limit, "limit", low=1, high=MAX_PAGE)
        query = select(JobRow, QueueRow.name).join(QueueRow, QueueRow.id == JobRow.queue_id)
        with self.db.session() as s:
            if queue is not None:
                query = query.where(JobRow.queue_id == _queue_row(s, queue).id)
            if status is not None:
                query = query.where(JobRow.status == status.value)
            if kind is not None:
                query = query.where(JobRow.kind == kind.value)
            if case_id is not None:
                query = query.where(JobRow.case_id == case_id)
            if content_id is not None:
                query = query.where(JobRow.content_id == content_id)
            if bank is not None:
                query = query.where(JobRow.bank == bank)
            if status is JobStatus.OPEN:
                if after is not None:
                    mark = s.get(JobRow, after)
                    if mark is not None:  # a row value: a range of the queue's index
                        query = query.where(
                            tuple_(JobRow.urgency, JobRow.id) > tuple_(mark.urgency, mark.id)
                        )
                query = query.order_by(JobRow.urgency, JobRow.id)
            else:
                if after is not None:
                    query = query.where(JobRow.id < after)
                query = query.order_by(JobRow.id.desc())
            return [_job(row, name) for row, name in s.execute(query.limit(limit))]

    def case(self, case_id: int) -> Case:
        with self.db.session() as s:
            row = s.get(CaseRow, case_id)
            if row is None:
                raise NotFoundError(f"no case with id {case_id}")
            jobs = s.execute(
                select(JobRow, QueueRow.name)
                .join(QueueRow, QueueRow.id == JobRow.queue_id)
                .where(JobRow.case_id == case_id)
                .order_by(JobRow.id)
                .limit(MAX_PAGE)
            ).all()
            return _case(row, tuple(_job(j, name) for j, name in jobs))

    def cleared(self, media_sha256: str) -> bool:
        """Whether a person decided a job over this media a false positive."""
        with self.db.session() as s:
            found = s.scalar(
                select(JobRow.id)
                .where(
                    JobRow.media_sha256 == media_sha256,
                    JobRow.decision == Decision.FALSE_POSITIVE.value,
                )
                .limit(1)
            )
            return found is not None

    def identical_open(self, job_id: int) -> builtins.list[Job]:
        """The other open jobs whose media is byte for byte this job's (bulk decisions)."""
        with self.db.session() as s:
            job = self._get(s, job_id)
            if job.media_sha256 is None:
                return []
            rows = s.execute(
                select(JobRow, QueueRow.name)
                .join(QueueRow, QueueRow.id == JobRow.queue_id)
                .where(
                    JobRow.media_sha256 == job.media_sha256,
                    JobRow.status == JobStatus.OPEN.value,
                    JobRow.id != job_id,
                )
                .order_by(JobRow.id)
                .limit(MAX_PAGE)
            ).all()
            return [_job(r, name) for r, name in rows]

    # Claims --------------------------------------------------------------------------------

    def claim(self, job_id: int, who: str, *, lease: timedelta = DEFAULT_LEASE) -> Job:
        """Hold an open job for `lease` (renewing one's own claim); a conflict when another
        holds it or it is decided."""
        who = _who(who)
        now = self._clock()
        with self.db.session() as s:
            taken = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.OPEN.value, _free(who, now))
                .values(claimed_by=who, claimed_until=now + lease)
                .execution_options(synchronize_session=False)
            )
            job = self._get(s, job_id)
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise _not_claimable(job)
            return job

    def next_job(
        self, queue: str, who: str, *, lease: timedelta = DEFAULT_LEASE, skip: int | None = None
    ) -> Job | None:
        """Claim the queue's most urgent, oldest job nobody holds (after `skip`, a job the
        reviewer passed over); None when the queue has none left."""
        who = _who(who)
        with self.db.session() as s:
            queue_id = self._default_queue(s).id if queue == DEFAULT_QUEUE else None
            if queue_id is None:
                queue_id = _queue_row(s, queue).id
        for _attempt in range(20):  # another reviewer may take a candidate first
            now = self._clock()
            with self.db.session() as s:
                # One's own claims: a seek on an index of (queue_id, status, claimed_by,
                # claimed_until), else a pass over the queue (docs/benchmarks.md).
                mine = s.scalar(
                    select(JobRow.id)
                    .where(
                        JobRow.queue_id == queue_id,
                        JobRow.status == JobStatus.OPEN.value,
                        JobRow.claimed_by == who,
                        JobRow.claimed_until > now,
                        JobRow.id != (skip or 0),
                    )
                    .order_by(JobRow.urgency, JobRow.id)
                    .limit(1)
                )
                if mine is not None:  # finish what one holds first
                    return self._get(s, mine)
                candidates = s.scalars(
                    select(JobRow.id)
                    .where(
                        JobRow.queue_id == queue_id,
                        JobRow.status == JobStatus.OPEN.value,
                        _free(who, now),
                        JobRow.id != (skip or 0),
                    )
                    .order_by(JobRow.urgency, JobRow.id)
                    .limit(5)
                ).all()
            if not candidates:
                return None
            for candidate in candidates:
                try:
                    return self.claim(candidate, who, lease=lease)
                except ConflictError:
                    continue
        return None

    def release(self, job_id: int, who: str) -> Job:
        """Give back one's claim."""
        with self.db.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.claimed_by == who)
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            return self._get(s, job_id)

    # Decisions -----------------------------------------------------------------------------

    def decide(
        self,
        job_id: int,
        who: str,
        chosen: Decision,
        *,
        classification: Classification | None = None,
        note: str = "",
        then: DecisionHook | None = None,
    ) -> Job:
        """Decide an open job that nobody else holds. `then` runs in the same transaction with
        the decided job: if it fails, the decision is not taken."""
        who = _who(who)
        checked_text(note, "note", max_length=4000)
        if classification is not None and chosen not in (Decision.CONFIRMED, Decision.REPORTED):
            raise ValidationError("only a confirmed or reported job takes a classification")
        now = self._clock()
        with self.db.session() as s:
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.OPEN.value, _free(who, now))
                .values(
                    status=JobStatus.DECIDED.value,
                    decision=chosen.value,
                    classification=None if classification is None else classification.value,
                    decided_by=who,
                    decided_at=now,
                    note=note,
                    claimed_by=None,
                    claimed_until=None,
                )
                .execution_options(synchronize_session=False)
            )
            job = self._get(s, job_id)
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise _not_claimable(job)
            if then is not None:  # first: it may open jobs in the case (an escalation)
                then(s, job)
            if chosen in (Decision.CONFIRMED, Decision.REPORTED):  # the user's history grew
                self.assessor.reassess_open_in(s, case_id=job.case_id)
            self._close_case_if_done(s, job.case_id, now)
            return job

    def _close_case_if_done(self, s: Session, case_id: int, now: datetime) -> None:
        still_open = s.scalar(
            select(JobRow.id)
            .where(JobRow.case_id == case_id, JobRow.status == JobStatus.OPEN.value)
            .limit(1)
        )
        case = s.get(CaseRow, case_id)
        if case is not None:
            case.updated_at = now
            if still_open is None:
                case.status, case.closed_at = "closed", now

    # Comments ------------------------------------------------------------------------------

    def comment(self, job_id: int, who: str, body: str) -> Comment:
        body = checked_text(body, "comment", max_length=4000).strip()
        if not body:
            raise ValidationError("a comment needs some text")
        with self.db.session() as s:
            self._get(s, job_id)
            row = CommentRow(job_id=job_id, author=_who(who), body=body, at=self._clock())
            s.add(row)
            s.flush()
            return _comment(row)

    def comments(self, job_id: int) -> builtins.list[Comment]:
        with self.db.session() as s:
            rows = s.scalars(
                select(CommentRow).where(CommentRow.job_id == job_id).order_by(CommentRow.id)
            )
            return [_comment(r) for r in rows]


def _free(who: str, now: datetime) -> Any:
    """Nobody else holds the job now."""
    return or_(
        JobRow.claimed_by.is_(None),
        JobRow.claimed_by == who,
        JobRow.claimed_until.is_(None),
        JobRow.claimed_until <= now,
    )


def _not_claimable(job: Job) -> ConflictError:
    if job.status is JobStatus.DECIDED:
        return ConflictError(f"job {job.id} is already decided ({job.decision})")
    return ConflictError(f"job {job.id} is held by {job.claimed_by} until {job.claimed_until}")


def _reviewers(names: Iterable[str] | None) -> list[str] | None:
    """Who may work a queue, as claims name them: a person as ``user:NAME`` (a plain name
    is a person's), an API key as ``key:NAME``."""
    if names is None:
        return None
    named = {
        n if ":" in n else f"user:{n}"
        for n in (checked_text(n, "reviewer", max_length=200) for n in names)
    }
    return sorted(named)


def _who(who: str) -> str:
    if not isinstance(who, str) or not who.strip() or len(who) > 200:
        raise ValidationError("reviewer must be 1-200 characters")
    return who


def _optional_text(value: str | None, field: str, max_length: int) -> str | None:
    return None if value is None else checked_text(value, field, max_length=max_length)


def _queue_name(name: str) -> str:
    name = checked_text(name, "queue", max_length=64).strip()
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValidationError(f"invalid queue name {name!r}: letters, digits, '-', '_', '.'")
    return name


def _queue_row(s: Session, name: str) -> QueueRow:
    row = s.scalar(select(QueueRow).where(QueueRow.name == name))
    if row is None:
        raise NotFoundError(f"no queue named {name!r}")
    return row


def _queue(row: QueueRow) -> Queue:
    return Queue(
        id=row.id,
        name=row.name,
        description=row.description,
        child_safety=row.child_safety,
        sla_minutes=row.sla_minutes,
        reviewers=None if row.reviewers is None else tuple(row.reviewers),
    )


def _content(row: ContentRow) -> Content:
    return Content(
        id=row.id,
        platform_id=row.platform_id,
        user_id=row.user_id,
        surface=row.surface,
        url=row.url,
        posted_at=row.posted_at,
        name=row.name,
        media_type=row.media_type,
        signals=tuple(Signal(x["type"], x["value"]) for x in row.signals or ()),
        media_sha256=row.media_sha256,
        evidence_id=row.evidence_id,
        context=dict(row.context or {}),
        created_at=row.created_at,
    )


def _job(row: JobRow, queue: str) -> Job:
    return Job(
        id=row.id,
        case_id=row.case_id,
        queue=queue,
        kind=JobKind(row.kind),
        priority=row.priority,
        status=JobStatus(row.status),
        content_id=row.content_id,
        rule_id=row.rule_id,
        bank=row.bank,
        entry_id=row.entry_id,
        signal_type=row.signal_type,
        distance=row.distance,
        conversation=row.conversation,
        media_sha256=row.media_sha256,
        evidence=dict(row.evidence or {}),
        created_at=row.created_at,
        due_at=row.due_at,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
        decision=None if row.decision is None else Decision(row.decision),
        classification=None if row.classification is None else Classification(row.classification),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        note=row.note,
        triage=None if row.triage is None else Assessment.from_json(row.triage),
        findings=tuple(findings_of(row.triage)),
    )


def _case(row: CaseRow, jobs: tuple[Job, ...]) -> Case:
    return Case(
        id=row.id,
        subject=row.subject,
        status=row.status,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        jobs=jobs,
    )


def _comment(row: CommentRow) -> Comment:
    return Comment(id=row.id, job_id=row.job_id, author=row.author, body=row.body, at=row.at)
