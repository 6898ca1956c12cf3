"""The authentication dependency: every route but the health checks asks for a scope.

It runs on the event loop: a key authenticated a moment ago is recalled from memory, and only
a key not seen for a few seconds is read from the database, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, PermissionDeniedError, Scope
from bastion.web.services import Services, services

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def require(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that authenticates the caller, checks `scope` and the key's rate limit."""

    async def dependency(
        svc: Services = Depends(services),
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header_key: str | None = Depends(_header),
    ) -> ApiKey:
        secret = bearer.credentials if bearer else header_key
        key = svc.keys.recall(secret)
        if key is None:
            key = await run_in_threadpool(svc.keys.authenticate, secret)
        if not key.allows(scope):
            raise PermissionDeniedError(f"this API key lacks the '{scope}' scope")
        svc.limiter.check(key.id, key.rate_limit)
        return key

    return dependency
