"""The console's review pages: queues, a queue's jobs, a job, a case; claiming, deciding,
commenting; the blurred preview and the audited reveal of media.

Media never reaches the browser unasked: a job's page shows a server-made rendition (blurred,
greyscale by default: the viewer's wellness settings), or a strip of sampled frames for a
video, and the original only after the viewer presses Reveal, through a single-use link
(`bastion.review.reveals`). A known match needs no media at all: its evidence is the bank's
entry, the distance and how the hashes were made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.errors import NotFoundError
from bastion.review import (
    Classification,
    Job,
    JobKind,
    JobStatus,
    Queue,
    classification,
    decision,
    job_kind,
)
from bastion.review.access import may_reveal, may_view, may_work
from bastion.review.rendition import frame_strip, safe_image
from bastion.web.console.render import NO_STORE, page
from bastion.web.console.session import Viewer, check_csrf, signed_in
from bastion.web.services import Services, services

router = APIRouter(include_in_schema=False)

#: The largest id a database holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def _job_id(job_id: int) -> int:
    """The path's job id; one no database could hold is simply not found (rather than an
    overflow in the driver)."""
    if not 1 <= job_id <= MAX_ID:
        raise NotFoundError(f"no job {job_id}")
    return job_id


def _case_id(case_id: int) -> int:
    if not 1 <= case_id <= MAX_ID:
        raise NotFoundError(f"no case {case_id}")
    return case_id


JobId = Annotated[int, Depends(_job_id)]
CaseId = Annotated[int, Depends(_case_id)]

#: The keys of the decisions (the page lists them; console.js presses them).
DECISION_KEYS = (
    ("c", "confirmed", "Confirm"),
    ("f", "false_positive", "False positive"),
    ("e", "escalated", "Escalate"),
    ("r", "reported", "Report"),
)
PAGE_SIZE = 50


@router.get("/queues")
def queues(viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)) -> Response:
    counts = [c for c in svc.review.desk.counts() if may_view(viewer.role, c.queue)]
    workable = {c.queue.name for c in counts if may_work(viewer.role, viewer.actor, c.queue)}
    return page("console/queues.html", viewer=viewer, counts=counts, workable=workable,
                now=_now())  # fmt: skip


@router.get("/queues/{name}")
def queue_jobs(
    name: str,
    kind: str | None = Query(None),
    status: str = Query("open"),
    after: int | None = Query(None),
    empty: bool = Query(False),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    queue = _viewable(svc, viewer, name)
    chosen_kind = job_kind(kind) if kind else None
    chosen_status = (
        None
        if status == "all"
        else JobStatus(status)
        if status in ("open", "decided")
        else JobStatus.OPEN
    )
    jobs = svc.review.desk.jobs(
        queue=queue.name, status=chosen_status, kind=chosen_kind, limit=PAGE_SIZE + 1, after=after
    )
    more = len(jobs) > PAGE_SIZE
    jobs = jobs[:PAGE_SIZE]
    return page(
        "console/queue.html",
        viewer=viewer,
        queue=queue,
        jobs=jobs,
        more=more,
        kinds=[k.value for k in JobKind],
        kind=kind or "",
        shown=status,
        workable=may_work(viewer.role, viewer.actor, queue),
        empty=empty,
        now=_now(),
    )


@router.post("/queues/{name}/next")
def next_job(
    name: str,
    csrf: str = Form(""),
    skip: int | None = Form(None),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """Claim the queue's next job and open it."""
    check_csrf(viewer, csrf, svc, f"queue:{name}")
    queue = _workable(svc, viewer, name)
    return _to_next(svc, viewer, queue.name, skip=skip)


@router.get("/jobs/{job_id}")
def job_page(
    job_id: JobId, viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    desk = svc.review.desk
    job = desk.get(job_id)
    queue = _viewable(svc, viewer, job.queue, target=f"job:{job_id}")
    content = None if job.content_id is None else desk.content(job.content_id)
    case = desk.case(job.case_id)
    wellness = _wellness(svc, viewer)
    recent = svc.review.reveals.recent(viewer.user.id, wellness.break_minutes)
    return page(
        "console/job.html",
        viewer=viewer,
        job=job,
        queue=queue,
        content=content,
        case=case,
        others=[j for j in case.jobs if j.id != job.id],
        comments=desk.comments(job.id),
        identical=len(desk.identical_open(job.id)) if job.status is JobStatus.OPEN else 0,
        # The names only: `list_banks` would count every bank's entries on each page.
        banks=sorted(b.name for b in svc.store.banks_by_id().values())
        if allows(viewer.role, Permission.ADD_TO_BANK)
        else [],
        workable=may_work(viewer.role, viewer.actor, queue) and job.status is JobStatus.OPEN,
        revealable=content is not None
        and content.evidence_id is not None
        and may_reveal(viewer.role, viewer.actor, queue),
        has_media=content is not None and content.evidence_id is not None,
        held_by_other=job.held_by_other(viewer.actor, _now()),
        decisions=DECISION_KEYS,
        classifications=[c.value for c in Classification],
        take_break=recent >= wellness.break_after,
        wellness=wellness,
        evidence=_evidence_rows(job) + _provenance_rows(svc, job),
        runs=[] if job.media_sha256 is None else svc.triage.runs(job.media_sha256),
        now=_now(),
    )


@router.get("/jobs/{job_id}/preview")
def preview(
    job_id: JobId, viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    """The job's media as a blurred (and by default greyscale) rendition made here."""
    job = svc.review.desk.get(job_id)
    _viewable(svc, viewer, job.queue, target=f"job:{job_id}")
    data, media_type = _media(svc, job)
    wellness = _wellness(svc, viewer)
    # Never sharp: a preview is blurred at least a little whatever the settings say.
    blur, greyscale = max(wellness.blur, 10), wellness.greyscale  # see `Wellness.blur`
    if media_type.startswith("video/"):
        rendition = frame_strip(
            data, blur=blur, greyscale=greyscale, limits=svc.settings.video_limits()
        )
    else:
        rendition = safe_image(
            data, blur=blur, greyscale=greyscale, max_pixels=svc.settings.max_image_pixels
        )
    return Response(rendition, media_type="image/jpeg", headers=NO_STORE)


@router.post("/jobs/{job_id}/reveal")
def reveal(
    job_id: JobId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """Grant a single-use link to the original media, and go to the page that shows it.

    A redirect, not the page itself: reloading that page (or going back to it) asks for the
    spent link again, which is refused, instead of sending this form again, which would
    reveal the media a second time."""
    check_csrf(viewer, csrf, svc, f"job:{job_id}")
    job = svc.review.desk.get(job_id)
    queue = svc.review.desk.queue(job.queue)
    content = None if job.content_id is None else svc.review.desk.content(job.content_id)
    token = svc.review.reveals.grant(
        job,
        queue,
        viewer.reviewer(_wellness(svc, viewer).daily_cap),
        has_media=content is not None and content.evidence_id is not None,
    )
    return RedirectResponse(f"/jobs/{job_id}/original/{token}", status_code=303)


@router.get("/jobs/{job_id}/original/{token}")
def revealed_page(
    job_id: JobId,
    token: str,
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """The page that shows a reveal's media (`revealed_media` spends the link)."""
    job = svc.review.desk.get(job_id)
    _viewable(svc, viewer, job.queue, target=f"job:{job_id}")
    content = None if job.content_id is None else svc.review.desk.content(job.content_id)
    media_type = (content.media_type if content else None) or "image/jpeg"
    return page("console/reveal.html", viewer=viewer, job=job, token=token,
                video=media_type.startswith("video/"),
                autoplay=_wellness(svc, viewer).autoplay)  # fmt: skip


@router.get("/reveal/{token}")
def revealed_media(
    token: str, viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    """The original bytes, once per link."""
    wellness = _wellness(svc, viewer)
    job_id = svc.review.reveals.redeem(token, viewer.reviewer(wellness.daily_cap))
    job = svc.review.desk.get(job_id)
    data, media_type = _media(svc, job)
    headers = {**NO_STORE, "Content-Disposition": "inline"}
    return Response(data, media_type=_safe_type(media_type), headers=headers)


@router.post("/jobs/{job_id}/claim")
def claim(
    job_id: JobId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, f"job:{job_id}")
    job = svc.review.desk.get(job_id)
    _workable(svc, viewer, job.queue, target=f"job:{job_id}")
    svc.review.desk.claim(job_id, viewer.actor)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/release")
def release(
    job_id: JobId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, f"job:{job_id}")
    job = svc.review.desk.release(job_id, viewer.actor)
    return RedirectResponse(f"/queues/{job.queue}", status_code=303)


@router.post("/jobs/{job_id}/comments")
def comment(
    job_id: JobId,
    csrf: str = Form(""),
    body: str = Form(...),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, f"job:{job_id}")
    job = svc.review.desk.get(job_id)
    _viewable(svc, viewer, job.queue, target=f"job:{job_id}")
    if not allows(viewer.role, Permission.DECIDE):
        _refuse(svc, viewer, f"job:{job_id}", "the analyst role only reads")
    svc.review.desk.comment(job_id, viewer.actor, body)
    return RedirectResponse(f"/jobs/{job_id}#comments", status_code=303)


@router.post("/jobs/{job_id}/decision")
def decide(
    job_id: JobId,
    csrf: str = Form(""),
    choice: str = Form(..., alias="decision"),
    chosen_class: str = Form("", alias="classification"),
    note: str = Form(""),
    add_to_bank: str = Form(""),
    bulk: bool = Form(False),
    then: str = Form("next"),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """Decide, then open the queue's next job (or the queue when it is empty)."""
    check_csrf(viewer, csrf, svc, f"job:{job_id}")
    job = svc.review.desk.get(job_id)
    _workable(svc, viewer, job.queue, target=f"job:{job_id}")
    if add_to_bank and not allows(viewer.role, Permission.ADD_TO_BANK):
        _refuse(svc, viewer, f"job:{job_id}", f"the {viewer.role} role may not add to a bank")
    decided = svc.review.decide(
        job_id,
        viewer.actor,
        decision(choice),
        classification=classification(chosen_class or None),
        note=note,
        add_to_bank=add_to_bank or None,
        bulk=bulk,
    )
    if decided.report_id is not None and allows(viewer.role, Permission.REPORT):
        # Whoever may send it reads the draft now; a reviewer goes on with the queue.
        return RedirectResponse(f"/reports/{decided.report_id}", status_code=303)
    if then == "next":
        return _to_next(svc, viewer, job.queue)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/cases/{case_id}")
def case_page(
    case_id: CaseId, viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    case = svc.review.desk.case(case_id)
    queues = {q.name: q for q in svc.review.desk.queues()}
    visible = [j for j in case.jobs if may_view(viewer.role, queues[j.queue])]
    if case.jobs and not visible:
        _refuse(svc, viewer, f"case:{case_id}", "no job of this case is in a queue you may see")
    # Its reports, and why one failed, for those who may report (they name people).
    reports = (
        svc.reporting.store.list(case_id=case_id) if allows(viewer.role, Permission.REPORT) else []
    )
    return page("console/case.html", viewer=viewer, case=case, jobs=visible, reports=reports,
                now=_now())  # fmt: skip


def _to_next(svc: Services, viewer: Viewer, queue: str, *, skip: int | None = None) -> Response:
    found = svc.review.desk.next_job(queue, viewer.actor, skip=skip)
    if found is None:
        return RedirectResponse(f"/queues/{queue}?empty=1", status_code=303)
    return RedirectResponse(f"/jobs/{found.id}", status_code=303)


def _viewable(svc: Services, viewer: Viewer, name: str, *, target: str | None = None) -> Queue:
    queue = svc.review.desk.queue(name)
    if not may_view(viewer.role, queue):
        _refuse(
            svc, viewer, target or f"queue:{name}", f"the {viewer.role} role may not see {name}"
        )
    return queue


def _workable(svc: Services, viewer: Viewer, name: str, *, target: str | None = None) -> Queue:
    queue = _viewable(svc, viewer, name, target=target)
    if not may_work(viewer.role, viewer.actor, queue):
        _refuse(svc, viewer, target or f"queue:{name}", f"{viewer.actor} may not decide in {name}")
    return queue


def _refuse(svc: Services, viewer: Viewer, target: str, reason: str) -> None:
    svc.audit.record(viewer.actor, "console.refused", target, reason=reason)
    raise PermissionDeniedError(reason)


def _wellness(svc: Services, viewer: Viewer) -> Any:
    return svc.review.wellness.organisation().personal(
        viewer.user.preferences, viewer.user.daily_reveal_cap
    )


def _media(svc: Services, job: Job) -> tuple[bytes, str]:
    content = None if job.content_id is None else svc.review.desk.content(job.content_id)
    if content is None or content.evidence_id is None:
        raise NotFoundError(f"job {job.id} has no media kept (none was sent with its content)")
    return svc.vault.open(content.evidence_id), content.media_type or "image/jpeg"


def _safe_type(media_type: str) -> str:
    """Media types a browser shows as media, never as a page or a script."""
    kind = media_type.split("/", 1)[0]
    return (
        media_type
        if kind in ("image", "video") and "+" not in media_type
        else "application/octet-stream"
    )


def _evidence_rows(job: Job) -> list[tuple[str, str]]:
    """What the job's evidence says, as label and value rows (never media)."""
    e = job.evidence
    rows: list[tuple[str, str]] = []
    if job.kind is JobKind.MATCH:
        rows += [
            ("Bank", str(job.bank)),
            ("Entry", str(job.entry_id)),
            ("Signal type", str(job.signal_type)),
            ("Distance", str(job.distance)),
            ("Query derived by", str(e.get("query_how") or "its own hash")),
            ("Bank entry derived by", str(e.get("bank_how") or "its own hash")),
        ]
        if e.get("quality") is not None:
            rows.append(("Quality", str(e["quality"])))
        if e.get("score") is not None:
            rows.append(("TMK+PDQF score", f"{e['score']:.4f}"))
        video = e.get("video")
        if isinstance(video, dict):
            rows.append(
                ("Frames matched", f"{video['query_share']:.0%} of the upload, "
                 f"{video['bank_share']:.0%} of the bank's video")
            )  # fmt: skip
            for segment in video.get("segments", []):
                rows.append(
                    ("Matched segment", f"seconds {segment['query_start']:g}-"
                     f"{segment['query_end']:g} of the upload match seconds "
                     f"{segment['bank_start']:g}-{segment['bank_end']:g} of the bank's video")
                )  # fmt: skip
    elif job.kind is JobKind.CONVERSATION:
        rows += [
            ("Conversation", str(job.conversation)),
            ("Risk", str(e.get("level", "-"))),
            ("Score", str(e.get("score", "-"))),
        ]
    else:
        report = e.get("report") or {}
        rows += [(str(k).replace("_", " ").capitalize(), str(v)) for k, v in report.items()]
    return rows


def _provenance_rows(svc: Services, job: Job) -> list[tuple[str, str]]:
    """Where the matched entry came from: who added it, how, from which list or exchange."""
    if job.entry_id is None:
        return []
    try:
        provenance = svc.store.get_entry(job.entry_id).provenance
    except NotFoundError:
        return [("Bank entry", "deleted since the match")]
    rows = [
        ("Entry added", f"{provenance.added_at:%Y-%m-%d} by {provenance.added_by or '-'} "
         f"({provenance.source})"),
    ]  # fmt: skip
    if provenance.imported_from:
        rows.append(("Source", provenance.imported_from))
    if provenance.upstream_id:
        rows.append(("Id at the source", provenance.upstream_id))
    return rows


def _now() -> datetime:
    return datetime.now(UTC)
