"""`bastion user ...`: the people who sign in to the review console, their roles, passwords
and second factor, managed by the operator on the server."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.auth import User
    from bastion.cli.context import CliContext

app = typer.Typer(help="Manage the people who use the review console.", no_args_is_help=True)

#: Every `bastion.auth.Role` (a test keeps them in step), written out so that declaring the
#: options does not import the user store.
ROLES = "admin, lead, reviewer, child_safety_reviewer or analyst"


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username: 1-64 letters, digits and . _ - @"),
    role: str = typer.Option(..., "--role", "-r", metavar="ROLE", help=f"{ROLES}."),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from the first line of standard input instead of generating "
        "one (which the user must change at first sign-in).",
    ),
) -> None:
    """Create a user; a generated password is printed once."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    password = None
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            raise ValidationError("--password-stdin: standard input holds no password")
    new = cli.bastion.users.create(name, role, password, actor=cli_actor())
    if password_stdin:
        cli.out.print(f"created user {name} ({new.user.role})", markup=False)
        return
    cli.err.print(
        f"created user {name} ({new.user.role}); the password is shown only this once and "
        "must be changed at first sign-in:",
        markup=False,
    )
    cli.out.print(new.password, markup=False)


@app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List users: role, whether disabled, TOTP, last sign-in and lockout."""
    cli: CliContext = ctx.obj
    users = cli.bastion.users.list()
    now = datetime.now(UTC)
    if as_json:
        doc = [
            {
                "username": u.username,
                "role": u.role.value,
                "disabled": u.disabled,
                "totp": _totp(u),
                "must_change_password": u.must_change_password,
                "daily_reveal_cap": u.daily_reveal_cap,
                "created_at": u.created_at.isoformat(),
                "last_login_at": _iso(u.last_login_at),
                "locked_until": _iso(_locked_until(u, now)),
            }
            for u in users
        ]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table("username", "role", "disabled", "TOTP", "last login (UTC)", "locked")
    for u in users:
        table.add_row(
            u.username,
            u.role.value,
            "yes" if u.disabled else "no",
            _totp(u),
            f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never",
            f"until {locked:%H:%M} UTC" if (locked := _locked_until(u, now)) else "no",
        )
    cli.out.print(table)


@app.command("disable")
def disable(ctx: typer.Context, name: str = typer.Argument(..., help="Username.")) -> None:
    """Refuse the user's sign-ins and end their sessions."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.bastion.users.disable(name, actor=cli_actor())
    cli.out.print(f"disabled user {name}", markup=False)


@app.command("enable")
def enable(ctx: typer.Context, name: str = typer.Argument(..., help="Username.")) -> None:
    """Let the user sign in again; also ends a lockout after too many failures."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.bastion.users.enable(name, actor=cli_actor())
    cli.out.print(f"enabled user {name}", markup=False)


@app.command("reset")
def reset(ctx: typer.Context, name: str = typer.Argument(..., help="Username.")) -> None:
    """Give the user a new generated password, printed once, to be changed at the next
    sign-in; ends their sessions and any lockout, and keeps their TOTP."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    new = cli.bastion.users.reset(name, actor=cli_actor())
    cli.err.print(
        f"reset the password of {name}; the new one is shown only this once and must be "
        "changed at the next sign-in:",
        markup=False,
    )
    cli.out.print(new.password, markup=False)


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username."),
    role: str = typer.Argument(..., metavar="ROLE", help=f"{ROLES}."),
) -> None:
    """Change the user's role; it applies to their next request."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    user = cli.bastion.users.set_role(name, role, actor=cli_actor())
    cli.out.print(f"user {name} is now {user.role}", markup=False)


@app.command("totp")
def totp(ctx: typer.Context, name: str = typer.Argument(..., help="Username.")) -> None:
    """Turn on a TOTP second factor for the user and print its otpauth:// URI and secret
    once, for their authenticator app; from now on sign-in asks for a code. Replaces an
    earlier secret."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    setup = cli.bastion.users.enable_totp(name, actor=cli_actor(), confirm=False)
    cli.err.print(
        f"TOTP is on for {name}; give them this URI (or the secret after it) for their "
        "authenticator app. It is shown only this once:",
        markup=False,
    )
    cli.out.print(setup.uri, markup=False)
    cli.out.print(setup.secret, markup=False)


@app.command("cap")
def cap(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username."),
    reveals: str = typer.Argument(
        ..., metavar="N|none", help="Reveals a day, or none for the organisation's cap."
    ),
) -> None:
    """Set how many reveals of media a day the user may make."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    if reveals.strip().lower() == "none":
        daily = None
    else:
        try:
            daily = int(reveals)
        except ValueError:
            raise ValidationError(
                f"the cap is a number of reveals a day or 'none', not {reveals!r}"
            ) from None
    cli.bastion.users.set_daily_reveal_cap(name, daily, actor=cli_actor())
    shown = "the organisation's cap" if daily is None else f"{daily} reveals a day"
    cli.out.print(f"user {name}: {shown}", markup=False)


def _totp(user: User) -> str:
    if user.totp_enabled:
        return "on"
    return "pending" if user.totp_pending else "off"


def _locked_until(user: User, now: datetime) -> datetime | None:
    return user.locked_until if user.locked(now) else None


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
