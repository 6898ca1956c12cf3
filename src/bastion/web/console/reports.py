"""The console's report pages: the reports list, a report (read, edit its draft, send,
approve, retract), and the organisation's reporting profile.

Who may do what: reports name the people reported (their emails, the addresses they acted
from), so only those with the `report` permission (child-safety reviewers, leads, admins)
read, edit, send and retract them; approving needs `approve_reports` and another person than
the one who asked; the profile and its
credentials need `manage_reporting` (admins). Refusals are audited. No media is shown here:
a file is named by its hashes, and its media is seen from its job's page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.errors import BastionError, NotFoundError, ValidationError
from bastion.reporting.model import ANNOTATIONS, IncidentType, ReportStatus
from bastion.review import Classification, classification
from bastion.web.console.render import page
from bastion.web.console.session import Viewer, check_csrf, signed_in
from bastion.web.services import Services, services

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: The largest id a database holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def report_id_of(report_id: int) -> int:
    """The path's report id; one no database could hold is simply not found (rather than
    an overflow deep in the driver)."""
    if not 1 <= report_id <= MAX_ID:
        raise NotFoundError(f"no report {report_id}")
    return report_id


def file_id_of(report_id: int, file_id: int) -> int:
    if not 1 <= file_id <= MAX_ID:
        raise NotFoundError(f"report {report_id} has no file {file_id}")
    return file_id


ReportId = Annotated[int, Depends(report_id_of)]
FileId = Annotated[int, Depends(file_id_of)]


@router.get("/reports")
def reports_page(
    status: str = Query(""),
    before: int | None = Query(None, ge=1, le=MAX_ID),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    _require(svc, viewer, Permission.REPORT, "reports")
    chosen = _status(status)
    found = svc.reporting.store.list(status=chosen, limit=PAGE_SIZE + 1, before=before)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    return page(
        "console/reports.html",
        viewer=viewer,
        reports=found,
        statuses=[s.value for s in ReportStatus],
        shown=status,
        more=more,
        now=_now(),
    )


@router.get("/reports/{report_id}")
def report_page(
    report_id: ReportId,
    done: str = Query(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    _require(svc, viewer, Permission.REPORT, f"report:{report_id}")
    return _report(svc, viewer, report_id, notice=NOTICES.get(done, ""))


def _report(
    svc: Services, viewer: Viewer, report_id: int, *, notice: str = "", error: str = ""
) -> Response:
    store = svc.reporting.store
    report = store.get(report_id)
    profile = svc.reporting.profile()
    may_report = allows(viewer.role, Permission.REPORT)
    events = store.events(report_id)
    # Who asked to send it last: they may not approve it too (four eyes).
    asked_by = next((e.actor for e in reversed(events) if e.step == "request"), None)
    return page(
        "console/report.html",
        status=400 if error else 200,
        viewer=viewer,
        report=report,
        events=events,
        asked_by=asked_by,
        editable=may_report and report.status.editable,
        may_send=may_report and report.status in (ReportStatus.DRAFT, ReportStatus.FAILED),
        may_approve=allows(viewer.role, Permission.APPROVE_REPORTS)
        and report.status is ReportStatus.AWAITING_APPROVAL
        and asked_by != viewer.actor,
        may_retract=may_report
        and report.status not in (ReportStatus.FINISHED, ReportStatus.RETRACTED),
        incident_types=[(t.short, t.value) for t in IncidentType],
        annotations=ANNOTATIONS,
        classifications=[c.value for c in Classification],
        approval_required=profile.approval_required,
        environment=profile.environment,
        notice=notice,
        error=error,
        now=_now(),
    )


@router.post("/reports/{report_id}/incident")
def edit_incident(
    report_id: ReportId,
    csrf: str = Form(""),
    incident_type: str = Form(...),
    description: str = Form(""),
    escalate: str = Form(""),
    annotations: list[str] = Form([]),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    from dataclasses import replace

    from bastion.reporting.model import incident_type as parse_type

    target = f"report:{report_id}"
    check_csrf(viewer, csrf, svc, target)
    _require(svc, viewer, Permission.REPORT, target)
    store = svc.reporting.store
    report = store.get(report_id)
    unknown = sorted(set(annotations) - set(ANNOTATIONS))
    try:
        if unknown:
            raise ValidationError(f"unknown annotation {unknown[0]!r}")
        incident = replace(
            report.incident,
            type=parse_type(incident_type),
            description=description.strip(),
            escalate=escalate.strip() or None,
            annotations=tuple(a for a in ANNOTATIONS if a in annotations),
        )
        store.update(report_id, viewer.actor, incident=incident)
    except BastionError as e:
        return _report(svc, viewer, report_id, error=e.message)
    return _back(report_id, "saved")


@router.post("/reports/{report_id}/files/{file_id}")
def edit_file(
    report_id: ReportId,
    file_id: FileId,
    csrf: str = Form(""),
    chosen_class: str = Form("", alias="classification"),
    viewed_by_esp: bool = Form(False),
    exif_viewed_by_esp: bool = Form(False),
    publicly_available: bool = Form(False),
    remove: bool = Form(False),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    target = f"report:{report_id}"
    check_csrf(viewer, csrf, svc, target)
    _require(svc, viewer, Permission.REPORT, target)
    store = svc.reporting.store
    try:
        if remove:
            store.remove_file(report_id, file_id, viewer.actor)
            return _back(report_id, "removed")
        store.update_file(
            report_id,
            file_id,
            viewer.actor,
            classification=classification(chosen_class or None),
            viewed_by_esp=viewed_by_esp,
            exif_viewed_by_esp=exif_viewed_by_esp,
            publicly_available=publicly_available,
        )
    except BastionError as e:
        return _report(svc, viewer, report_id, error=e.message)
    return _back(report_id, "saved")


@router.post("/reports/{report_id}/send")
def send(
    report_id: ReportId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    def ask() -> str:
        sent = svc.reporting.request(report_id, viewer.actor)
        return "awaiting" if sent.status is ReportStatus.AWAITING_APPROVAL else "queued"

    return _act(svc, viewer, report_id, csrf, Permission.REPORT, ask)


@router.post("/reports/{report_id}/approve")
def approve(
    report_id: ReportId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    def ask() -> str:
        svc.reporting.approve(report_id, viewer.actor)
        return "approved"

    return _act(svc, viewer, report_id, csrf, Permission.APPROVE_REPORTS, ask)


@router.post("/reports/{report_id}/retract")
def retract(
    report_id: ReportId,
    csrf: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    def ask() -> str:
        svc.reporting.retract(report_id, viewer.actor)
        return "retracted"

    return _act(svc, viewer, report_id, csrf, Permission.REPORT, ask)


def _act(
    svc: Services,
    viewer: Viewer,
    report_id: int,
    csrf: str,
    permission: Permission,
    action: Callable[[], str],
) -> Response:
    """A report's form: checked (CSRF, permission), done, and back to the report with the
    notice `action` names, or the report's page with the error."""
    target = f"report:{report_id}"
    check_csrf(viewer, csrf, svc, target)
    _require(svc, viewer, permission, target)
    try:
        done = action()
    except BastionError as e:
        return _report(svc, viewer, report_id, error=e.message)
    return _back(report_id, done)


@router.get("/reporting")
def profile_page(
    done: str = Query(""), viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    _require(svc, viewer, Permission.MANAGE_REPORTING, "reporting")
    return _profile(svc, viewer, notice=PROFILE_NOTICES.get(done, ""))


def _profile(svc: Services, viewer: Viewer, *, notice: str = "", error: str = "") -> Response:
    reporting = svc.reporting
    return page(
        "console/reporting.html",
        status=400 if error else 200,
        viewer=viewer,
        profile=reporting.profile(),
        credentials_set=reporting.profiles.has_credentials(),
        banks=sorted(b.name for b in svc.store.banks_by_id().values()),
        notice=notice,
        error=error,
    )


@router.post("/reporting")
def edit_profile(
    csrf: str = Form(""),
    environment: str = Form("test"),
    reporter_first_name: str = Form(""),
    reporter_last_name: str = Form(""),
    reporter_email: str = Form(""),
    reporter_phone: str = Form(""),
    platform: str = Form(""),
    legal_url: str = Form(""),
    approval_required: bool = Form(False),
    report_bank: str = Form(""),
    info_webhook_url: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, "reporting")
    _require(svc, viewer, Permission.MANAGE_REPORTING, "reporting")
    try:
        svc.reporting.update_profile(
            viewer.actor,
            environment=environment,
            reporter_first_name=reporter_first_name,
            reporter_last_name=reporter_last_name,
            reporter_email=reporter_email,
            reporter_phone=reporter_phone,
            platform=platform,
            legal_url=legal_url,
            approval_required=approval_required,
            report_bank=report_bank,
            info_webhook_url=info_webhook_url,
        )
    except BastionError as e:
        return _profile(svc, viewer, error=e.message)
    return RedirectResponse("/reporting?done=saved", status_code=303)


@router.post("/reporting/credentials")
def set_credentials(
    csrf: str = Form(""),
    username: str = Form(""),
    password: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, "reporting")
    _require(svc, viewer, Permission.MANAGE_REPORTING, "reporting")
    try:
        svc.reporting.set_credentials(username.strip(), password, viewer.actor)
    except BastionError as e:
        return _profile(svc, viewer, error=e.message)
    # To a page: reloading it never sends the password again.
    return RedirectResponse("/reporting?done=credentials", status_code=303)


def _require(svc: Services, viewer: Viewer, permission: Permission, target: str) -> None:
    if not allows(viewer.role, permission):
        reason = f"the {viewer.role} role may not {permission.value.replace('_', ' ')}"
        svc.audit.record(viewer.actor, "console.refused", target, reason=reason)
        raise PermissionDeniedError(reason)


def _status(value: str) -> ReportStatus | None:
    if not value:
        return None
    try:
        return ReportStatus(value)
    except ValueError:
        return None


#: What the page says after each action (the link names the action, never the words).
NOTICES = {
    "saved": "Saved.",
    "removed": "The file is left out of the report (it stays in the evidence vault).",
    "awaiting": "Waiting for the approval of a lead or an admin.",
    "queued": "Queued: the worker sends it within seconds.",
    "approved": "Approved: the worker sends it within seconds.",
    "retracted": "Retracted.",
}

#: What the profile page says after each change.
PROFILE_NOTICES = {"saved": "Saved.", "credentials": "Credentials stored, encrypted."}


def _back(report_id: int, done: str) -> Response:
    return RedirectResponse(f"/reports/{report_id}?done={done}", status_code=303)


def _now() -> datetime:
    return datetime.now(UTC)
