"""Who may call the service: API keys with scopes and rate limits."""

from bastion.auth.keys import (
    ApiKey,
    ApiKeyStore,
    AuthenticationError,
    BankPermission,
    NewApiKey,
    PermissionDeniedError,
    Scope,
)
from bastion.auth.rate_limit import RateLimitedError, RateLimiter

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "AuthenticationError",
    "BankPermission",
    "NewApiKey",
    "PermissionDeniedError",
    "RateLimitedError",
    "RateLimiter",
    "Scope",
]
