"""A realistic review desk to benchmark the console against: people, a bank with a review
rule, three queues and as many open jobs as asked for, the way the desk makes them.

The jobs (`plan`) are spread over three queues: `default` (known matches of the bank
`known`, child safety), `reports` (user reports and escalations) and `conversations`
(grooming alerts, child safety); priorities vary; about 95% of the content is posted by
platform users whose numbers of jobs follow a power law (most have one to three, a few have
hundreds: a case gathers each user's open jobs); some media is posted again and again
(byte-identical: bulk decisions); some jobs carry comments; some are claimed by other
reviewers, with a lease still running or run out. Match jobs carry the event a match makes
(`bastion.actions.events.match_event`) against real entries of the bank; conversation jobs
the alert of a synthetic grooming-pattern chat (`bastion.conversations.synthetic`, neutral
text); user reports are reports of posts with no media kept.

Two ways in. `open_with_desk`: `ReviewDesk.submit_in` and `ReviewDesk.open_in` for every
job (then `claim` and `comment`): the desk's own path, a few hundred jobs a second.
`open_in_bulk`: the same rows written straight into the tables in batches, with ids chosen
here, for the many thousands. `check_bulk_rows` proves the second writes what the first
does: it rebuilds, from the plan, the rows the desk wrote and compares every column.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update

from bastion.actions import RuleKind
from bastion.actions.events import match_event
from bastion.auth import Role, Scope
from bastion.banks import NewEntry
from bastion.conversations.assess import assess
from bastion.conversations.store import alert_event
from bastion.conversations.synthetic import families, generate
from bastion.matching import Match
from bastion.pipeline import Bastion
from bastion.review import DEFAULT_LEASE, ContentSubmission, JobKind, NewJob, ReviewDesk
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import (
    CaseRow,
    CommentRow,
    ContentRow,
    JobRow,
    QueueRow,
    SignalRow,
)

PASSWORD = "correct horse battery staple"
#: Who the page timings sign in as, and who the scripted reviewer is.
READER, BROWSER_REVIEWER = "ada", "bea"
#: Other reviewers, who hold some of the jobs.
HOLDERS = [f"user:rev{n:02d}" for n in range(1, 21)]
QUEUES = {  # name: (child safety, SLA minutes, description)
    "default": (True, 24 * 60, "Known matches of the banks' review rules"),
    "reports": (False, 48 * 60, "Reports by the platform's users, and escalations"),
    "conversations": (True, 12 * 60, "Grooming-pattern alerts on conversations"),
}
BANK = "known"


@dataclass(frozen=True)
class Planned:
    """One job to open, with the content it is about."""

    n: int
    queue: str
    kind: JobKind
    priority: int
    #: The platform user who posted the content; None for content with no user (and for
    #: conversations, whose alerts name no user).
    user: str | None
    at: datetime
    #: Match jobs: the entry matched, its PDQ hash, the query's, and the distance.
    entry: tuple[int, str] | None
    query_pdq: str | None
    distance: int | None
    media_sha256: str | None
    #: (who, when, lease) of a claim.
    claim: tuple[str, datetime, timedelta] | None
    comments: tuple[tuple[str, str, datetime], ...]


@dataclass(frozen=True)
class Desk:
    """What `prepare` made: the ids the jobs refer to."""

    match_rule: int
    conversation_rule: int
    entries: list[tuple[int, str]]
    alerts: list[dict[str, Any]]


def prepare(bastion: Bastion, bank_entries: int) -> Desk:
    """People (the admin's API key too, so `bastion serve` makes none), the bank with its
    review rule, the conversations' review rule and the queues."""
    bastion.keys.create("bench admin", [Scope.ADMIN], actor="bench")
    bastion.users.create("admin", Role.ADMIN, password=PASSWORD, actor="bench")
    for name in (READER, BROWSER_REVIEWER):
        bastion.users.create(name, Role.CHILD_SAFETY_REVIEWER, password=PASSWORD, actor="bench")
    bastion.store.create_bank(BANK, actor="bench")
    rng = random.Random(1)
    with bastion.store.bulk_writer(BANK, source="import", added_by="bench") as writer:
        for _ in range(bank_entries):
            writer.add(NewEntry(signals=(Signal("pdq", f"{rng.getrandbits(256):064x}"),)))
    match_rule = bastion.actions.add_review(BANK, actor="bench").id
    conversation_rule = bastion.actions.add_conversation_rule(RuleKind.REVIEW, actor="bench").id
    for name, (child_safety, sla, description) in QUEUES.items():
        if name == "default":
            bastion.review.desk.queue(name)  # made on first use, as in a real desk
        else:
            bastion.review.desk.create_queue(
                name, child_safety=child_safety, sla_minutes=sla, description=description
            )
    with bastion.db.session() as s:
        entries = [
            (entry_id, value)
            for entry_id, value in s.execute(
                select(SignalRow.entry_id, SignalRow.value)
                .where(SignalRow.signal_type == "pdq", SignalRow.derived.is_(None))
                .order_by(SignalRow.entry_id)
                .limit(2000)
            )
        ]
    return Desk(match_rule, conversation_rule, entries, _alerts())


def _alerts() -> list[dict[str, Any]]:
    """The alerts of synthetic grooming-pattern chats that the default model flags."""
    found = []
    for family in families()[:12]:
        for example in generate(family, 9, seed=5):
            if example.grooming:
                assessment = assess(example.conversation)
                if assessment.level == "high":
                    found.append(alert_event("template", assessment, datetime.now(UTC)))
    if not found:
        raise RuntimeError("no synthetic chat alerted: the conversation model changed?")
    return found


def plan(count: int, users: int, desk: Desk, *, now: datetime, seed: int = 3) -> list[Planned]:
    """`count` jobs that arrived over the three days before `now`, oldest first."""
    rng = random.Random(seed)
    # A power law over the users: weight 1/rank^0.6 gives the busiest a few hundred jobs
    # among 100,000 and most users one to three.
    weights = [1 / (rank**0.6) for rank in range(1, users + 1)]
    user_of = rng.choices(range(users), weights=weights, k=count)
    popular = [hashlib.sha256(f"popular-{i}".encode()).hexdigest() for i in range(300)]
    jobs = []
    for n in range(count):
        at = now - timedelta(seconds=rng.uniform(60, 3 * 86400))
        roll = rng.random()
        queue, kind = (
            ("default", JobKind.MATCH)
            if roll < 0.6
            else ("conversations", JobKind.CONVERSATION)
            if roll < 0.75
            else ("reports", JobKind.ESCALATION if rng.random() < 0.1 else JobKind.USER_REPORT)
        )
        user = None if kind is JobKind.CONVERSATION or rng.random() < 0.05 else f"u{user_of[n]}"
        entry = query = distance = media = None
        if kind is JobKind.MATCH:
            entry = rng.choice(desk.entries)
            distance = rng.choice((0, 0, 0, 2, 6, 10, 14, 20, 28))
            bits = int(entry[1], 16)
            for bit in rng.sample(range(256), distance):
                bits ^= 1 << bit
            query = f"{bits:064x}"
            media = (
                rng.choice(popular)
                if rng.random() < 0.1
                else hashlib.sha256(f"media-{n}".encode()).hexdigest()
            )
        priority = (
            70
            if kind is JobKind.CONVERSATION and rng.random() < 0.8
            else rng.choice((10, 30, 50, 50, 50, 50, 70, 90))
        )
        claim = None
        if rng.random() < 0.03:  # held by another reviewer: two thirds still, one third ran out
            live = rng.random() < 2 / 3
            claim = (
                rng.choice(HOLDERS),
                now - timedelta(minutes=rng.uniform(0, 5) if live else rng.uniform(30, 600)),
                timedelta(hours=3) if live else DEFAULT_LEASE,
            )
        comments = tuple(
            (rng.choice(HOLDERS), f"Seen before: similar post {rng.randrange(10**6)}.",
             min(now, at + timedelta(minutes=rng.uniform(1, 50))))
            for _ in range(rng.choice((1, 1, 2, 3)) if rng.random() < 0.05 else 0)
        )  # fmt: skip
        jobs.append(
            Planned(n, queue, kind, priority, user, at, entry, query, distance, media, claim,
                    comments)
        )  # fmt: skip
    jobs.sort(key=lambda j: j.at)  # they arrive in time order, as ids grow
    return jobs


# What the desk is told: the submission, the job ------------------------------------------


def submission(job: Planned) -> ContentSubmission | None:
    """What the platform submits about the job's content (none for a conversation)."""
    if job.kind is JobKind.CONVERSATION:
        return None
    posted = job.at - timedelta(minutes=7)
    if job.kind is JobKind.MATCH:
        assert job.query_pdq is not None
        assert job.media_sha256 is not None
        md5 = hashlib.md5(job.media_sha256.encode()).hexdigest()
        return ContentSubmission(
            platform_id=f"post-{job.n}", user_id=job.user, surface="feed",
            url=f"https://platform.example/p/{job.n}", posted_at=posted, name="photo.jpg",
            media_type="image/jpeg",
            signals=(Signal("pdq", job.query_pdq), Signal("md5", md5),
                     Signal("sha256", job.media_sha256)),
            media_sha256=job.media_sha256, context={"app": "ios"},
        )  # fmt: skip
    return ContentSubmission(
        platform_id=f"post-{job.n}", user_id=job.user, surface="profile",
        url=f"https://platform.example/u/{job.user or 'anon'}/{job.n}", posted_at=posted,
        context={"reported_by": f"r{job.n % 977}"},
    )  # fmt: skip


def content_info(content_id: int, sent: ContentSubmission) -> dict[str, Any]:
    """The content as the pipeline describes it in events (`bastion.pipeline.review`)."""
    return {
        "id": content_id,
        "content_id": sent.platform_id,
        "user_id": sent.user_id,
        "surface": sent.surface,
        "url": sent.url,
        "posted_at": None if sent.posted_at is None else sent.posted_at.isoformat(),
        "signals": {s.type: s.value for s in sent.signals if len(s.value) <= 128},
    }


def new_job(job: Planned, desk: Desk, content_id: int | None) -> NewJob:
    """The job the pipeline asks the desk to open."""
    event_id = str(uuid.UUID(int=random.Random(job.n).getrandbits(128), version=4))
    sent = submission(job)
    if job.kind is JobKind.MATCH:
        assert job.entry is not None
        assert job.query_pdq is not None
        assert sent is not None
        assert content_id is not None
        assert job.distance is not None
        match = Match(BANK, job.entry[0], "pdq", job.entry[1], job.query_pdq, job.distance, 100)
        event = match_event(
            match, content_info(content_id, sent), occurred_at=job.at, event_id=event_id
        )
        return NewJob(
            kind=job.kind, evidence=event, queue=job.queue, priority=job.priority,
            content_id=content_id, rule_id=desk.match_rule, bank=BANK, entry_id=job.entry[0],
            signal_type="pdq", distance=job.distance, media_sha256=job.media_sha256,
        )  # fmt: skip
    if job.kind is JobKind.CONVERSATION:
        key = f"chat-{job.n}"
        alert = {**desk.alerts[job.n % len(desk.alerts)], "conversation": key,
                 "event_id": event_id, "occurred_at": job.at.isoformat()}  # fmt: skip
        return NewJob(
            kind=job.kind, evidence=alert, queue=job.queue, priority=job.priority,
            rule_id=desk.conversation_rule, conversation=key,
        )  # fmt: skip
    assert sent is not None
    assert content_id is not None
    report = {"reason": "spam" if job.n % 3 else "impersonation", "reporter": f"r{job.n % 977}"}
    return NewJob(
        kind=job.kind,
        evidence={"report": report, "content": content_info(content_id, sent)},
        queue=job.queue,
        priority=job.priority,
        content_id=content_id,
    )


# The desk's own path ---------------------------------------------------------------------


class _Clock:
    """The desk's clock, set to each job's arrival so its rows carry the planned times."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def open_with_desk(db: Database, desk: Desk, jobs: list[Planned]) -> dict[int, tuple[int, int]]:
    """Open `jobs` through the desk (then its claims and comments); returns, by plan number,
    (job id, content id or 0)."""
    clock = _Clock()
    review = ReviewDesk(db, clock=clock)
    made: dict[int, tuple[int, int]] = {}
    for batch in _batches(jobs, 500):
        with db.session() as s:
            for job in batch:
                clock.now = job.at
                sent = submission(job)
                content_id = None if sent is None else review.submit_in(s, sent).id
                row = review.open_in(s, new_job(job, desk, content_id))
                made[job.n] = (row.id, content_id or 0)
    for job in jobs:
        job_id = made[job.n][0]
        for who, body, at in job.comments:
            clock.now = at
            review.comment(job_id, who, body)
        if job.claim is not None:
            who, at, lease = job.claim
            clock.now = at
            review.claim(job_id, who, lease=lease)
    return made


# Straight into the tables ------------------------------------------------------------------


def content_row(content_id: int, job: Planned) -> dict[str, Any] | None:
    """The review_content row `ReviewDesk.submit_in` writes."""
    sent = submission(job)
    if sent is None:
        return None
    return {
        "id": content_id,
        "platform_id": sent.platform_id,
        "user_id": sent.user_id,
        "surface": sent.surface,
        "url": sent.url,
        "posted_at": sent.posted_at,
        "name": sent.name,
        "media_type": sent.media_type,
        "signals": [{"type": x.type, "value": x.value} for x in sent.signals],
        "media_sha256": sent.media_sha256,
        "evidence_id": sent.evidence_id,
        "context": dict(sent.context or {}),
        "created_at": job.at,
    }


def job_row(
    job_id: int, case_id: int, queue: tuple[int, int], job: Planned, desk: Desk, content: int | None
) -> dict[str, Any]:
    """The review_jobs row `ReviewDesk.open_in` writes (then `claim`)."""
    opened = new_job(job, desk, content)
    queue_id, sla = queue
    return {
        "id": job_id, "case_id": case_id, "queue_id": queue_id, "content_id": opened.content_id,
        "rule_id": opened.rule_id, "kind": opened.kind.value, "priority": opened.priority,
        "urgency": 100 - opened.priority, "status": "open", "bank": opened.bank,
        "entry_id": opened.entry_id, "signal_type": opened.signal_type,
        "distance": opened.distance, "conversation": opened.conversation,
        "media_sha256": opened.media_sha256, "evidence": opened.evidence, "created_at": job.at,
        "due_at": job.at + timedelta(minutes=sla),
        "claimed_by": None if job.claim is None else job.claim[0],
        "claimed_until": None if job.claim is None else job.claim[1] + job.claim[2],
        "decision": None, "classification": None, "decided_by": None, "decided_at": None,
        "note": "",
    }  # fmt: skip


def open_in_bulk(
    db: Database, desk: Desk, jobs: list[Planned], *, batch: int = 5000, progress: bool = True
) -> None:
    """Write `jobs` straight into the tables, as `open_with_desk` would have (one
    transaction per batch, ids taken after the largest)."""
    queues = _queues(db)
    with db.session() as s:
        next_content = (s.scalar(select(func.max(ContentRow.id))) or 0) + 1
        next_case = (s.scalar(select(func.max(CaseRow.id))) or 0) + 1
        next_job = (s.scalar(select(func.max(JobRow.id))) or 0) + 1
        next_comment = (s.scalar(select(func.max(CommentRow.id))) or 0) + 1
        cases = {
            subject: (case_id, updated)
            for subject, case_id, updated in s.execute(
                select(CaseRow.subject, CaseRow.id, CaseRow.updated_at).where(
                    CaseRow.status == "open", CaseRow.subject.like("user:%")
                )
            )
        }
    started = time.perf_counter()
    done = 0
    for chunk in _batches(sorted(jobs, key=lambda j: j.at), batch):
        contents: list[dict[str, Any]] = []
        new_cases: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        touched: dict[str, tuple[int, datetime]] = {}
        for job in chunk:
            content_id = None
            content = content_row(next_content, job)
            if content is not None:
                contents.append(content)
                content_id, next_content = next_content, next_content + 1
            if job.user is not None and f"user:{job.user}" in cases:
                subject = f"user:{job.user}"
                case_id = cases[subject][0]
                cases[subject] = touched[subject] = (case_id, job.at)
            else:
                case_id, next_case = next_case, next_case + 1
                subject = (
                    f"user:{job.user}"
                    if job.user is not None
                    else f"content:{content_id}"
                    if content_id
                    else f"job:{next_job}"
                )
                new_cases.append(
                    {"id": case_id, "subject": subject, "status": "open", "opened_at": job.at,
                     "updated_at": job.at, "closed_at": None}
                )  # fmt: skip
                if job.user is not None:
                    cases[subject] = (case_id, job.at)
            queue_id, sla = queues[job.queue]
            rows.append(job_row(next_job, case_id, (queue_id, sla), job, desk, content_id))
            for who, body, at in job.comments:
                comments.append({"id": next_comment, "job_id": next_job, "author": who,
                                 "body": body, "at": at})  # fmt: skip
                next_comment += 1
            next_job += 1
        for case in new_cases:  # its later jobs in this batch moved it on
            later = touched.pop(case["subject"], None)
            if later is not None:
                case["updated_at"] = later[1]
        with db.session() as s:
            if contents:
                s.execute(insert(ContentRow), contents)
            if new_cases:
                s.execute(insert(CaseRow), new_cases)
            s.execute(insert(JobRow), rows)
            if comments:
                s.execute(insert(CommentRow), comments)
            if touched:  # by primary key: the ORM's bulk update
                s.execute(
                    update(CaseRow),
                    [{"id": case_id, "updated_at": at} for case_id, at in touched.values()],
                )
        done += len(chunk)
        if progress:
            rate = done / (time.perf_counter() - started)
            print(f"\r  {done:,} of {len(jobs):,} jobs written ({rate:,.0f}/s)", end="",
                  file=sys.stderr, flush=True)  # fmt: skip
    if progress:
        print(file=sys.stderr)
    if db.dialect == "postgresql":  # ids were chosen here: the sequences move past them
        with db.session() as s:
            for table in ("review_content", "review_cases", "review_jobs", "review_comments"):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )


def check_bulk_rows(
    db: Database, desk: Desk, jobs: list[Planned], made: dict[int, tuple[int, int]]
) -> int:
    """Compare the rows the desk wrote for `jobs` with those `open_in_bulk` would write
    for them; raises on the first column that differs. Returns the rows compared."""
    queues = _queues(db)
    compared = 0
    with db.session() as s:
        for job in jobs:
            job_id, content_id = made[job.n]
            stored = s.get(JobRow, job_id)
            assert stored is not None
            expected = job_row(
                job_id, stored.case_id, queues[job.queue], job, desk, content_id or None
            )
            _same(f"job {job_id}", expected, stored)
            compared += 1
            content = content_row(content_id, job)
            if content is not None:
                _same(f"content {content_id}", content, s.get(ContentRow, content_id))
                compared += 1
            case = s.get(CaseRow, stored.case_id)
            assert case is not None
            subject = (
                f"user:{job.user}"
                if job.user is not None
                else f"content:{content_id}"
                if content_id
                else f"job:{job_id}"
            )
            if case.subject != subject or case.status != "open":
                raise AssertionError(f"case of job {job_id}: {case.subject} {case.status}")
    return compared


def _same(what: str, expected: dict[str, Any], row: Any) -> None:
    for column, value in expected.items():
        if getattr(row, column) != value:
            raise AssertionError(
                f"{what}: {column} is {getattr(row, column)!r} from the desk, {value!r} in bulk"
            )


def _queues(db: Database) -> dict[str, tuple[int, int]]:
    with db.session() as s:
        return {
            name: (queue_id, sla)
            for name, queue_id, sla in s.execute(
                select(QueueRow.name, QueueRow.id, QueueRow.sla_minutes)
            )
        }


def _batches(items: Iterable[Planned], size: int) -> Iterator[list[Planned]]:
    batch: list[Planned] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start
