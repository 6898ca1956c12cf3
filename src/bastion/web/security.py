"""Who may call: every path but the public ones needs an API key, checked before the body.

FastAPI reads a route's form or JSON body before it runs the route's dependencies, so a
dependency alone would receive, parse and spool a 100 MB upload from anyone before it answered
401. `Authenticator`, an ASGI middleware in front of the app, authenticates from the headers
alone and answers 401 without reading a byte of the body; it leaves the key in the request's
scope, and `require(scope)`, each route's dependency, checks the key's scope and rate limit.

Both run on the event loop: a key authenticated a moment ago is recalled from memory, and
only a key not seen for a few seconds is read from the database, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bastion.auth import (
    ApiKey,
    ApiKeyStore,
    AuthenticationError,
    BankPermission,
    PermissionDeniedError,
    Scope,
)
from bastion.errors import BastionError
from bastion.web.console.paths import is_console
from bastion.web.problems import error_at, status_for
from bastion.web.services import Services, services

AsgiScope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[AsgiScope, Receive, Send], Awaitable[None]]

#: Paths anyone may fetch. The health checks, for load balancers and orchestrators; the
#: landing page, the shells of the API docs and the icon, which hold no data (the docs fetch
#: the OpenAPI document with the key their reader enters). Every other path, unknown ones and
#: `/openapi.json` included, needs a key.
PUBLIC_PATHS = frozenset(
    {"/status", "/status/live", "/", "/docs", "/redoc", "/redoc/logo-mini.svg", "/favicon.ico"}
)
#: The pages' stylesheets, scripts and icons (bastion's own and the docs viewers').
PUBLIC_PREFIX = "/static/"
#: Where `Authenticator` leaves the caller's key in the ASGI scope.
_KEY_IN_SCOPE = "bastion.api_key"

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIX)


class Authenticator:
    """ASGI middleware: 401 for a request to a non-public path without a valid key, answered
    from its headers before any of its body is read."""

    def __init__(self, app: AsgiApp, keys: ApiKeyStore, *, console: bool = False) -> None:
        self.app = app
        self.keys = keys
        #: The review console runs here: its paths are left to its session check.
        self.console = console

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        # Only HTTP: the service has no websocket routes, and `require` refuses any request
        # that reached a route without a key in its scope.
        path = scope.get("path", "")
        if scope["type"] != "http" or is_public(path) or (self.console and is_console(path)):
            await self.app(scope, receive, send)
            return
        secret = _secret(scope)
        try:
            key = self.keys.recall(secret)
            if key is None:
                key = await run_in_threadpool(self.keys.authenticate, secret)
        except BastionError as error:  # unauthenticated, or the key table unreachable
            response = error_at(scope["path"], status_for(error), error.code, error.message)
            if isinstance(error, AuthenticationError):
                response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        scope[_KEY_IN_SCOPE] = key
        await self.app(scope, receive, send)


def _secret(scope: AsgiScope) -> str | None:
    """The key sent as ``Authorization: Bearer KEY`` or else as ``X-API-Key: KEY``."""
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    scheme, _, credentials = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    header_key = headers.get(b"x-api-key")
    return header_key.decode("latin-1") if header_key else None


def require(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that checks the caller's key (found by `Authenticator`) for `scope` and
    its rate limit."""

    async def dependency(
        request: Request,
        svc: Services = Depends(services),
        # Declared so that the OpenAPI document names both ways to send a key (and Swagger
        # UI offers them); the key itself was read by `Authenticator`.
        _bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        _header: str | None = Depends(_header),
    ) -> ApiKey:
        key: ApiKey | None = request.scope.get(_KEY_IN_SCOPE)
        if key is None:  # a route reached without `Authenticator` in front: refuse
            raise AuthenticationError("an API key is required (header 'Authorization: Bearer KEY')")
        if not key.allows(scope):
            raise PermissionDeniedError(f"this API key lacks the '{scope}' scope")
        svc.limiter.check(key.id, key.rate_limit)
        return key

    return dependency


def readable_banks(key: ApiKey, asked: Collection[str] | None = None) -> Collection[str] | None:
    """The banks a match for `key` may look in: `asked` (None: every bank) less those the key
    may not read. Naming a bank it may not read is refused rather than quietly dropped, so
    the caller never mistakes "not allowed" for "no match"."""
    if key.bank_grants is None:
        return asked
    for bank in sorted(asked or ()):
        key.check_bank(bank, BankPermission.READ)
    if asked is not None:
        return asked
    return frozenset(b for b, granted in key.bank_grants.items() if BankPermission.READ in granted)


def every_bank(scope: Scope, why: str) -> Callable[..., Awaitable[ApiKey]]:
    """`require(scope)` for routes that cannot be limited to some banks (`why`): a key limited
    to some banks is refused."""
    required = require(scope)

    async def dependency(key: ApiKey = Depends(required)) -> ApiKey:
        if key.bank_grants is not None:
            raise PermissionDeniedError(f"a key limited to some banks cannot use this route: {why}")
        return key

    return dependency
