"""JSON shapes of the review routes (`bastion.web.routes.review`): content submitted for
review, queues, jobs, cases and decisions. None of them carries media: a job is shown by its
evidence (the match event, the report) and its content by its hashes and context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from bastion.pipeline.review import Decided, Submitted
from bastion.review import (
    Case,
    Classification,
    Comment,
    Content,
    Decision,
    Dossier,
    Job,
    Queue,
    QueueCount,
)
from bastion.triage.findings import Finding
from bastion.triage.policy import Assessment
from bastion.web.schemas import MatchModel, SignalModel

#: What a queue's name may hold (`ReviewDesk.create_queue` checks it too).
QUEUE_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
#: Who works a queue: a person's user name, or an API key as key:<its name>.
ReviewerName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
#: The longest claim: past it, a reviewer who walked away holds a job too long.
MAX_LEASE_SECONDS = 3600


class ContentModel(BaseModel):
    """Content submitted for review: what the platform said of it, and its hashes."""

    id: int = Field(description="bastion's id of the submission.")
    content_id: str | None = Field(description="The platform's id of the content.")
    user_id: str | None = Field(description="The platform's id of the user who posted it.")
    surface: str | None = Field(examples=["chat", "profile_photo"])
    url: str | None
    posted_at: datetime | None
    media_type: str | None = Field(examples=["image/jpeg"])
    signals: list[SignalModel]
    media_sha256: str | None
    media_kept: bool = Field(
        description="Whether the evidence vault keeps the media (matches, reports and "
        "escalations: for a reviewer to see and a report to send); it is never served here."
    )
    context: dict[str, Any] = Field(description="What the platform sent with it.")
    created_at: datetime

    @classmethod
    def of(cls, content: Content) -> ContentModel:
        return cls(
            id=content.id,
            content_id=content.platform_id,
            user_id=content.user_id,
            surface=content.surface,
            url=content.url,
            posted_at=content.posted_at,
            media_type=content.media_type,
            signals=[SignalModel.of(s) for s in content.signals],
            media_sha256=content.media_sha256,
            media_kept=content.evidence_id is not None,
            context=content.context,
            created_at=content.created_at,
        )


class FindingModel(BaseModel):
    """One thing known about the content or its user."""

    kind: str = Field(examples=["bank_match", "classifier", "outside_match", "near_miss"])
    source: str = Field(description="The bank, classifier or service; empty where none.")
    label: str
    score: float = Field(
        description="A classifier's score (0-1), a distance (matches, near misses) or a count."
    )
    detail: dict[str, Any]

    @classmethod
    def of(cls, finding: Finding) -> FindingModel:
        return cls(**finding.to_json())


class ReasonModel(BaseModel):
    rule: str = Field(description="The policy's rule, as the settings write it.")
    effect: str = Field(examples=["sets high", "raises 1"])
    set_level: bool = Field(description="Whether it set the job's level.")
    finding: FindingModel


class TriageModel(BaseModel):
    """The triage policy's assessment of a job."""

    level: str = Field(
        description="The policy's level (the job's own differs when the platform chose its "
        "priority)."
    )
    summary: str = Field(description="The rules that set it, in one line.")
    reasons: list[ReasonModel]
    findings: list[FindingModel] = Field(description="Everything the policy weighed.")

    @classmethod
    def of(cls, assessment: Assessment, findings: Sequence[Finding]) -> TriageModel:
        return cls(
            level=assessment.level.label,
            summary=assessment.summary(),
            reasons=[
                ReasonModel(
                    rule=r.rule, effect=r.effect, set_level=r.set_level,
                    finding=FindingModel.of(r.finding),
                )
                for r in assessment.reasons
            ],
            findings=[FindingModel.of(f) for f in findings],
        )  # fmt: skip


class JobModel(BaseModel):
    id: int
    case_id: int
    queue: str
    kind: str = Field(examples=["match", "conversation", "user_report", "escalation", "triage"])
    priority: int = Field(ge=0, le=100, description="Higher first.")
    level: str = Field(
        description="The review level its priority falls in (very_low..very_high).",
        examples=["high"],
    )
    triage: TriageModel | None = Field(
        description="Why it has its level: the triage policy's assessment (None for a job "
        "an earlier version opened)."
    )
    status: str = Field(examples=["open", "decided"])
    content_id: int | None = Field(description="The submission it is about (`id` of content).")
    bank: str | None
    entry_id: int | None
    signal_type: str | None
    distance: int | None
    conversation: str | None
    media_sha256: str | None = Field(
        description="Digest of the content's bytes: a bulk decision covers the open jobs "
        "whose media is identical."
    )
    evidence: dict[str, Any] = Field(
        description="What the reviewer reads: the match or alert event, or the report."
    )
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    decision: str | None
    classification: str | None
    decided_by: str | None
    decided_at: datetime | None
    note: str

    @classmethod
    def of(cls, job: Job) -> JobModel:
        return cls(
            id=job.id,
            case_id=job.case_id,
            queue=job.queue,
            kind=job.kind.value,
            priority=job.priority,
            level=job.level.label,
            triage=None if job.triage is None else TriageModel.of(job.triage, job.findings),
            status=job.status.value,
            content_id=job.content_id,
            bank=job.bank,
            entry_id=job.entry_id,
            signal_type=job.signal_type,
            distance=job.distance,
            conversation=job.conversation,
            media_sha256=job.media_sha256,
            evidence=job.evidence,
            created_at=job.created_at,
            due_at=job.due_at,
            claimed_by=job.claimed_by,
            claimed_until=job.claimed_until,
            decision=None if job.decision is None else job.decision.value,
            classification=None if job.classification is None else job.classification.value,
            decided_by=job.decided_by,
            decided_at=job.decided_at,
            note=job.note,
        )


class JobPage(BaseModel):
    jobs: list[JobModel]
    #: Pass as `after` to get the next page; null on the last page.
    next_after: int | None


class CommentModel(BaseModel):
    id: int
    job_id: int
    author: str
    body: str
    at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentModel:
        return cls(
            id=comment.id, job_id=comment.job_id, author=comment.author, body=comment.body,
            at=comment.at,
        )  # fmt: skip


class CaseJobModel(BaseModel):
    """Another job of the same case, in brief."""

    id: int
    kind: str
    status: str
    queue: str
    decision: str | None

    @classmethod
    def of(cls, job: Job) -> CaseJobModel:
        return cls(
            id=job.id,
            kind=job.kind.value,
            status=job.status.value,
            queue=job.queue,
            decision=None if job.decision is None else job.decision.value,
        )


class CaseBriefModel(BaseModel):
    id: int
    subject: str = Field(
        examples=["user:u-123"], description="user:<platform user id>, content:<id> or job:<id>."
    )
    status: str = Field(examples=["open", "closed"])
    other_jobs: list[CaseJobModel]


class JobDetailModel(JobModel):
    """A job with what a reviewer reads beside it (`bastion.review.Dossier`); never media."""

    comments: list[CommentModel]
    case: CaseBriefModel
    content: ContentModel | None

    @classmethod
    def of_dossier(cls, found: Dossier) -> JobDetailModel:
        return cls(
            **JobModel.of(found.job).model_dump(),
            comments=[CommentModel.of(c) for c in found.comments],
            case=CaseBriefModel(
                id=found.case.id,
                subject=found.case.subject,
                status=found.case.status,
                other_jobs=[CaseJobModel.of(j) for j in found.case.jobs],
            ),
            content=None if found.content is None else ContentModel.of(found.content),
        )


class CaseModel(BaseModel):
    id: int
    subject: str = Field(examples=["user:u-123"])
    status: str = Field(examples=["open", "closed"])
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    jobs: list[JobModel]

    @classmethod
    def of(cls, case: Case) -> CaseModel:
        return cls(
            id=case.id,
            subject=case.subject,
            status=case.status,
            opened_at=case.opened_at,
            updated_at=case.updated_at,
            closed_at=case.closed_at,
            jobs=[JobModel.of(j) for j in case.jobs],
        )


class QueueModel(BaseModel):
    name: str
    description: str
    child_safety: bool
    sla_minutes: int
    reviewers: list[str] | None = Field(
        description="Who may claim and decide its jobs (an API key as key:<name>); null: "
        "anyone allowed to review."
    )

    @classmethod
    def of(cls, queue: Queue) -> QueueModel:
        return cls(
            name=queue.name,
            description=queue.description,
            child_safety=queue.child_safety,
            sla_minutes=queue.sla_minutes,
            reviewers=None if queue.reviewers is None else list(queue.reviewers),
        )


class QueueCountModel(QueueModel):
    open: int
    overdue: int = Field(description="Open jobs past their deadline.")
    claimed: int = Field(description="Open jobs someone holds now.")

    @classmethod
    def of_count(cls, count: QueueCount) -> QueueCountModel:
        return cls(
            **QueueModel.of(count.queue).model_dump(),
            open=count.open,
            overdue=count.overdue,
            claimed=count.claimed,
        )


class QueueCreate(BaseModel):
    name: str = Field(pattern=QUEUE_NAME_PATTERN, examples=["child-safety"])
    description: str = Field(default="", max_length=2000)
    child_safety: bool = True
    sla_minutes: int = Field(default=24 * 60, ge=1, le=365 * 24 * 60)
    reviewers: list[ReviewerName] | None = Field(
        default=None,
        max_length=1000,
        description="Who may claim and decide its jobs (an API key as key:<name>); "
        "leave out for anyone allowed to review.",
    )


class SubmittedModel(BaseModel):
    content: ContentModel
    matches: list[MatchModel]
    jobs: list[JobModel] = Field(
        description="Jobs opened: by review rules on its matches, and for the report."
    )
    queued: int = Field(description="Webhook deliveries and jobs its matches queued.")

    @classmethod
    def of(cls, submitted: Submitted) -> SubmittedModel:
        return cls(
            content=ContentModel.of(submitted.content),
            matches=[MatchModel.of(m) for m in submitted.matches],
            jobs=[JobModel.of(j) for j in submitted.jobs],
            queued=submitted.queued,
        )


class ClaimBody(BaseModel):
    lease_seconds: int = Field(
        default=600,
        ge=1,
        le=MAX_LEASE_SECONDS,
        description="How long the claim lasts unless renewed (claiming again renews it).",
    )


class DecisionBody(BaseModel):
    decision: Decision
    classification: Classification | None = Field(
        default=None, description="For a confirmed or reported job: A1, A2, B1 or B2."
    )
    note: str = Field(default="", max_length=4000)
    add_to_bank: str | None = Field(
        default=None,
        max_length=255,
        description="On a confirmation, add the content's signals to this bank (the key "
        "needs the curate scope too).",
    )
    bulk: bool = Field(
        default=False,
        description="Decide the other open jobs over byte-identical media alike.",
    )


class DecidedModel(BaseModel):
    jobs: list[JobModel]
    entry_id: int | None = Field(description="The entry added with `add_to_bank`.")
    feedback: int = Field(description="Opinions queued for the sources of fetched entries.")
    webhooks: int = Field(description="decision.* webhook deliveries queued.")

    @classmethod
    def of(cls, decided: Decided) -> DecidedModel:
        return cls(
            jobs=[JobModel.of(j) for j in decided.jobs],
            entry_id=decided.entry_id,
            feedback=decided.feedback,
            webhooks=decided.webhooks,
        )


class CommentCreate(BaseModel):
    body: str = Field(min_length=1, max_length=4000)
