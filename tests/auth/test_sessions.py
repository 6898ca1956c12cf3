"""Console sessions on SQLite and PostgreSQL: fresh tokens stored only as digests, idle and
absolute expiry on a clock moved by hand, and sessions that end with their user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.auth.roles import Role
from bastion.auth.sessions import SessionLifetimes, SessionStore, csrf_matches
from bastion.auth.users import LoginError, UserStore
from bastion.errors import NotFoundError, ValidationError
from bastion.store import Database
from bastion.store.models import SessionRow, UserRow
from tests.auth.conftest import Clock

PASSWORD = "correct horse battery"


@pytest.fixture
def ana(users: UserStore) -> int:
    users.create("root", Role.ADMIN, PASSWORD, actor="cli:test")
    return users.create("ana", Role.REVIEWER, PASSWORD, actor="cli:test").user.id


def rows(db: Database) -> list[SessionRow]:
    with db.session() as s:
        found = list(s.scalars(select(SessionRow)))
        s.expunge_all()
        return found


def test_a_session_finds_its_user_and_csrf_token(
    sessions: SessionStore, users: UserStore, ana: int, clock: Clock
) -> None:
    started = sessions.start(ana)
    assert started.expires_at == clock.now + timedelta(hours=12)
    assert started.token not in repr(started)
    assert started.csrf_token not in repr(started)
    found = sessions.find(started.token)
    assert found is not None
    assert found.user == users.get_by_id(ana)
    assert found.csrf_token == started.csrf_token
    assert (found.created_at, found.expires_at) == (clock.now, started.expires_at)
    assert csrf_matches(found, started.csrf_token)


def test_only_the_tokens_digest_is_stored(sessions: SessionStore, db: Database, ana: int) -> None:
    started = sessions.start(ana)
    (row,) = rows(db)
    assert row.id == hashlib.sha256(started.token.encode()).hexdigest()
    values = [str(getattr(row, c.name)) for c in SessionRow.__table__.columns]
    assert not any(started.token in v for v in values)
    # The digest itself is no token: presented as a cookie, it finds nothing.
    assert sessions.find(row.id) is None


def test_every_sign_in_gets_a_token_that_never_existed(
    sessions: SessionStore, db: Database, ana: int
) -> None:
    """Session fixation: a token planted in the browser before sign-in (here, a real
    session's, and an invented one) never becomes the signed-in session."""
    planted = sessions.start(ana).token
    invented = "attacker-chosen-token-aaaaaaaaaaaaaaaaaaaaaaaaaaa"
    seen = {planted, invented}
    for replacing in (planted, invented, None):
        started = sessions.start(ana, replacing=replacing)
        assert started.token not in seen
        assert started.csrf_token not in seen
        seen |= {started.token, started.csrf_token}
    assert sessions.find(planted) is None  # replaced at sign-in
    assert sessions.find(invented) is None
    tokens = [sessions.start(ana).token for _ in range(30)]
    assert len(set(tokens) | seen) == len(tokens) + len(seen)
    assert len(rows(db)) == 3 + 30  # the planted one went, three sign-ins and 30 came


def test_tokens_that_are_not_ours_find_nothing(sessions: SessionStore, ana: int) -> None:
    sessions.start(ana)
    for token in (None, "", "x", "a" * 10_000, "\x00"):
        assert sessions.find(token) is None
        assert not sessions.end(token)


def test_an_idle_session_ends(sessions: SessionStore, db: Database, ana: int, clock: Clock) -> None:
    started = sessions.start(ana)
    for _ in range(3):  # used every 59 minutes: alive for nearly three hours
        clock.advance(minutes=59)
        assert sessions.find(started.token) is not None
    clock.advance(minutes=60)
    assert sessions.find(started.token) is None
    assert rows(db) == []  # ended, not merely refused


def test_last_seen_is_written_at_most_once_a_minute(
    sessions: SessionStore, db: Database, ana: int, clock: Clock
) -> None:
    started = sessions.start(ana)
    signed_in = clock.now
    clock.advance(seconds=59)
    sessions.find(started.token)
    assert rows(db)[0].last_seen_at == signed_in
    clock.advance(seconds=1)
    sessions.find(started.token)
    assert rows(db)[0].last_seen_at == clock.now


def test_a_busy_session_still_ends_at_its_absolute_time(
    sessions: SessionStore, ana: int, clock: Clock
) -> None:
    started = sessions.start(ana)
    for _ in range(23):
        clock.advance(minutes=30)
        assert sessions.find(started.token) is not None
    clock.advance(minutes=29, seconds=59)
    assert sessions.find(started.token) is not None  # 11:59:59 after sign-in
    clock.advance(seconds=1)
    assert sessions.find(started.token) is None


def test_lifetimes_are_configurable(db: Database, ana: int, clock: Clock) -> None:
    short = SessionStore(db, idle=timedelta(minutes=5), absolute=timedelta(minutes=8),
                         clock=clock)  # fmt: skip
    started = short.start(ana)
    assert started.expires_at == clock.now + timedelta(minutes=8)
    clock.advance(minutes=4)
    assert short.find(started.token) is not None
    clock.advance(minutes=4)
    assert short.find(started.token) is None
    idle = short.start(ana)
    clock.advance(minutes=5)
    assert short.find(idle.token) is None
    with pytest.raises(ValidationError):
        SessionLifetimes(idle=timedelta(0))


def test_a_disabled_users_sessions_are_refused_and_ended(
    sessions: SessionStore, users: UserStore, db: Database, ana: int
) -> None:
    started = sessions.start(ana)
    other = sessions.start(ana)
    # Disabled behind the store's back (an older process, a restored backup): the session
    # store itself refuses the account's sessions.
    with db.session() as s:
        row = s.get(UserRow, ana)
        assert row is not None
        row.disabled = True
    assert sessions.find(started.token) is None
    assert [r.id for r in rows(db)] == [hashlib.sha256(other.token.encode()).hexdigest()]
    assert sessions.find(other.token) is None
    assert rows(db) == []
    with pytest.raises(LoginError):
        sessions.start(ana)
    with pytest.raises(NotFoundError):
        sessions.start(ana + 100)


def test_a_role_change_shows_at_the_next_request(
    sessions: SessionStore, users: UserStore, ana: int
) -> None:
    started = sessions.start(ana)
    users.set_role("ana", Role.LEAD, actor="cli:test")
    found = sessions.find(started.token)
    assert found is not None
    assert found.user.role is Role.LEAD


def test_sign_out_here_and_everywhere(
    sessions: SessionStore, users: UserStore, db: Database, ana: int
) -> None:
    root = users.get("root").id
    here, there, elsewhere = (sessions.start(ana) for _ in range(3))
    roots = sessions.start(root)
    assert sessions.end(here.token)
    assert not sessions.end(here.token)
    assert sessions.find(here.token) is None
    assert sessions.find(there.token) is not None
    assert sessions.end_all(ana) == 2
    assert sessions.find(elsewhere.token) is None
    assert sessions.find(roots.token) is not None
    assert len(rows(db)) == 1


def test_purge_deletes_only_sessions_past_their_time(
    sessions: SessionStore, db: Database, ana: int, clock: Clock
) -> None:
    old = sessions.start(ana)
    busy = sessions.start(ana)
    for _ in range(12):
        clock.advance(minutes=55)
        sessions.find(busy.token)
    idle = sessions.start(ana)  # at 11:00
    clock.advance(minutes=40)
    sessions.find(busy.token)
    fresh = sessions.start(ana)  # at 11:40
    clock.advance(minutes=21)
    # At 12:01: busy is past 12 h (seen 21 min ago), idle unseen for 61 min, old both.
    assert sessions.purge_expired() == 3
    assert [r.id for r in rows(db)] == [hashlib.sha256(fresh.token.encode()).hexdigest()]
    assert sessions.find(fresh.token) is not None
    assert all(sessions.find(s.token) is None for s in (old, busy, idle))


def test_csrf_tokens_are_compared_whole(sessions: SessionStore, ana: int) -> None:
    started = sessions.start(ana)
    found = sessions.find(started.token)
    assert found is not None
    assert csrf_matches(found, started.csrf_token)
    other = sessions.find(sessions.start(ana).token)
    assert other is not None
    for wrong in (None, "", started.csrf_token[:-1], started.csrf_token + "x",
                  other.csrf_token, started.csrf_token.upper(), "é"):  # fmt: skip
        assert not csrf_matches(found, wrong)
