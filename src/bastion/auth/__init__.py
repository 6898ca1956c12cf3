"""Who may call the service and who may use the console: API keys with scopes and rate
limits; console users with roles, passwords, a second factor and sessions."""

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
from bastion.auth.roles import Permission, Role
from bastion.auth.sessions import (
    ActiveSession,
    SessionLifetimes,
    SessionStore,
    StartedSession,
    csrf_matches,
)
from bastion.auth.users import (
    AccountLockedError,
    LoginError,
    LoginPolicy,
    NewUser,
    TotpSetup,
    User,
    UserStore,
)

__all__ = [
    "AccountLockedError",
    "ActiveSession",
    "ApiKey",
    "ApiKeyStore",
    "AuthenticationError",
    "BankPermission",
    "LoginError",
    "LoginPolicy",
    "NewApiKey",
    "NewUser",
    "Permission",
    "PermissionDeniedError",
    "RateLimitedError",
    "RateLimiter",
    "Role",
    "Scope",
    "SessionLifetimes",
    "SessionStore",
    "StartedSession",
    "TotpSetup",
    "User",
    "UserStore",
    "csrf_matches",
]
