"""The review desk: content submitted with its context, jobs that people decide, cases that
gather a user's jobs, queues with claims on a lease, and the false-positive exceptions that
decisions leave (`bastion.pipeline` composes what a decision does)."""

from bastion.review.desk import (
    DEFAULT_LEASE,
    DEFAULT_QUEUE,
    ContentSubmission,
    DecisionHook,
    NewJob,
    ReviewDesk,
)
from bastion.review.dossier import Dossier, dossier
from bastion.review.exceptions import ExceptionList
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
    classification,
    decision,
    job_kind,
)

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_QUEUE",
    "Case",
    "Classification",
    "Comment",
    "Content",
    "ContentSubmission",
    "Decision",
    "DecisionHook",
    "Dossier",
    "ExceptionList",
    "Job",
    "JobKind",
    "JobStatus",
    "NewJob",
    "Queue",
    "QueueCount",
    "ReviewDesk",
    "classification",
    "decision",
    "dossier",
    "job_kind",
]
