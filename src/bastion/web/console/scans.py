"""The console's scans page: every bulk scan with its progress (done, failed, pending), what it
matched, and its latest failures; and where retroactive matching stands (content kept, the bank
changes it has looked at, pairs found). For analysts, leads and admins
(`Permission.TRANSPARENCY`): counts, item keys and errors, never content."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.web.console.render import page
from bastion.web.console.session import Viewer, signed_in
from bastion.web.services import Services, services

router = APIRouter(include_in_schema=False)

#: Scans shown, newest first, and failures shown per scan.
SCANS_SHOWN = 50
FAILURES_SHOWN = 5


@router.get("/scans")
def scans_page(viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)) -> Response:
    if not allows(viewer.role, Permission.TRANSPARENCY):
        raise PermissionDeniedError("only analysts, leads and admins see the scans")
    store = svc.scans
    scans = [
        (scan, store.counts(scan.id), store.failures(scan.id, limit=FAILURES_SHOWN))
        for scan in store.list()[:SCANS_SHOWN]
    ]
    cursor = svc.checked.cursor()
    return page(
        "console/scans.html",
        viewer=viewer,
        scans=scans,
        retention_days=svc.settings.checked_retention_days,
        kept=svc.checked.count(),
        retro_matches=svc.checked.retro_count(),
        cursor=cursor,
        head=svc.store.head_seq(),
    )
