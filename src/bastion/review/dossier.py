"""`Dossier`: what a reviewer reads about one job before deciding it.

The job with its evidence and comments, where it stands in its case (the case's other jobs:
what else this user was reported or matched for), and the content it is about with the
context the platform sent. Never media: a person sees media only through the evidence
vault, one reveal at a time, and a known match is decided on its evidence alone. Every door
that shows a job (the API, the command line, the console) reads it through here, so they
show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bastion.review.desk import ReviewDesk
from bastion.review.model import Case, Comment, Content, Job


@dataclass(frozen=True)
class Dossier:
    job: Job
    comments: tuple[Comment, ...]
    #: The job's case; its `jobs` are the case's other jobs (this one left out).
    case: Case
    #: The content the job is about, with its context; None for a job about no content (a
    #: conversation's alert, a match on signals looked up alone).
    content: Content | None


def dossier(desk: ReviewDesk, job_id: int) -> Dossier:
    job = desk.get(job_id)
    case = desk.case(job.case_id)
    others = tuple(j for j in case.jobs if j.id != job.id)
    return Dossier(
        job=job,
        comments=tuple(desk.comments(job.id)),
        case=replace(case, jobs=others),
        content=None if job.content_id is None else desk.content(job.content_id),
    )
