"""API v1: the review desk without the console, for teams with tools of their own.

`POST /api/v1/content` (scope `match`, served by the `match` role) submits content with its
context: its media is checked like an upload, its matches act (review rules open jobs in its
user's case), and a user's report or an escalation opens a job of its own. The routes under
`/api/v1/review` (scope `review`, served by the `ui` role) list queues and jobs, claim a job
on a lease, decide it (through `bastion.pipeline.review.Review`, as every door does) and
comment; `admin` creates queues. A key reviews as ``key:<its name>``; a queue that names its
reviewers is worked (claimed, decided, commented on) only by them.

A key limited to some banks can use none of these routes: a job is about any bank's match,
a case gathers all of one user's jobs whichever banks they came from, and a decision can
except a match, queue an opinion to a bank's source or add to a bank, so a bank-limited key
would read and change what its grants keep from it. Submitting content is refused it too:
the content is checked against every bank and its matches act in all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Query, Response, UploadFile
from fastapi import Path as PathParam

from bastion.auth import ApiKey, PermissionDeniedError, Scope
from bastion.errors import ValidationError
from bastion.review import (
    DEFAULT_QUEUE,
    ContentSubmission,
    JobKind,
    JobStatus,
    dossier,
)
from bastion.validation import checked_text, parse_json
from bastion.web.inputs import api_router
from bastion.web.review_schemas import (
    CaseModel,
    ClaimBody,
    CommentCreate,
    CommentModel,
    DecidedModel,
    DecisionBody,
    JobDetailModel,
    JobModel,
    JobPage,
    QueueCountModel,
    QueueCreate,
    QueueModel,
    SubmittedModel,
)
from bastion.web.routes.uploads import read_upload
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services

submitting = api_router(prefix="/api/v1", tags=["review"], responses=PROBLEM_RESPONSES)
router = api_router(prefix="/api/v1/review", tags=["review"], responses=PROBLEM_RESPONSES)

#: Ids are 64-bit signed integers in the database; larger numbers cannot name anything.
MAX_ID = 2**63 - 1
JobId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
CaseId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

_WHY = "review jobs and cases span every bank, and decisions change what banks match"
reviewer = every_bank(Scope.REVIEW, _WHY)
admin = every_bank(Scope.ADMIN, _WHY)
submitter = every_bank(Scope.MATCH, "submitted content is checked against every bank")

#: The fields of a user's report, and their longest values.
_REPORT_FIELDS = {"reason": 200, "reporter_id": 255, "text": 4000}


def who(key: ApiKey) -> str:
    """The reviewer an API key is recorded as (claims, decisions, comments, the audit log)."""
    return f"key:{key.name}"


# Submitting ------------------------------------------------------------------------------


@submitting.post("/content", response_model=SubmittedModel, status_code=201)
def submit_content(
    file: UploadFile | None = File(None, description="The media: an image or a video."),
    content_id: str | None = Form(None, description="The platform's id of the content."),
    user_id: str | None = Form(None, description="The platform's id of who posted it."),
    surface: str | None = Form(None, description="Where it was posted: chat, profile..."),
    url: str | None = Form(None, description="Where it can be seen on the platform."),
    posted_at: str | None = Form(
        None, description="When it was posted: ISO 8601 with a time zone (2026-11-30T18:02Z)."
    ),
    context: str | None = Form(None, description="A JSON object: whatever else may help."),
    report: str | None = Form(
        None,
        description='A user\'s report, as a JSON object: {"reason": ..., "reporter_id": ..., '
        '"text": ...}; opens a user_report job.',
    ),
    escalate: bool = Form(False, description="Open an escalation job (a review by hand)."),
    queue: str | None = Form(None, description="The queue of the report or escalation job."),
    priority: int | None = Form(
        None,
        ge=0,
        le=100,
        description=(
            "The report's or escalation's priority (0-100), kept whatever the triage policy "
            "says; default: the policy's level sets it."
        ),
    ),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(submitter),
) -> SubmittedModel:
    """Submit content for review with its context. Its media (if sent) is checked against
    the banks, and its matches act as an upload's do (review rules open jobs, gathered in
    its user's case); a `report` or `escalate` opens a job of its own, with or without
    media."""
    reported = None if report is None else _report(report)
    if reported is not None and escalate:
        raise ValidationError("escalate: a submission is a report or an escalation, not both")
    reason = (
        JobKind.USER_REPORT if reported is not None else JobKind.ESCALATION if escalate else None
    )
    if reason is None:
        if file is None:
            raise ValidationError("file: send the media, a report or escalate=true")
        for name, given in (("queue", queue), ("priority", priority)):
            if given is not None:
                raise ValidationError(
                    f"{name}: only a report or an escalation opens a job in a queue you name "
                    "(review rules place their matches' jobs)"
                )
    data = None if file is None else read_upload(file, svc.settings.max_media_bytes)
    submission = ContentSubmission(
        platform_id=content_id,
        user_id=user_id,
        surface=surface,
        url=url,
        posted_at=None if posted_at is None else _instant(posted_at, "posted_at"),
        name=None if file is None else (file.filename or "upload")[:255],
        context=None if context is None else _object(context, "context"),
    )
    submitted = svc.review.submit(
        submission,
        data,
        reason=reason,
        report=reported,
        queue=DEFAULT_QUEUE if queue is None else checked_text(queue, "queue", max_length=64),
        priority=priority,
    )
    return SubmittedModel.of(submitted)


def _object(text: str, field: str) -> dict[str, Any]:
    value = parse_json(text, field)
    if not isinstance(value, dict):
        raise ValidationError(f"{field}: expected a JSON object")
    return value


def _report(text: str) -> dict[str, Any]:
    report = _object(text, "report")
    if unknown := sorted(set(report) - set(_REPORT_FIELDS)):
        raise ValidationError(
            f"report: unknown field {unknown[0]!r} (known: {', '.join(_REPORT_FIELDS)}; "
            "anything else goes in context)"
        )
    if "reason" not in report:
        raise ValidationError("report.reason: a report says why it was made")
    for name, longest in _REPORT_FIELDS.items():
        if name in report:
            checked_text(report[name], f"report.{name}", max_length=longest)
    return report


def _instant(text: str, field: str) -> datetime:
    """An ISO 8601 time with its time zone (a time without one could be hours off, and
    evidence handed on in a report must say when, exactly)."""
    try:
        value = datetime.fromisoformat(checked_text(text, field, max_length=64))
    except ValueError:
        raise ValidationError(f"{field}: not an ISO 8601 time ({text[:64]!r})") from None
    if value.tzinfo is None:
        raise ValidationError(f"{field}: give the time zone (Z or +HH:MM)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(f"{field}: out of range") from None


# Queues ----------------------------------------------------------------------------------


@router.get("/queues", response_model=list[QueueCountModel])
def list_queues(
    svc: Services = Depends(services), _key: ApiKey = Depends(reviewer)
) -> list[QueueCountModel]:
    """Every queue with its open, overdue and claimed jobs."""
    return [QueueCountModel.of_count(c) for c in svc.review.desk.counts()]


@router.post("/queues", response_model=QueueModel, status_code=201)
def create_queue(
    body: QueueCreate, svc: Services = Depends(services), _key: ApiKey = Depends(admin)
) -> QueueModel:
    """Create a queue (scope `admin`)."""
    return QueueModel.of(
        svc.review.desk.create_queue(
            body.name,
            description=body.description,
            child_safety=body.child_safety,
            sla_minutes=body.sla_minutes,
            reviewers=body.reviewers,
        )
    )


# Jobs ------------------------------------------------------------------------------------


@router.get("/jobs", response_model=JobPage)
def list_jobs(
    queue: str | None = Query(None, max_length=64, description="Only this queue's jobs."),
    status: Literal["open", "decided", "all"] = Query("open"),
    kind: JobKind | None = Query(None),
    limit: int = Query(50, ge=1, le=1000),
    after: int | None = Query(
        None, ge=1, le=MAX_ID, description="The `next_after` of the previous page."
    ),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(reviewer),
) -> JobPage:
    """A page of jobs: open ones in work order (most urgent, then oldest), decided ones
    newest first."""
    desk = svc.review.desk
    if queue is not None:
        desk.queue(queue)  # 404 for an unknown queue (the default one exists once asked for)
    jobs = desk.jobs(
        queue=queue,
        status=None if status == "all" else JobStatus(status),
        kind=kind,
        limit=limit,
        after=after,
    )
    return JobPage(
        jobs=[JobModel.of(j) for j in jobs],
        next_after=jobs[-1].id if len(jobs) == limit else None,
    )


@router.get("/jobs/{job_id}", response_model=JobDetailModel)
def get_job(
    job_id: JobId, svc: Services = Depends(services), _key: ApiKey = Depends(reviewer)
) -> JobDetailModel:
    """A job with its comments, its case's other jobs and its content's context; never
    media."""
    return JobDetailModel.of_dossier(dossier(svc.review.desk, job_id))


@router.post("/jobs/{job_id}/claim", response_model=JobModel)
def claim_job(
    job_id: JobId,
    body: ClaimBody | None = None,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reviewer),
) -> JobModel:
    """Hold an open job for `lease_seconds` (claiming it again renews the lease); 409 when
    someone else holds it or it is decided."""
    desk = svc.review.desk
    _may_work(svc, desk.get(job_id).queue, key)
    lease = timedelta(seconds=(body or ClaimBody()).lease_seconds)
    return JobModel.of(desk.claim(job_id, who(key), lease=lease))


@router.post(
    "/next", response_model=JobModel, responses={204: {"description": "No job is waiting."}}
)
def claim_next(
    queue: str = Query(DEFAULT_QUEUE, max_length=64),
    skip: int | None = Query(
        None, ge=1, le=MAX_ID, description="A job passed over: the next one after it."
    ),
    body: ClaimBody | None = None,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reviewer),
) -> JobModel | Response:
    """Claim the queue's most urgent, oldest job that nobody holds (or the one this key
    holds already); 204 when there is none."""
    _may_work(svc, queue, key)
    lease = timedelta(seconds=(body or ClaimBody()).lease_seconds)
    job = svc.review.desk.next_job(queue, who(key), lease=lease, skip=skip)
    return Response(status_code=204) if job is None else JobModel.of(job)


@router.post("/jobs/{job_id}/release", response_model=JobModel)
def release_job(
    job_id: JobId, svc: Services = Depends(services), key: ApiKey = Depends(reviewer)
) -> JobModel:
    """Give back this key's claim (a claim held by another stays)."""
    return JobModel.of(svc.review.desk.release(job_id, who(key)))


@router.post("/jobs/{job_id}/decision", response_model=DecidedModel)
def decide_job(
    job_id: JobId,
    body: DecisionBody,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reviewer),
) -> DecidedModel:
    """Decide a job (with `bulk`, the open jobs over identical media too) and do what the
    decision does: a false positive stops the same match alerting again, decision webhooks
    are queued, a confirmation may add the content to a bank, and an opinion goes to the
    source of an entry fetched from an exchange. 409 when someone else holds the job or it
    is decided already."""
    if body.add_to_bank is not None and not key.allows(Scope.CURATE):
        raise PermissionDeniedError("adding to a bank needs the 'curate' scope too")
    desk = svc.review.desk
    queues = {desk.get(job_id).queue}
    if body.bulk:
        queues.update(j.queue for j in desk.identical_open(job_id))
    for queue in sorted(queues):
        _may_work(svc, queue, key)
    decided = svc.review.decide(
        job_id,
        who(key),
        body.decision,
        classification=body.classification,
        note=body.note,
        add_to_bank=body.add_to_bank,
        bulk=body.bulk,
    )
    return DecidedModel.of(decided)


@router.post("/jobs/{job_id}/comments", response_model=CommentModel, status_code=201)
def comment_on_job(
    job_id: JobId,
    body: CommentCreate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reviewer),
) -> CommentModel:
    desk = svc.review.desk
    _may_work(svc, desk.get(job_id).queue, key)
    return CommentModel.of(desk.comment(job_id, who(key), body.body))


# Cases -----------------------------------------------------------------------------------


@router.get("/cases/{case_id}", response_model=CaseModel)
def get_case(
    case_id: CaseId, svc: Services = Depends(services), _key: ApiKey = Depends(reviewer)
) -> CaseModel:
    """A case: its subject (a user, or one piece of content) and all its jobs."""
    return CaseModel.of(svc.review.desk.case(case_id))


def _may_work(svc: Services, queue: str, key: ApiKey) -> None:
    if not svc.review.desk.queue(queue).worked_by(who(key)):
        raise PermissionDeniedError(f"queue {queue!r} is worked only by its named reviewers")
