"""`Review`: the review desk's use cases, composed: content submitted for review, and the
decisions that do things.

Submitting content (`submit`): its media is hashed and checked against the banks like an
upload, its matches act as any match does (review rules open jobs, gathered into its user's
case), and a user report or an escalation opens a job of its own. Media that a person must
see to decide (a report, an escalation: content no bank knows) and media that matched a bank
(a CyberTipline report sends it, and preservation keeps it) are kept sealed in the evidence
vault; a known match is decided on its evidence alone, and shown only when a person chooses.
Kept media that opened no job starts its retention clock at once.

Deciding (`decide`), in the decision's transaction: a false positive on a match adds the
content's signal to the exception list (the same match does not alert again), every decision
queues the signed `decision.*` webhooks, and the audit log records who decided what. Then: a
confirmation can add the content's signals to a chosen bank, an opinion on an entry fetched
from an exchange (NCMEC, StopNCII, a partner) is queued for its source, and the retention
clock of the kept media starts (a report's media is preserved a year at least), and a
`reported` decision opens a report's draft (`bastion.pipeline.reporting`). `bulk` decides the
open jobs over byte-identical media too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from bastion import audit
from bastion.banks.model import Opinion
from bastion.errors import NotFoundError, ValidationError
from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.pipeline.checks import Checked, media_type_of
from bastion.pipeline.triage import TriageItem
from bastion.review import (
    Classification,
    Content,
    ContentSubmission,
    Decision,
    ExceptionList,
    Job,
    JobKind,
    JobStatus,
    NewJob,
    ReviewDesk,
)
from bastion.review.reveals import Reveals
from bastion.review.wellness import WellnessSettings
from bastion.signals import Signal
from bastion.store.models import utcnow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bastion.actions import ActionStore
    from bastion.banks import BankStore
    from bastion.exchange.feedback import FeedbackQueue
    from bastion.pipeline.reporting import Reporting
    from bastion.pipeline.triage import Triage
    from bastion.review import EvidenceVault
    from bastion.store import Database
    from bastion.triage.policy import Policy


class Root(Protocol):
    """What the review use cases use of the composition root (`Bastion` is one): its
    stores, and the hashing, checking, acting and adding that every door shares."""

    @property
    def db(self) -> Database: ...
    @property
    def store(self) -> BankStore: ...
    @property
    def actions(self) -> ActionStore: ...
    @property
    def feedback(self) -> FeedbackQueue: ...
    @property
    def vault(self) -> EvidenceVault: ...
    @property
    def reporting(self) -> Reporting: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def triage(self) -> Triage: ...
    def hash_content(
        self, data: bytes, name: str = ..., *, for_matching: bool = ...
    ) -> HashedContent: ...
    def check_content(
        self, content: HashedContent, *, act: bool = ..., door: str | None = ...
    ) -> Checked: ...
    def act(
        self,
        matches: list[Match],
        content: dict[str, Any],
        *,
        content_id: int | None = ...,
        media_sha256: str | None = ...,
    ) -> int: ...
    def add_to_bank(
        self,
        bank: str,
        content: Sequence[Signal],
        *,
        metadata: dict[str, Any] | None = ...,
        note: str = ...,
        added_by: str | None = ...,
    ) -> int: ...


#: What an opinion upstream says for each decision (the others send none).
_OPINIONS = {
    Decision.CONFIRMED: Opinion.TRUE_POSITIVE,
    Decision.REPORTED: Opinion.TRUE_POSITIVE,
    Decision.FALSE_POSITIVE: Opinion.FALSE_POSITIVE,
}
#: The queue escalated jobs go to (made when first needed).
ESCALATIONS = "escalations"
#: Kinds of job whose media a person must see to decide, so the vault keeps it.
_KEEP_MEDIA = frozenset({JobKind.USER_REPORT, JobKind.ESCALATION})


@dataclass(frozen=True)
class Submitted:
    """What submitting content did."""

    content: Content
    matches: list[Match]
    #: Jobs opened: by review rules on its matches, and for the report or escalation.
    jobs: list[Job]
    #: Webhook deliveries and jobs its matches queued.
    queued: int


@dataclass(frozen=True)
class Decided:
    """A decision and what it did."""

    jobs: list[Job]
    #: The entry the content was added to, when asked.
    entry_id: int | None
    #: Opinions queued for the sources of fetched entries.
    feedback: int
    #: `decision.*` webhook deliveries queued.
    webhooks: int
    #: The report draft a `reported` decision opened (or added the jobs to).
    report_id: int | None = None


class Review:
    def __init__(self, bastion: Root) -> None:
        self._bastion = bastion
        self.desk = ReviewDesk(bastion.db, policy=bastion.policy)
        self.exceptions = ExceptionList(bastion.db)
        self.reveals = Reveals(bastion.db)
        self.wellness = WellnessSettings(bastion.db)

    # Submitting ----------------------------------------------------------------------------

    def submit(
        self,
        context: ContentSubmission,
        data: bytes | None = None,
        *,
        reason: JobKind | None = None,
        report: dict[str, Any] | None = None,
        queue: str = "default",
        priority: int | None = None,
        actor: str = "api",
    ) -> Submitted:
        """Record content with its context; check its media (if sent) against the banks and
        act on its matches; open a `reason` job (a user report, an escalation) with
        `report` as its evidence. `actor`: who submits (the audit log's name for the
        media kept)."""
        if reason is not None and reason not in _KEEP_MEDIA:
            raise ValidationError("a submission opens a user_report or an escalation job")
        if reason is not None:
            self.desk.queue(queue)  # an unknown queue records nothing
        bastion = self._bastion
        hashed = None
        if data is not None:
            hashed = bastion.hash_content(data, context.name or "content", for_matching=True)
        signals = () if hashed is None else hashed.signals
        digest = None if hashed is None else _sha256(hashed)
        matches: list[Match] = []
        if hashed is not None:
            matches = bastion.check_content(hashed, act=False, door="review").matches
        evidence_id = None
        # Media a person must see, and media that matched (a report sends it and preserves
        # it), is kept sealed; the rest is not kept at all.
        if data is not None and hashed is not None and (reason in _KEEP_MEDIA or matches):
            evidence_id = bastion.vault.put(data, media_type_of(hashed), actor=actor).id
        content = self.desk.submit(
            ContentSubmission(
                platform_id=context.platform_id,
                user_id=context.user_id,
                surface=context.surface,
                url=context.url,
                posted_at=context.posted_at,
                name=context.name,
                media_type=None if hashed is None else media_type_of(hashed),
                signals=signals,
                media_sha256=digest,
                evidence_id=evidence_id,
                context=context.context,
            )
        )
        queued = 0
        if data is not None and hashed is not None:
            queued = bastion.act(
                matches, _content_info(content), content_id=content.id, media_sha256=digest
            )
        if reason is not None:
            self.desk.open_job(
                NewJob(
                    kind=reason,
                    evidence={"report": report or {}, "content": _content_info(content)},
                    queue=queue,
                    priority=priority,
                    content_id=content.id,
                    media_sha256=digest,
                )
            )
        if data is not None and hashed is not None:  # after its jobs opened: it may raise them
            bastion.triage.submit(
                TriageItem(data, hashed, content_id=content.id, context=_platform_ids(content))
            )
        jobs = sorted(self.desk.jobs(status=None, content_id=content.id), key=lambda j: j.id)
        if evidence_id is not None and not any(j.status is JobStatus.OPEN for j in jobs):
            bastion.vault.decided(evidence_id)  # nobody will decide it: the clock starts
        return Submitted(content, matches, jobs, queued)

    # Deciding ------------------------------------------------------------------------------

    def decide(
        self,
        job_id: int,
        who: str,
        decision: Decision,
        *,
        classification: Classification | None = None,
        note: str = "",
        add_to_bank: str | None = None,
        bulk: bool = False,
    ) -> Decided:
        """Decide a job (and with `bulk`, the open jobs over the same media) and do what the
        decision does; see the module's docstring."""
        bastion = self._bastion
        first = self.desk.get(job_id)
        content = None if first.content_id is None else self.desk.content(first.content_id)
        if add_to_bank is not None:
            if decision not in (Decision.CONFIRMED, Decision.REPORTED):
                raise ValidationError("only a confirmation adds the content to a bank")
            bastion.store.require_bank(add_to_bank)
            if not _bank_signals(first, content):
                raise ValidationError(f"job {job_id} has no signals of its content to add")
        targets = [first] + (self.desk.identical_open(job_id) if bulk else [])
        webhooks = 0
        decided: list[Job] = []
        for target in targets:
            counted: list[int] = []

            def effects(s: Session, job: Job, counted: list[int] = counted) -> None:
                job_content = content if job.content_id == first.content_id else None
                if job_content is None and job.content_id is not None:
                    job_content = self.desk.content(job.content_id)
                self._in_decision(s, job, job_content, who)
                counted.append(
                    bastion.actions.queue_decision_event(s, decision_event(job, job_content))
                )

            decided.append(
                self.desk.decide(
                    target.id,
                    who,
                    decision,
                    classification=classification,
                    note=note,
                    then=effects,
                )
            )
            webhooks += sum(counted)
        entry_id = None
        if add_to_bank is not None:
            entry_id = bastion.add_to_bank(
                add_to_bank,
                _bank_signals(first, content),
                metadata={"review_job": first.id, "decision": decision.value},
                note=note,
                added_by=who,
            )
        feedback = sum(self._feedback(job, who, note) for job in decided)
        for job in decided:
            self._retention(job, decision)
        report_id = None
        if decision is Decision.REPORTED:
            report_id = bastion.reporting.open_draft([j.id for j in decided], who).id
        return Decided(decided, entry_id, feedback, webhooks, report_id)

    def _in_decision(self, s: Session, job: Job, content: Content | None, who: str) -> None:
        excepting = job.decision is Decision.FALSE_POSITIVE and job.kind is JobKind.MATCH
        if excepting and job.entry_id is not None:
            for signal in _excepted(job, content):
                self.exceptions.add_in(
                    s,
                    bank=job.bank or "",
                    entry_id=job.entry_id,
                    signal_type=signal.type,
                    value=signal.value,
                    job_id=job.id,
                    created_by=who,
                )
        if job.decision is Decision.ESCALATED:
            self._escalate(s, job, who)
        audit.record_in(
            s,
            who,
            f"review.{job.decision}",
            f"job:{job.id}",
            case=job.case_id,
            queue=job.queue,
            classification=None if job.classification is None else job.classification.value,
            content=None if content is None else content.platform_id,
        )

    def _retention(self, job: Job, decision: Decision) -> None:
        """Kept media of a reported job is preserved (a year at least); else its retention
        clock starts once no open job needs it (an escalation still does)."""
        if job.content_id is None:
            return
        kept = self.desk.content(job.content_id).evidence_id
        if kept is None:
            return
        if decision is Decision.REPORTED:
            self._bastion.vault.mark_reported(kept)
        elif not self.desk.jobs(content_id=job.content_id, limit=1):  # none open
            self._bastion.vault.decided(kept)

    def _escalate(self, s: Session, job: Job, who: str) -> None:
        """An escalated job goes on to the `escalations` queue as a job of its own, more
        urgent, with the same evidence and content, for a lead or a child-safety reviewer."""
        source = self.desk.queue(job.queue)
        self.desk.ensure_queue_in(
            s,
            ESCALATIONS,
            description="Jobs a reviewer escalated, for leads and child-safety reviewers",
            child_safety=True,
            sla_minutes=min(source.sla_minutes, 4 * 60),
        )
        self.desk.open_in(
            s,
            NewJob(
                kind=JobKind.ESCALATION,
                evidence={
                    **job.evidence,
                    "escalation": {"from_job": job.id, "by": who, "note": job.note},
                },
                queue=ESCALATIONS,
                findings=job.findings,
                content_id=job.content_id,
                bank=job.bank,
                entry_id=job.entry_id,
                signal_type=job.signal_type,
                distance=job.distance,
                conversation=job.conversation,
                media_sha256=job.media_sha256,
            ),
        )

    def _feedback(self, job: Job, who: str, note: str) -> int:
        """Queue an opinion for the source of the matched entry, when it was fetched."""
        opinion = _OPINIONS.get(job.decision) if job.decision is not None else None
        if opinion is None or job.kind is not JobKind.MATCH or job.entry_id is None:
            return 0
        bastion = self._bastion
        try:
            entry = bastion.store.get_entry(job.entry_id)
        except NotFoundError:  # the entry is gone since; the decision stands
            return 0
        if entry.provenance.upstream_id is None:
            return 0
        bastion.feedback.give(job.entry_id, opinion, note=note[:2000], given_by=who)
        return 1


def decision_event(job: Job, content: Content | None) -> dict[str, Any]:
    """The `decision.*` event a decision webhook receives: what was decided about which
    content and user, never media."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": f"decision.{job.decision}",
        "occurred_at": (job.decided_at or utcnow()).isoformat(),
        "job_id": job.id,
        "case_id": job.case_id,
        "queue": job.queue,
        "kind": job.kind.value,
        "decision": None if job.decision is None else job.decision.value,
        "classification": None if job.classification is None else job.classification.value,
        "decided_by": job.decided_by,
        "bank": job.bank,
        "entry_id": job.entry_id,
        "content": None if content is None else _content_info(content),
    }


def _platform_ids(content: Content) -> dict[str, Any]:
    return {"content_id": content.platform_id, "user_id": content.user_id,
            "media_type": content.media_type, "url": content.url}  # fmt: skip


def _content_info(content: Content) -> dict[str, Any]:
    return {
        "id": content.id,
        "content_id": content.platform_id,
        "user_id": content.user_id,
        "surface": content.surface,
        "url": content.url,
        "posted_at": None if content.posted_at is None else content.posted_at.isoformat(),
        "signals": {s.type: s.value for s in content.signals if len(s.value) <= 128},
    }


def _excepted(job: Job, content: Content | None) -> list[Signal]:
    """What a false positive excepts against the job's entry: the signal that matched, and
    every other signal of its content. One upload matches an entry by several signals at
    once (its PDQ, its MD5, its SHA-256) while the job names only the nearest, so excepting
    that one alone would let the same content match, and alert, by the others."""
    found = [] if content is None else [Signal(s.type, s.value) for s in content.signals]
    value = job.evidence.get("query_value")
    if job.signal_type and isinstance(value, str):
        found.append(Signal(job.signal_type, value))
    return list(dict.fromkeys(found))


def _bank_signals(job: Job, content: Content | None) -> list[Signal]:
    """The content's own signals (a submission's), else the matched query signal."""
    if content is not None and content.signals:
        return [Signal(s.type, s.value) for s in content.signals]
    value = job.evidence.get("query_value")
    if job.signal_type and isinstance(value, str):
        return [Signal(job.signal_type, value)]
    return []


def _sha256(hashed: HashedContent) -> str | None:
    found = hashed.signal("sha256")
    return None if found is None else found.value
