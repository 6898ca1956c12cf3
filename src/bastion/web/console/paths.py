"""The review console's paths, which people reach with a session cookie instead of an API key
(each of their routes requires a signed-in session, `bastion.web.console.session`), and whose
errors are pages rather than problem documents."""

from __future__ import annotations

from bastion.errors import BastionError

CONSOLE_PATHS = frozenset(
    {
        "/login",
        "/logout",
        "/password",
        "/queues",
        "/me",
        "/team",
        "/reports",
        "/reporting",
        "/transparency",
        "/triage",
        "/scans",
    }
)
CONSOLE_PREFIXES = (
    "/queues/", "/jobs/", "/cases/", "/reveal/", "/me/", "/team/", "/reports/", "/reporting/",
    "/transparency/",
)  # fmt: skip


def is_console(path: str) -> bool:
    return path in CONSOLE_PATHS or path.startswith(CONSOLE_PREFIXES)


class SignInRequired(BastionError):
    """A console page asked for without a session: the browser is sent to sign in."""

    code = "sign-in-required"


class PasswordChangeRequired(BastionError):
    """A person whose password was generated (first run, reset) must choose their own."""

    code = "password-change-required"
