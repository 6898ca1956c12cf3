"""Signed-in browsers of the review console: random tokens, stored only as digests.

`start` makes a new random token at every sign-in and never takes one from the browser, so
a token planted before sign-in (session fixation) never becomes a signed-in session; the
token a browser held before may be named as `replacing` to end it. The table keeps only
the token's SHA-256 as the session's id: a copy of the database signs nobody in. Tokens
carry 256 bits of randomness, so a fast digest is enough (as for API keys).

A session ends after `idle` without a request, or `absolute` after sign-in however busy
(the `session_idle_minutes` and `session_max_hours` settings), when its user is disabled,
and when its user's password is reset or changed (`bastion.auth.users`). Each session has
a CSRF token for the console's forms, compared with `csrf_matches`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from bastion.auth.users import LoginError, User
from bastion.errors import NotFoundError, ValidationError
from bastion.store import Database
from bastion.store.models import SessionRow, UserRow, utcnow

#: How stale `last_seen_at` may be: a busy browser writes it once a minute, not on every
#: request. The idle timeout is therefore kept to within this.
SEEN_GRANULARITY = timedelta(minutes=1)
#: Longer cookies are not ours (ours are 43 characters); they are not even hashed.
_MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class SessionLifetimes:
    """How long a console session lasts (the `session_*` settings)."""

    #: Without a request for this long, it ends.
    idle: timedelta = timedelta(hours=1)
    #: After sign-in, it ends this late however busy.
    absolute: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.absolute <= timedelta(0):
            raise ValidationError("session lifetimes must be positive")


@dataclass(frozen=True)
class StartedSession:
    """A new session: `token` goes in the browser's cookie and is never stored here."""

    token: str = field(repr=False)
    csrf_token: str = field(repr=False)
    #: When it ends at the latest (`absolute` after sign-in), for the cookie.
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    """A session found by its token, with its user as it is now."""

    user: User
    csrf_token: str = field(repr=False)
    created_at: datetime
    #: When it ends at the latest (it ends earlier after `idle` without a request).
    expires_at: datetime


class SessionStore:
    def __init__(
        self,
        db: Database,
        *,
        idle: timedelta = timedelta(hours=1),
        absolute: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.lifetimes = SessionLifetimes(idle=idle, absolute=absolute)
        self._clock = clock

    def start(self, user_id: int, *, replacing: str | None = None) -> StartedSession:
        """A new session for the user (after `UserStore.authenticate`), with a token that
        never existed before; `replacing`, the token the browser held, ends."""
        now = self._clock()
        # 256 random bits: never one that exists (were it, the primary key would refuse it).
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + self.lifetimes.absolute
        with self.db.session() as s:
            user = s.get(UserRow, user_id)
            if user is None:
                raise NotFoundError(f"no user with id {user_id}")
            if user.disabled:
                raise LoginError("this account is disabled")
            if replacing:
                s.execute(delete(SessionRow).where(SessionRow.id == _digest(replacing)))
            s.add(
                SessionRow(
                    id=_digest(token),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                    last_seen_at=now,
                )
            )
        return StartedSession(token, csrf, expires)

    def find(self, token: str | None) -> ActiveSession | None:
        """The live session whose token this is, or None. A session past its time, or of a
        disabled user, ends here; a live one is marked seen (at most once a minute)."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        now = self._clock()
        with self.db.session() as s:
            row = s.get(SessionRow, _digest(token))
            if row is None:
                return None
            user = s.get(UserRow, row.user_id)
            if user is None or user.disabled or self._over(row, now):
                s.delete(row)
                return None
            if now - row.last_seen_at >= SEEN_GRANULARITY:
                row.last_seen_at = now
            return ActiveSession(
                User.from_row(user), row.csrf_token, row.created_at, row.expires_at
            )

    def end(self, token: str | None) -> bool:
        """Sign out: whether there was such a session."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return False
        with self.db.session() as s:
            ended = s.execute(delete(SessionRow).where(SessionRow.id == _digest(token)))
            return bool(ended.rowcount)  # type: ignore[attr-defined]

    def end_all(self, user_id: int) -> int:
        """End every session of the user (sign out everywhere); how many there were."""
        with self.db.session() as s:
            ended = s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            return int(ended.rowcount)  # type: ignore[attr-defined]

    def purge_expired(self) -> int:
        """Delete the sessions past their time (a scheduled chore); how many."""
        now = self._clock()
        with self.db.session() as s:
            purged = s.execute(
                delete(SessionRow).where(
                    or_(
                        SessionRow.expires_at <= now,
                        SessionRow.last_seen_at <= now - self.lifetimes.idle,
                    )
                )
            )
            return int(purged.rowcount)  # type: ignore[attr-defined]

    def _over(self, row: SessionRow, now: datetime) -> bool:
        return now >= row.expires_at or now >= row.last_seen_at + self.lifetimes.idle


def csrf_matches(session: ActiveSession, token: str | None) -> bool:
    """Whether a form's CSRF token is the session's, compared in constant time."""
    if not token:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), token.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
