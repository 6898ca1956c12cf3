"""The console's triage page: the policy in force, how often each rule and signal led to a
confirmed decision (the feedback loop), and how the classifiers and outside services have
been answering. For analysts, leads and admins (`Permission.TRANSPARENCY`): counts and
rules only, never content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.review.assessment import decided_findings
from bastion.triage.evaluate import evaluate
from bastion.web.console.render import page
from bastion.web.console.session import Viewer, signed_in
from bastion.web.services import Services, services

router = APIRouter(include_in_schema=False)

#: How far back the page counts the runs of classifiers and services.
RUNS_WINDOW = timedelta(days=1)


@router.get("/triage")
def triage_page(viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)) -> Response:
    if not allows(viewer.role, Permission.TRANSPARENCY):
        raise PermissionDeniedError("only analysts, leads and admins read the triage figures")
    with svc.db.session() as s:
        found = evaluate(decided_findings(s), svc.policy)
    runs = svc.triage.run_counts(datetime.now(UTC) - RUNS_WINDOW)
    classifiers = [n.strip() for n in svc.settings.classifiers.split(",") if n.strip()]
    return page(
        "console/triage.html",
        viewer=viewer,
        policy=svc.policy,
        evaluation=found,
        signals=[r for r in found.signals if r.op is None or r.tally.jobs],
        runs=sorted(runs.items()),
        services=svc.services.all(),
        classifiers=classifiers,
        open_level=svc.settings.triage_open_level,
        near_miss_margin=svc.settings.near_miss_margin,
    )
