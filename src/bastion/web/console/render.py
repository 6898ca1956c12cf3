"""The console's templates: one Jinja2 environment, pages with the site's security headers
and `Cache-Control: no-store` (a page about a case should not outlive the session in a
shared browser's cache)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion import __version__
from bastion.triage.findings import Finding, FindingKind
from bastion.web.pages import SECURITY_HEADERS

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

NO_STORE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            break
    else:
        text = f"{seconds} s"
    return f"in {text}" if future else f"{text} ago"


def _finding(finding: Finding) -> str:
    """A finding in words: "classifier opennsfw/nsfw 0.93", "bank_match ncmec (distance 4)"."""
    name = finding.kind.value.replace("_", " ")
    where = "/".join(part for part in (finding.source, finding.label) if part)
    if finding.kind in (FindingKind.BANK_MATCH, FindingKind.NEAR_MISS):
        value = f"(distance {finding.score:g})"
    elif finding.kind in (FindingKind.CLASSIFIER, FindingKind.OUTSIDE_MATCH):
        value = f"{finding.score:.2f}"
    else:
        value = f"x{finding.score:g}"
    return " ".join(part for part in (name, where, value) if part)


_templates.filters["ago"] = _ago
_templates.filters["finding"] = _finding
_templates.globals["zip"] = zip


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(version=__version__, **context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def error_page(status: int, detail: str) -> HTMLResponse:
    """An error of the console, as a page a person reads."""
    titles = {400: "That did not work", 401: "Sign in", 403: "Not allowed", 404: "Not found",
              409: "Someone else got there first", 422: "That did not work"}  # fmt: skip
    title = titles.get(status, "Something went wrong")
    return page("console/error.html", status=status, title=title, detail=detail)


def sign_in_redirect(request: Request) -> Response:
    """To the sign-in form, and back here after it (for a page); 401 for a form sent."""
    if request.method not in ("GET", "HEAD"):
        return error_page(401, "Your session has ended: sign in again.")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/?{urlencode({'next': target})}", status_code=303)
