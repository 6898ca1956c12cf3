"""Signing in and out, a reviewer's own wellbeing page, and the team page of leads."""

from __future__ import annotations

from datetime import UTC, datetime

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Permission, allows
from bastion.errors import BastionError, ValidationError
from bastion.web.console.render import page
from bastion.web.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    current_viewer,
    login_nonce_matches,
    new_login_nonce,
    safe_next,
    set_login_cookie,
    set_session_cookie,
    signed_in,
)
from bastion.web.services import Services, services

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(
    request: Request, next: str | None = None, svc: Services = Depends(services)
) -> Response:
    """The console for a signed-in person; else the sign-in form and what the service is."""
    if await current_viewer(request, svc) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, svc, next=next)


def _sign_in_page(
    request: Request, svc: Services, *, next: str | None, error: str | None = None
) -> Response:
    nonce = new_login_nonce()
    response = page("index.html", status=401 if error else 200, console=True, error=error,
                    next=safe_next(next), nonce=nonce)  # fmt: skip
    set_login_cookie(response, request, nonce, svc.settings.console_secure_cookies)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    code: str = Form(""),
    nonce: str = Form(""),
    next: str = Form("/queues"),
    svc: Services = Depends(services),
) -> Response:
    if not login_nonce_matches(request, nonce):
        svc.audit.record(username[:64] or "-", "console.login_refused", "login", reason="nonce")
        return _sign_in_page(request, svc, next=next, error="The form expired: sign in again.")
    try:
        user = await run_in_threadpool(
            svc.users.authenticate, username, password, code.strip() or None
        )
    except BastionError as error:
        return _sign_in_page(request, svc, next=next, error=error.message)
    # A new session whatever cookie came in: a token planted before sign-in stays out.
    started = await run_in_threadpool(
        lambda: svc.sessions.start(user.id, replacing=request.cookies.get(SESSION_COOKIE))
    )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, started.token, svc.settings.console_secure_cookies)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    csrf: str = Form(""), viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    check_csrf(viewer, csrf, svc, "logout")
    svc.sessions.end(viewer.token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_form(viewer: Viewer = Depends(signed_in)) -> Response:
    return page("console/password.html", viewer=viewer, error=None)


@router.post("/password")
def change_password(
    request: Request,
    csrf: str = Form(""),
    old: str = Form(""),
    new: str = Form(""),
    again: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """The person's own new password; every session of theirs ends, and this browser gets
    a new one."""
    check_csrf(viewer, csrf, svc, "password")
    try:
        if new != again:
            raise ValidationError("the two new passwords differ")
        svc.users.change_password(viewer.user.id, old, new)
    except BastionError as error:
        return page("console/password.html", status=400, viewer=viewer, error=error.message)
    started = svc.sessions.start(viewer.user.id)
    response = RedirectResponse("/queues", status_code=303)
    set_session_cookie(response, request, started.token, svc.settings.console_secure_cookies)
    return response


@router.get("/me")
def me(viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)) -> Response:
    """A reviewer's own exposure, and how media is shown to them."""
    wellness = svc.review.wellness.organisation().personal(
        viewer.user.preferences, viewer.user.daily_reveal_cap
    )
    history = svc.review.reveals.history(viewer.user.id, days=14)
    return page("console/me.html", viewer=viewer, wellness=wellness, history=history,
                today=history[-1][1], peak=max([n for _, n in history] + [1]))  # fmt: skip


@router.post("/me/preferences")
def my_preferences(
    csrf: str = Form(""),
    blur: int = Form(...),
    greyscale: bool = Form(False),
    autoplay: bool = Form(False),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, "me")
    svc.users.set_preferences(
        viewer.user.id, {"blur": blur, "greyscale": greyscale, "autoplay": autoplay}
    )
    return RedirectResponse("/me?saved=1", status_code=303)


@router.get("/me/second-factor")
def second_factor(viewer: Viewer = Depends(signed_in)) -> Response:
    """Whether sign-in asks this person for a code, and how to change that."""
    return page("console/second_factor.html", viewer=viewer, setup=None, qr=None, error=None)


@router.post("/me/second-factor")
def start_second_factor(
    csrf: str = Form(""), viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)
) -> Response:
    """A new secret for the person's authenticator app, shown once as a QR code and as text;
    sign-in asks for codes only once a code confirms it."""
    check_csrf(viewer, csrf, svc, "me")
    setup = svc.users.enable_totp(viewer.name, actor=viewer.actor, confirm=True)
    qr = segno.make(setup.uri, error="m").svg_data_uri(scale=5, border=2)
    return page("console/second_factor.html", viewer=viewer, setup=setup, qr=qr, error=None)


@router.post("/me/second-factor/confirm")
def confirm_second_factor(
    csrf: str = Form(""),
    code: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    check_csrf(viewer, csrf, svc, "me")
    try:
        svc.users.confirm_totp(viewer.name, code.strip(), actor=viewer.actor)
    except BastionError as error:
        return page("console/second_factor.html", status=400, viewer=viewer, setup=None,
                    qr=None, error=f"{error.message}; start again")  # fmt: skip
    return RedirectResponse("/me/second-factor?on=1", status_code=303)


@router.post("/me/second-factor/off")
def turn_off_second_factor(
    csrf: str = Form(""),
    password: str = Form(""),
    code: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    """Only with the password and a current code: a session alone cannot weaken sign-in."""
    check_csrf(viewer, csrf, svc, "me")
    try:
        svc.users.authenticate(viewer.name, password, code.strip() or None)
    except BastionError as error:
        return page("console/second_factor.html", status=400, viewer=viewer, setup=None,
                    qr=None, error=error.message)  # fmt: skip
    svc.users.disable_totp(viewer.name, actor=viewer.actor)
    return RedirectResponse("/me/second-factor", status_code=303)


@router.get("/team")
def team(viewer: Viewer = Depends(signed_in), svc: Services = Depends(services)) -> Response:
    """For leads: the organisation's wellness defaults and each person's cap and exposure."""
    _require_lead(viewer)
    wellness = svc.review.wellness.organisation()
    today = datetime.now(UTC).date()
    people = [(u, svc.review.reveals.exposure(u.id, today)) for u in svc.users.list()]
    return page("console/team.html", viewer=viewer, wellness=wellness, people=people)


@router.post("/team/wellness")
def team_wellness(
    csrf: str = Form(""),
    blur: int = Form(...),
    greyscale: bool = Form(False),
    autoplay: bool = Form(False),
    daily_cap: int = Form(...),
    break_after: int = Form(...),
    break_minutes: int = Form(...),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    _require_lead(viewer)
    check_csrf(viewer, csrf, svc, "team")
    svc.review.wellness.set_organisation(
        blur=blur, greyscale=greyscale, autoplay=autoplay, daily_cap=daily_cap,
        break_after=break_after, break_minutes=break_minutes,
    )  # fmt: skip
    svc.audit.record(viewer.actor, "console.wellness_defaults", "organisation")
    return RedirectResponse("/team?saved=1", status_code=303)


@router.post("/team/cap")
def team_cap(
    csrf: str = Form(""),
    username: str = Form(...),
    cap: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    svc: Services = Depends(services),
) -> Response:
    _require_lead(viewer)
    check_csrf(viewer, csrf, svc, "team")
    chosen = None if cap.strip() == "" else _whole(cap, "cap")
    svc.users.set_daily_reveal_cap(username, chosen, actor=viewer.actor)
    return RedirectResponse("/team?saved=1", status_code=303)


def _require_lead(viewer: Viewer) -> None:
    if not allows(viewer.role, Permission.MANAGE_QUEUES):
        raise PermissionDeniedError("only leads and admins manage the team's settings")


def _whole(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{field} must be a whole number") from None
