"""The review desk: content submitted with its context, jobs that people decide, cases that
gather a user's jobs, queues with claims on a lease, and the false-positive exceptions that
decisions leave (`bastion.pipeline` composes what a decision does); the evidence vault that
keeps the media under review sealed until its retention ends.

What reviewers see of media before revealing it lives in `bastion.review.rendition`,
imported on its own because it loads PyAV.
"""

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
from bastion.review.objects import FsspecObjects, LocalObjects, ObjectStore, object_store
from bastion.review.vault import (
    Evidence,
    EvidenceIntegrityError,
    EvidenceVault,
    VaultKey,
    VaultOptions,
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
    "Evidence",
    "EvidenceIntegrityError",
    "EvidenceVault",
    "ExceptionList",
    "FsspecObjects",
    "Job",
    "JobKind",
    "JobStatus",
    "LocalObjects",
    "NewJob",
    "ObjectStore",
    "Queue",
    "QueueCount",
    "ReviewDesk",
    "VaultKey",
    "VaultOptions",
    "classification",
    "decision",
    "dossier",
    "job_kind",
    "object_store",
]
