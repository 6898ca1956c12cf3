"""The service's pages: a landing page at `/`, and the API docs (Swagger UI at `/docs`,
ReDoc at `/redoc`), server-rendered, with every asset served from installed packages.

The pages are public and hold no data: the landing page says what the service is and how to
get a key, and the docs pages are shells that ask their reader for a key, keep it in the
browser tab's sessionStorage, and fetch `/openapi.json` with it (the document lists every
route and parameter, so it needs a key like any route but the health checks). Nothing is
loaded from elsewhere, so the docs work on a network without internet access, and every page
and asset carries a Content-Security-Policy that allows this server only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import fastapi_standalone_docs
import jinja2
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from bastion import __version__

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Scripts, styles, images and requests from this server only (Swagger UI draws its icons as
#: data: images), and no framing (no clickjacking).
_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Headers on every page and asset; no URL leaves in a Referer header.
SECURITY_HEADERS = {
    "Content-Security-Policy": _POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_HERE = Path(__file__).parent
#: Swagger UI (Apache-2.0) and ReDoc (MIT), with their licences, from `fastapi-standalone-docs`.
_VIEWERS = Path(fastapi_standalone_docs.__file__).parent / "static"
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

router = APIRouter(include_in_schema=False)


def _page(template: str, **context: object) -> HTMLResponse:
    html = _templates.get_template(template).render(version=__version__, **context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


#: The landing page of a process without the console (`ui` role): what the service is.
landing = APIRouter(include_in_schema=False)


@landing.get("/")
def landing_page() -> HTMLResponse:
    return _page("index.html", console=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return _page("swagger.html")


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc writes its styles into <style> elements as it renders, and runs its search in a
    worker it makes from a blob: its policy allows both (scripts stay this server's only)."""
    response = _page("redoc.html")
    response.headers["Content-Security-Policy"] = (
        f"{_POLICY}; style-src 'self' 'unsafe-inline'; worker-src blob:"
    )
    return response


@router.get("/redoc/logo-mini.svg")
def redoc_logo() -> FileResponse:
    """Redocly's logo, which ReDoc shows in its menu from below the page's own path (the
    package's build fetches it from here rather than from Redocly)."""
    return _asset(_VIEWERS / "redoc" / "logo-mini.svg")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The icon browsers ask for by this name on any page, plain-text ones included."""
    return _asset(_HERE / "static" / "bastion.svg")


def _asset(path: Path) -> FileResponse:
    return FileResponse(path, media_type="image/svg+xml", headers=SECURITY_HEADERS)


class _Assets:
    """ASGI wrapper of the static files: `SECURITY_HEADERS` on every response, and a 405
    that names the methods it serves."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def install_pages(app: FastAPI) -> None:
    """The pages, bastion's assets at `/static/`, Swagger UI's at `/static/swagger/` and
    ReDoc's at `/static/redoc/`."""
    app.include_router(router)
    for viewer in ("swagger", "redoc"):
        app.mount(
            f"/static/{viewer}",
            _Assets(StaticFiles(directory=_VIEWERS / viewer)),
            name=f"{viewer}-assets",
        )
    app.mount(
        "/static",
        _Assets(StaticFiles(directory=_HERE / "static")),
        name="assets",
    )
