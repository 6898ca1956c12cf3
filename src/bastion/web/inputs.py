"""What a request carries, checked at the door, for every route of the service.

Every router is an `api_router()`, whose routes parse a JSON body with
`bastion.validation.parse_json` before anything else reads it: NaN and Infinity, lone
surrogates, NUL characters, integers past 64 bits and nesting past `REQUEST_LIMITS` are a
400 problem naming the field (``body.metadata.a: ...``), so no route, and no table, ever
sees them. Routes that read the body themselves (HMA's) get the checked value from
`request.json()`. Query and path parameters holding a NUL character are refused the same
way (SQLite would compare them, PostgreSQL refuses them: one answer for both).
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from bastion.validation import REQUEST_LIMITS, checked_text, parse_json

#: Longest query or path parameter (a URL to fetch, a text to look up).
_MAX_PARAMETER = 64 * 1024


class CheckedJsonRequest(Request):
    """A request whose `json()` is `parse_json` of its body (computed once)."""

    _checked: Any

    async def json(self) -> Any:
        if not hasattr(self, "_checked"):
            self._checked = parse_json(await self.body(), "body", REQUEST_LIMITS)
        return self._checked


class CheckedJsonRoute(APIRoute):
    """A route that checks a JSON body before FastAPI parses it into the route's models.

    FastAPI turns any error raised while it reads a body into a bare "error parsing the
    body", so the body is parsed here first, where a `ValidationError` reaches the problem
    handlers with its message; FastAPI then reads the value already parsed.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            request = CheckedJsonRequest(request.scope, request.receive)
            for name, value in [*request.query_params.multi_items(), *_path_params(request)]:
                checked_text(value, name, max_length=_MAX_PARAMETER)
            if _declares_json(request.headers.get("content-type")) and await request.body():
                await request.json()
            return await handler(request)

        return checked


def api_router(**options: Any) -> APIRouter:
    """An `APIRouter` whose routes check their JSON bodies (see the module docstring)."""
    return APIRouter(route_class=CheckedJsonRoute, **options)


def _path_params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.path_params.items() if isinstance(v, str)]


def _declares_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
