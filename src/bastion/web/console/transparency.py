"""The console's transparency report: a period to choose, the figures with their charts, and
downloads as JSON, CSV and a self-contained HTML page. For analysts, leads and admins
(`Permission.TRANSPARENCY`): counts only, never content."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.errors import BastionError, ValidationError
from bastion.reporting.transparency import DEFAULT_SUPPRESS_BELOW, Period
from bastion.web.console.render import page
from bastion.web.console.session import Viewer, signed_in
from bastion.web.services import Services, services
from bastion.web.transparency_page import context, download

router = APIRouter(include_in_schema=False)

FORMATS = ("json", "csv", "html")


@router.get("/transparency")
def transparency(
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    suppress_below: str | None = Query(None),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """The report of the period asked for (by default the current year, to date)."""
    _require_reader(viewer)
    form = _form(start, end, suppress_below)
    try:
        period, threshold = _chosen(start, end, suppress_below)
    except BastionError as error:
        return page("console/transparency.html", status=400, viewer=viewer, error=error.message,
                    form=form, query=None)  # fmt: skip
    report = svc.transparency(period, suppress_below=threshold)
    query = urlencode({"from": period.start, "to": period.end, "suppress_below": threshold})
    return page("console/transparency.html", viewer=viewer, error=None, form=form, query=query,
                **context(report))  # fmt: skip


@router.get("/transparency/download")
def transparency_download(
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    suppress_below: str | None = Query(None),
    format: str = Query("csv"),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """The report as a file: JSON, CSV or a self-contained HTML page."""
    _require_reader(viewer)
    if format not in FORMATS:
        raise ValidationError(f"unknown format {format!r} (one of {', '.join(FORMATS)})")
    period, threshold = _chosen(start, end, suppress_below)
    return download(svc.transparency(period, suppress_below=threshold), format)


def _require_reader(viewer: Viewer) -> None:
    if not allows(viewer.role, Permission.TRANSPARENCY):
        raise PermissionDeniedError("only analysts, leads and admins read the transparency report")


def _this_year() -> tuple[date, date]:
    year = datetime.now(UTC).year
    return date(year, 1, 1), date(year + 1, 1, 1)


def _form(start: str | None, end: str | None, suppress_below: str | None) -> dict[str, str]:
    first, after = _this_year()
    return {
        "from": start or first.isoformat(),
        "to": end or after.isoformat(),
        "suppress_below": suppress_below or str(DEFAULT_SUPPRESS_BELOW),
    }


def _chosen(start: str | None, end: str | None, suppress_below: str | None) -> tuple[Period, int]:
    form = _form(start, end, suppress_below)
    period = Period.parse(form["from"], form["to"])
    try:
        threshold = int(form["suppress_below"])
    except ValueError:
        raise ValidationError("suppress below must be a whole number") from None
    if not 1 <= threshold <= 1000:
        raise ValidationError("suppress below must be 1-1000")
    return period, threshold
