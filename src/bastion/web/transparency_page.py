"""The transparency report as a page: its figures, and a bar chart drawn on the server (inline
SVG, no script) for each breakdown, with the same numbers in a table beside it for screen
readers and for copying.

`standalone_html` is a whole document with its styles inline and nothing fetched (the CLI's
``--format html``, the API's and the console's downloads); the console shows the same
sections inside its own pages (`console/transparency.html`), styled by
``/static/transparency.css``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Response

from bastion import __version__
from bastion.reporting.transparency import (
    LABELS,
    SECTIONS,
    Figure,
    TransparencyReport,
)

_HERE = Path(__file__).parent
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
#: The report's styles, shared by the console (as a file) and the standalone page (inline).
STYLESHEET = _HERE / "static" / "transparency.css"

#: Policy for the standalone page served over HTTP: its inline styles, nothing else at all.
STANDALONE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"  # noqa: E501

# A chart's geometry, in the SVG's own units (it scales to the page's width).
WIDTH = 640
LABEL_WIDTH = 190
BAR_SPACE = 340
ROW = 26
LABEL_CHARACTERS = 26


@dataclass(frozen=True)
class Bar:
    label: str
    #: The label as drawn (cut to fit); the table has it whole.
    drawn: str
    text: str
    width: float
    y: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    #: Every cell, as the table lists them.
    rows: tuple[Bar, ...]
    #: The cells the chart draws: those not zero (withheld ones say so); none when nothing
    #: has a length (the table alone says it then).
    bars: tuple[Bar, ...]

    @property
    def height(self) -> int:
        return ROW * len(self.bars) + 4


@dataclass(frozen=True)
class Headline:
    label: str
    text: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    about: str
    available: bool
    headlines: tuple[Headline, ...]
    charts: tuple[Chart, ...]


def sections(report: TransparencyReport) -> list[SectionView]:
    """The report's sections as the page shows them."""
    views = []
    for section in SECTIONS:
        own = [f for f in report.figures if f.section == section.key and f.group is None]
        groups: dict[str, list[Figure]] = {}
        for f in report.figures:
            if f.section == section.key and f.group is not None:
                groups.setdefault(f.group, []).append(f)
        views.append(
            SectionView(
                key=section.key,
                title=section.title,
                about=section.about,
                available=section.key not in report.unavailable,
                headlines=tuple(
                    Headline(LABELS.get((section.key, f.name), f.name), report.text(f)) for f in own
                ),
                charts=tuple(
                    _chart(report, section.key, group, cells) for group, cells in groups.items()
                ),
            )
        )
    return views


def _chart(report: TransparencyReport, section: str, group: str, cells: list[Figure]) -> Chart:
    # Largest first; a withheld count (1 to the threshold less one) before the zeros.
    ordered = sorted(cells, key=lambda f: (-_rank(f), f.name))
    largest = max((f.value or 0 for f in ordered), default=0)
    rows: list[Bar] = []
    bars: list[Bar] = []
    for f in ordered:
        label = _label(report, group, f.name)
        drawn = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
        width = BAR_SPACE * (f.value or 0) / largest if largest else 0.0
        row = Bar(label, drawn, report.text(f), round(width, 1), ROW * len(bars))
        rows.append(row)
        if largest and (f.value or f.suppressed):
            bars.append(row)
    return Chart(
        id=f"{section}-{group}".replace("_", "-"),
        title=LABELS.get((section, group), group),
        rows=tuple(rows),
        bars=tuple(bars),
    )


def _rank(f: Figure) -> float:
    if f.value is not None:
        return f.value
    return 0.5 if f.suppressed else -1.0


def _label(report: TransparencyReport, group: str, name: str) -> str:
    if group == "by_source":
        kind = report.source_kinds.get(name)
        return name if kind in (None, name) else f"{name} ({kind})"
    if group.startswith(("by_kind", "matched_by_kind", "by_door", "decided_by", "jobs_opened")):
        return name.replace("_", " ")
    if group in ("by_incident_type", "alerts_decided_by_decision") or group.endswith("opinion"):
        return name.replace("_", " ")
    return name


def context(report: TransparencyReport) -> dict[str, Any]:
    """What the templates need to show `report`."""
    last_day = report.period.end - timedelta(days=1)
    return {
        "report": report,
        "sections": sections(report),
        "first_day": _day(report.period.start),
        "last_day": _day(last_day),
        "generated": f"{_day(report.generated_at)}, {report.generated_at:%H:%M} UTC",
        "geometry": {"width": WIDTH, "label": LABEL_WIDTH, "bars": BAR_SPACE, "row": ROW},
    }


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def standalone_html(report: TransparencyReport) -> str:
    """The report as one self-contained HTML document: styles inline, no script, nothing
    fetched."""
    return _templates.get_template("transparency/standalone.html").render(
        css=STYLESHEET.read_text(encoding="utf-8"), version=__version__, **context(report)
    )


#: Each output format: its media type and file name extension.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "html": "text/html; charset=utf-8"}  # fmt: skip


def download(report: TransparencyReport, fmt: str, *, attachment: bool = True) -> Response:
    """`report` as a response in `fmt` (json, csv, html), named after its period."""
    if fmt == "csv":
        body = report.to_csv()
    elif fmt == "html":
        body = standalone_html(report)
    else:
        body = json.dumps(report.to_json(), indent=2) + "\n"
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if fmt == "html":
        headers["Content-Security-Policy"] = STANDALONE_POLICY
    if attachment:
        name = f"transparency-{report.period.start}-{report.period.end}.{fmt}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
