"""The review desk's vocabulary: content, cases, queues, jobs, decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.errors import ValidationError
from bastion.signals import Signal
from bastion.triage.findings import Finding, Level
from bastion.triage.policy import Assessment


class JobKind(StrEnum):
    MATCH = "match"  # content matched a bank
    CONVERSATION = "conversation"  # a conversation's grooming alert
    USER_REPORT = "user_report"  # a user of the platform reported content
    ESCALATION = "escalation"  # the platform (or a person) asked for a review by hand
    TRIAGE = "triage"  # the triage policy ranked content no bank knows high enough


class JobStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class Decision(StrEnum):
    CONFIRMED = "confirmed"  # the content is what the evidence says
    FALSE_POSITIVE = "false_positive"  # it is not: the same match stops alerting
    ESCALATED = "escalated"  # to a lead or a child-safety reviewer
    REPORTED = "reported"  # confirmed, and handed to a CyberTipline report's draft


class Classification(StrEnum):
    """The industry classification of confirmed material (as NCMEC and the Tech Coalition
    share it): the letter is the age group (A prepubescent, B pubescent), the digit what the
    material shows (1 an act, 2 an exhibition)."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


def decision(value: str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        names = ", ".join(d.value for d in Decision)
        raise ValidationError(f"unknown decision {value!r} (one of {names})") from None


def classification(value: str | None) -> Classification | None:
    if value is None or value == "":
        return None
    try:
        return Classification(value.upper())
    except ValueError:
        names = ", ".join(c.value for c in Classification)
        raise ValidationError(f"unknown classification {value!r} (one of {names})") from None


def job_kind(value: str) -> JobKind:
    try:
        return JobKind(value)
    except ValueError:
        names = ", ".join(k.value for k in JobKind)
        raise ValidationError(f"unknown job kind {value!r} (one of {names})") from None


@dataclass(frozen=True)
class Content:
    """Content the platform submitted, with its context."""

    id: int
    platform_id: str | None
    user_id: str | None
    surface: str | None
    url: str | None
    posted_at: datetime | None
    name: str | None
    media_type: str | None
    signals: tuple[Signal, ...]
    media_sha256: str | None
    #: The vault object holding the media, when kept.
    evidence_id: str | None
    context: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Queue:
    id: int
    name: str
    description: str
    child_safety: bool
    sla_minutes: int
    #: Who may work it (``user:NAME``, ``key:NAME``); None: everyone whose role decides.
    reviewers: tuple[str, ...] | None

    def worked_by(self, who: str) -> bool:
        """Whether `who` may claim and decide its jobs: anyone, unless it names its
        reviewers."""
        return self.reviewers is None or who in self.reviewers


@dataclass(frozen=True)
class QueueCount:
    queue: Queue
    open: int
    #: Open jobs past their deadline.
    overdue: int
    #: Open jobs held by someone now.
    claimed: int


@dataclass(frozen=True)
class Job:
    id: int
    case_id: int
    queue: str
    kind: JobKind
    priority: int
    status: JobStatus
    content_id: int | None
    rule_id: int | None
    bank: str | None
    entry_id: int | None
    signal_type: str | None
    distance: int | None
    conversation: str | None
    media_sha256: str | None
    #: What the reviewer reads: the match or alert event, or the report.
    evidence: dict[str, Any]
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    decision: Decision | None
    classification: Classification | None
    decided_by: str | None
    decided_at: datetime | None
    note: str
    #: The triage policy's assessment: the level and the rules that set it (None for a job
    #: of an earlier version, until assessed again).
    triage: Assessment | None = None
    #: The findings that assessment weighed (`bastion.review.assessment`).
    findings: tuple[Finding, ...] = ()

    @property
    def level(self) -> Level:
        """The review level its priority falls in (the policy's, or the platform's choice)."""
        return Level.of_priority(self.priority)

    def held_by_other(self, who: str, now: datetime) -> bool:
        return (
            self.claimed_by is not None
            and self.claimed_by != who
            and self.claimed_until is not None
            and self.claimed_until > now
        )


@dataclass(frozen=True)
class Case:
    id: int
    #: ``user:<platform user id>``, ``content:<id>`` or ``item:<id>``.
    subject: str
    status: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    jobs: tuple[Job, ...] = field(default=())


@dataclass(frozen=True)
class Comment:
    id: int
    job_id: int
    author: str
    body: str
    at: datetime
