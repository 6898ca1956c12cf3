"""What the account tests share: a clock to move by hand, and a user store on a real
database with a real credential box and a real (cheap) Argon2id hasher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet

from bastion.auth.passwords import Passwords
from bastion.auth.sessions import SessionStore
from bastion.auth.users import LoginPolicy, UserStore
from bastion.exchange.secrets import CredentialBox
from bastion.store import Database

#: Argon2id at its cheapest, so that the many sign-ins of these tests stay quick; the
#: defaults are used by the CLI's tests and by `test_a_hash_made_with_other_parameters...`.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        # On a step boundary, so that "the next step" is exactly 30 s away.
        self.now = datetime(2031, 5, 6, 7, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox(Fernet.generate_key())


@pytest.fixture
def users(db: Database, box: CredentialBox, clock: Clock) -> UserStore:
    return UserStore(db, box, policy=LoginPolicy(), clock=clock, passwords=Passwords(CHEAP))


@pytest.fixture
def sessions(db: Database, clock: Clock) -> SessionStore:
    return SessionStore(db, clock=clock)
