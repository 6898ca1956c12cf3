"""API v1: reports to hotlines (scope `report`, served by the `ui` role) and the
organisation's reporting profile (scope `admin`).

A key reads reports, opens drafts from decided jobs, edits drafts, asks to send them and
retracts them, as ``key:<its name>``, through the same use cases as the console and the
command line (`bastion.pipeline.reporting.Reporting`). Approving a report is a person's act,
from the console. A key limited to some banks can use none of these routes: a report gathers
a user's case across every bank.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi import Path as PathParam

from bastion.auth import ApiKey, Scope
from bastion.reporting.model import ReportStatus
from bastion.web.inputs import api_router
from bastion.web.report_schemas import (
    CredentialsBody,
    DraftCreate,
    FileEdit,
    ProfileEdit,
    ProfileModel,
    ReportDetailModel,
    ReportEdit,
    ReportEventModel,
    ReportModel,
)
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["reports"], responses=PROBLEM_RESPONSES)

MAX_ID = 2**63 - 1
ReportId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
FileId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

_WHY = "a report gathers a user's case across every bank"
reporter = every_bank(Scope.REPORT, _WHY)
admin = every_bank(Scope.ADMIN, _WHY)


def who(key: ApiKey) -> str:
    return f"key:{key.name}"


@router.get("/reports", response_model=list[ReportModel])
def list_reports(
    status: ReportStatus | None = Query(None, description="Only reports in this state."),
    case_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this case's."),
    limit: int = Query(50, ge=1, le=500),
    before: int | None = Query(None, ge=1, le=MAX_ID, description="Ids below this (paging)."),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(reporter),
) -> list[ReportModel]:
    """Reports, newest first."""
    found = svc.reporting.store.list(status=status, case_id=case_id, limit=limit, before=before)
    return [ReportModel.of(r) for r in found]


@router.post("/reports", response_model=ReportModel, status_code=201)
def open_draft(
    body: DraftCreate, svc: Services = Depends(services), key: ApiKey = Depends(reporter)
) -> ReportModel:
    """Open a draft reporting decided jobs (a `reported` decision opens one by itself); the
    case's open draft gains them instead when it has one."""
    return ReportModel.of(svc.reporting.open_draft(body.jobs, who(key)))


@router.get("/reports/{report_id}", response_model=ReportDetailModel)
def get_report(
    report_id: ReportId, svc: Services = Depends(services), _key: ApiKey = Depends(reporter)
) -> ReportDetailModel:
    store = svc.reporting.store
    report = store.get(report_id)
    events = [
        ReportEventModel(at=e.at, actor=e.actor, step=e.step, outcome=e.outcome, detail=e.detail)
        for e in store.events(report_id)
    ]
    return ReportDetailModel(**ReportModel.of(report).model_dump(), events=events)


@router.patch("/reports/{report_id}", response_model=ReportModel)
def edit_report(
    report_id: ReportId,
    body: ReportEdit,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reporter),
) -> ReportModel:
    """Change a draft's incident or reported person (a draft, one awaiting approval, or a
    failed report only)."""
    store = svc.reporting.store
    report = store.get(report_id)
    incident = None if body.incident is None else body.incident.applied(report.incident)
    person = None if body.person is None else body.person.value()
    clear = "person" in body.model_fields_set and body.person is None
    if incident is None and person is None and not clear:
        return ReportModel.of(report)
    updated = store.update(
        report_id, who(key), incident=incident, person=person, clear_person=clear
    )
    return ReportModel.of(updated)


@router.patch("/reports/{report_id}/files/{file_id}", response_model=ReportModel)
def edit_file(
    report_id: ReportId,
    file_id: FileId,
    body: FileEdit,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reporter),
) -> ReportModel:
    store = svc.reporting.store
    changes = body.changes()
    if changes:
        store.update_file(report_id, file_id, who(key), **changes)
    return ReportModel.of(store.get(report_id))


@router.delete("/reports/{report_id}/files/{file_id}", response_model=ReportModel)
def remove_file(
    report_id: ReportId,
    file_id: FileId,
    svc: Services = Depends(services),
    key: ApiKey = Depends(reporter),
) -> ReportModel:
    """Leave a file out of a draft (it stays in the evidence vault)."""
    store = svc.reporting.store
    store.remove_file(report_id, file_id, who(key))
    return ReportModel.of(store.get(report_id))


@router.post("/reports/{report_id}/send", response_model=ReportModel)
def send_report(
    report_id: ReportId, svc: Services = Depends(services), key: ApiKey = Depends(reporter)
) -> ReportModel:
    """Ask to send a draft: it is checked as NCMEC would (nothing is sent while it fails),
    completed from the platform's additional-information webhook, and queued for the worker,
    or left awaiting a person's approval when the profile requires one."""
    return ReportModel.of(svc.reporting.request(report_id, who(key)))


@router.post("/reports/{report_id}/retract", response_model=ReportModel)
def retract_report(
    report_id: ReportId, svc: Services = Depends(services), key: ApiKey = Depends(reporter)
) -> ReportModel:
    """Withdraw a report that is not finished (at NCMEC too, when it holds it)."""
    return ReportModel.of(svc.reporting.retract(report_id, who(key)))


@router.get("/reporting/profile", response_model=ProfileModel)
def get_profile(svc: Services = Depends(services), _key: ApiKey = Depends(admin)) -> ProfileModel:
    reporting = svc.reporting
    return ProfileModel.of(reporting.profile(), reporting.profiles.has_credentials())


@router.patch("/reporting/profile", response_model=ProfileModel)
def edit_profile(
    body: ProfileEdit, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> ProfileModel:
    reporting = svc.reporting
    changed = reporting.update_profile(who(key), **body.model_dump(exclude_unset=True))
    return ProfileModel.of(changed, reporting.profiles.has_credentials())


@router.put("/reporting/credentials", status_code=204)
def set_credentials(
    body: CredentialsBody, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> None:
    """Store the CyberTipline's HTTP Basic credentials, encrypted at rest."""
    svc.reporting.set_credentials(body.username, body.password, who(key))
