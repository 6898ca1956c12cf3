"""The authentication dependency: every route but the health checks asks for a scope."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from bastion.auth import ApiKey, PermissionDeniedError, Scope
from bastion.web.services import Services, services

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency that authenticates the caller, checks `scope` and the key's rate limit."""

    def dependency(
        svc: Services = Depends(services),
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header_key: str | None = Depends(_header),
    ) -> ApiKey:
        key = svc.keys.authenticate(bearer.credentials if bearer else header_key)
        if not key.allows(scope):
            raise PermissionDeniedError(f"this API key lacks the '{scope}' scope")
        svc.limiter.check(key.id, key.rate_limit)
        return key

    return dependency
