"""API v1: the transparency report of a period, as JSON, CSV or a self-contained HTML page.

`GET /api/v1/transparency?from=2026-01-01&to=2027-01-01` (scope `review`, served by the `ui`
role, like the review desk whose decisions it counts). The figures span every bank, so a
key limited to some banks is refused. What each figure means: docs/transparency.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bastion.auth import ApiKey, Scope
from bastion.reporting.transparency import DEFAULT_SUPPRESS_BELOW, Period
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services
from bastion.web.transparency_page import download

router = api_router(prefix="/api/v1", tags=["transparency"], responses=PROBLEM_RESPONSES)
reader = every_bank(Scope.REVIEW, "the transparency report counts every bank")


class FigureModel(BaseModel):
    #: None when withheld, or when there is nothing to compute it from.
    value: int | float | None
    suppressed: bool


class PeriodModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")


class TransparencyModel(BaseModel):
    format: str
    version: int
    period: PeriodModel
    generated_at: datetime
    suppress_below: int
    unavailable: list[str]
    #: Section, then figure name: a figure, or a breakdown of figures by name.
    sections: dict[str, dict[str, FigureModel | dict[str, FigureModel]]]


_OTHER_FORMATS = {
    200: {
        "description": "The report, in the format asked for.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/transparency", response_model=TransparencyModel, responses=_OTHER_FORMATS)  # type: ignore[arg-type]
def transparency(
    start: date = Query(..., alias="from", description="First UTC day of the period."),
    end: date = Query(..., alias="to", description="The day after the period's last."),
    format: Literal["json", "csv", "html"] = Query("json"),
    suppress_below: int = Query(
        DEFAULT_SUPPRESS_BELOW, ge=1, le=1000, description="Withhold counts from 1 to this - 1."
    ),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(reader),
) -> Response:
    """The transparency report of [from, to): content checked, matches, review decisions,
    reports filed, hashes shared and received, conversation and stream alerts. Counts from 1
    to `suppress_below` - 1 are withheld (`null`, `"suppressed": true`)."""
    report = svc.transparency(Period(start, end), suppress_below=suppress_below)
    return download(report, format, attachment=format != "json")
