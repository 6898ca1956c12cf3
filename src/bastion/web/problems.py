"""Errors as RFC 9457 problem responses: ``application/problem+json`` with a stable `type`.

`type` is ``/problems/<code>``, where `code` is the `BastionError` subclass's stable code, so
clients can branch on it; `title` is fixed per status and `detail` is the one-line message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from bastion.auth import AuthenticationError, LoginError, PermissionDeniedError, RateLimitedError
from bastion.e2ee import QuotaExceededError
from bastion.errors import (
    BastionError,
    ConfigurationError,
    ConflictError,
    CorruptMediaError,
    ImportFormatError,
    InvalidSignalError,
    MediaError,
    MediaTooLargeError,
    NotFoundError,
    StorageError,
    UnsupportedMediaError,
    ValidationError,
)
from bastion.media import FetchError, ForbiddenAddressError, InvalidUrlError
from bastion.reporting.platform_info import PlatformInfoError
from bastion.reporting.sink import SinkError
from bastion.review.vault import EvidenceIntegrityError
from bastion.web.console.paths import PasswordChangeRequired, SignInRequired, is_console
from bastion.web.console.render import error_page, sign_in_redirect

log = logging.getLogger("bastion.web")

PROBLEM_JSON = "application/problem+json"
#: Paths of the HMA-compatible routes, whose errors keep HMA's body.
HMA_PREFIXES = ("/h/", "/m/", "/c/")

# Most specific first: the first class an error is an instance of decides its status.
_STATUS: tuple[tuple[type[BastionError], int], ...] = (
    (AuthenticationError, 401),
    (LoginError, 401),
    (PermissionDeniedError, 403),
    (RateLimitedError, 429),
    (QuotaExceededError, 429),
    (NotFoundError, 404),
    (ConflictError, 409),
    (MediaTooLargeError, 413),
    (ForbiddenAddressError, 400),
    (InvalidUrlError, 400),
    (FetchError, 502),
    (SinkError, 502),  # the CyberTipline refused or failed: not the caller's mistake
    (PlatformInfoError, 502),
    (UnsupportedMediaError, 415),
    (CorruptMediaError, 422),
    (MediaError, 422),
    (InvalidSignalError, 400),
    (ImportFormatError, 400),
    (ValidationError, 400),
    (EvidenceIntegrityError, 500),  # a damaged object: retrying will not help
    (StorageError, 503),
    (ConfigurationError, 500),
)


def status_for(error: BastionError) -> int:
    return next((status for cls, status in _STATUS if isinstance(error, cls)), 400)


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": _title(status),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def error_response(request: Request, status: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem document, or HMA's ``{"message": ...}`` on the HMA-compatible routes."""
    return error_at(request.url.path, status, code, detail, **extra)


def error_at(path: str, status: int, code: str, detail: str, **extra: Any) -> Response:
    """`error_response` for a request known only by its path (in ASGI middleware)."""
    if is_console(path):  # a person's browser: a page, not a problem document
        return error_page(status, detail)
    if path.startswith(HMA_PREFIXES):
        return JSONResponse({"message": detail}, status_code=status)
    return problem(status, code, detail, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(BastionError)
    async def bastion_error(request: Request, error: BastionError) -> Response:
        if isinstance(error, SignInRequired):
            return sign_in_redirect(request)
        if isinstance(error, PasswordChangeRequired):
            return RedirectResponse("/password", status_code=303)
        status = getattr(error, "status", None) or status_for(error)
        if request.url.path.startswith(HMA_PREFIXES) and isinstance(error, FetchError):
            status = 400  # HMA answers 400 for every URL it cannot fetch
        response = error_response(request, status, error.code, error.message)
        if isinstance(error, AuthenticationError) and not is_console(request.url.path):
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, RateLimitedError):
            response.headers["Retry-After"] = str(max(1, round(error.retry_after)))
        if status >= 500:
            log.error("request failed: %s %s: %s", request.method, request.url.path, error.code)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"location": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        first = errors[0] if errors else {"location": [], "message": "invalid request"}
        detail = f"{'.'.join(first['location'])}: {first['message']}"
        return error_response(request, 422, "invalid-request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        response = error_response(request, error.status_code, code, str(error.detail))
        response.headers.update(error.headers or {})
        if error.status_code == 405 and (methods := allowed_methods(request)):
            response.headers["Allow"] = ", ".join(methods)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal", "internal error; see the server log")


#: The methods a 405's `Allow` may name.
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at the request's path (RFC 9110: the `Allow` of a 405).

    Starlette's own 405 names only the methods of the first route at that path, while
    FastAPI declares one route per method (`GET` and `POST /api/v1/hash` are two routes), so
    each method is tried against every route. A mounted app matches every method: it names
    its own (see `bastion.web.pages`).
    """
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
