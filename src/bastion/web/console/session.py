"""Who is signed in to the console: the session cookie, CSRF tokens, and the sign-in redirect.

The cookie holds a random token (the server keeps only its SHA-256, `SessionStore`); it is
HttpOnly, SameSite=Strict and, when the request came over HTTPS (or `console_secure_cookies`
says so behind a proxy), Secure. A new session is made at every sign-in, so a token planted
before it (session fixation) is never signed in. Every form that changes something carries
the session's CSRF token, compared in constant time; the sign-in form, before there is a
session, carries a nonce that must equal a cookie of its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Role
from bastion.auth.sessions import ActiveSession
from bastion.auth.users import User
from bastion.review.reveals import Reviewer
from bastion.web.console.paths import PasswordChangeRequired, SignInRequired
from bastion.web.services import Services, services

SESSION_COOKIE = "bastion_session"
LOGIN_COOKIE = "bastion_login"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, their session's CSRF token and their cookie's token."""

    user: User
    csrf: str
    token: str

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def actor(self) -> str:
        """How the audit log, claims and decisions name this person (``user:<name>``)."""
        return self.user.actor

    def reviewer(self, daily_cap: int) -> Reviewer:
        return Reviewer(self.user.id, self.actor, self.user.role, daily_cap)


async def current_viewer(request: Request, svc: Services) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found: ActiveSession | None = await run_in_threadpool(svc.sessions.find, token)
    return None if found is None else Viewer(found.user, found.csrf_token, token)


async def signed_in(request: Request, svc: Services = Depends(services)) -> Viewer:
    """The route's dependency: the viewer, or a redirect to sign in (or, for a password
    that must be changed first, to the form that changes it)."""
    viewer = await current_viewer(request, svc)
    if viewer is None:
        raise SignInRequired("sign in to use the review console")
    if viewer.user.must_change_password and request.url.path not in ("/password", "/logout"):
        raise PasswordChangeRequired("choose a new password first")
    return viewer


def check_csrf(viewer: Viewer, sent: str | None, svc: Services, target: str) -> None:
    """Refuse (and audit) a form without the session's CSRF token."""
    if not sent or not hmac.compare_digest(sent.encode(), viewer.csrf.encode()):
        svc.audit.record(viewer.actor, "console.csrf_refused", target)
        raise PermissionDeniedError("the form's security token is missing or wrong: reload")


def set_session_cookie(response: Response, request: Request, token: str, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure or request.url.scheme == "https",
        path="/",
    )


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def set_login_cookie(response: Response, request: Request, nonce: str, secure: bool) -> None:
    """The sign-in form's nonce as a cookie too (the form's CSRF defence: double submit)."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=secure or request.url.scheme == "https",
        path="/",
        max_age=3600,
    )


def login_nonce_matches(request: Request, sent: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE)
    return bool(cookie and sent and hmac.compare_digest(cookie.encode(), sent.encode()))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/queues"
