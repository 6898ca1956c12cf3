"""People who sign in to the review console: their accounts, passwords, second factor and
lockout.

Passwords are kept only as Argon2id hashes (`bastion.auth.passwords`). A password that the
store generates (a new account, a reset) is returned once and must be changed at the next
sign-in. The TOTP secret (`bastion.auth.totp`) is sealed by the credential box, like
exchange credentials, with the last step used beside it, so a code is accepted once.

A sign-in refused says only "wrong username, password or code", whether the name is unknown,
the password or code wrong, the account disabled or locked: an answer (or the time it takes,
see `Passwords.verify_nothing`) must not tell an outsider which names exist or that a
password was right. After `LoginPolicy.max_failures` wrong passwords or codes in a row the
account is locked for `LoginPolicy.lockout`, even against the right password; the message
says that this rule exists, for every name alike, so a person locked out knows to wait.

Every change and every sign-in, accepted or refused, goes to the audit log (never a
password or secret). A console user's own actions are logged as `user:<name>` (`User.actor`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.audit import record_in
from bastion.auth import totp
from bastion.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    Passwords,
    check_new_password,
    generated_password,
)
from bastion.auth.roles import Permission, Role, allows, role
from bastion.errors import BastionError, ConflictError, NotFoundError, ValidationError
from bastion.store import Database
from bastion.store.models import SessionRow, UserRow, utcnow
from bastion.validation import JsonLimits, checked_int, checked_object

USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
#: The audit log's actor for a refused sign-in: nobody known made it.
SIGN_IN = "sign-in"
#: Wellness preferences are a handful of switches and numbers.
PREFERENCE_LIMITS = JsonLimits(max_depth=4, max_bytes=4096)
#: A lead may allow at most this many reveals a day.
MAX_DAILY_REVEAL_CAP = 10_000
#: `totp_sealed` of a secret shown but not yet confirmed with a code: sign-in asks for no
#: code until it is.
_PENDING = "pending:"


class LoginError(BastionError):
    """A sign-in refused (HTTP 401). The message is the same whatever was wrong."""

    code = "login-failed"


class AccountLockedError(LoginError):
    """A sign-in refused because the account is locked after too many failures.

    Its code and message are `LoginError`'s on purpose, so that an answer cannot tell a
    locked account from an unknown name; `until` is for the server's own logs."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class LoginPolicy:
    """How sign-ins are guarded (the `login_*` and `password_min_length` settings)."""

    #: Wrong passwords or codes in a row that lock the account.
    max_failures: int = 5
    #: How long a locked account refuses every sign-in.
    lockout: timedelta = timedelta(minutes=15)
    #: Shortest password a person may choose.
    min_password_length: int = 12

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValidationError("max_failures must be at least 1")
        if self.lockout <= timedelta(0):
            raise ValidationError("lockout must be a positive time")
        if self.min_password_length < 1:
            raise ValidationError("min_password_length must be at least 1")

    def refusal(self) -> str:
        """The one message of every refused sign-in."""
        minutes = round(self.lockout.total_seconds() / 60)
        return (
            f"wrong username, password or code (after {self.max_failures} failures in a row "
            f"an account is locked for {minutes} minutes)"
        )


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    disabled: bool
    #: Sign-in asks for a TOTP code.
    totp_enabled: bool
    #: The next sign-in must choose a new password (after a generated one).
    must_change_password: bool
    #: Wellness overrides of the organisation's defaults.
    preferences: dict[str, Any]
    #: Reveals a day this person may make; None: the organisation's cap.
    daily_reveal_cap: int | None
    created_at: datetime
    last_login_at: datetime | None
    #: Until when sign-in is refused after too many failures; None: not locked.
    locked_until: datetime | None = None
    #: A TOTP secret was shown (`enable_totp`) and waits for `confirm_totp`.
    totp_pending: bool = False

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"user:{self.username}"

    def allows(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    def locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=row.id,
            username=row.username,
            role=Role(row.role),
            disabled=row.disabled,
            totp_enabled=row.totp_sealed is not None and not row.totp_sealed.startswith(_PENDING),
            must_change_password=row.must_change_password,
            preferences=dict(row.preferences or {}),
            daily_reveal_cap=row.daily_reveal_cap,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
            locked_until=row.locked_until,
            totp_pending=row.totp_sealed is not None and row.totp_sealed.startswith(_PENDING),
        )


@dataclass(frozen=True)
class NewUser:
    """An account with a password that is shown once: generated, or the one given."""

    user: User
    password: str = field(repr=False)


@dataclass(frozen=True)
class TotpSetup:
    """A TOTP secret to hand to the person once: as text, and as an ``otpauth://`` URI (for
    a QR code)."""

    secret: str = field(repr=False)
    uri: str = field(repr=False)


class SecretBox(Protocol):
    """What seals secrets at rest (`bastion.exchange.secrets.CredentialBox`)."""

    def seal(self, credentials: dict[str, str]) -> str: ...

    def open(self, token: str, *, owner: str) -> dict[str, str]: ...


@dataclass(frozen=True)
class _Attempt:
    """What a sign-in reads of an account before checking its password."""

    id: int
    username: str
    password_hash: str
    disabled: bool
    locked_until: datetime | None
    totp_sealed: str | None


class UserStore:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        policy: LoginPolicy,
        clock: Callable[[], datetime] = utcnow,
        passwords: Passwords | None = None,
    ) -> None:
        """`passwords`: the hasher (Argon2id with argon2-cffi's defaults unless given)."""
        self.db = db
        self.policy = policy
        self._box = box
        self._clock = clock
        self._passwords = passwords or Passwords()

    # Accounts --------------------------------------------------------------------------

    def create(
        self, username: str, role_name: Role | str, password: str | None = None, *, actor: str
    ) -> NewUser:
        """A new account. Without `password` one is generated, to be changed at the first
        sign-in; either way `NewUser.password` is the only time it is shown."""
        _check_username(username)
        chosen = role(role_name)
        if password is None:
            password = generated_password(self.policy.min_password_length)
            must_change = True
        else:
            check_new_password(
                password, min_length=self.policy.min_password_length, username=username
            )
            must_change = False
        hashed = self._passwords.hash(password)
        with self.db.session() as s:
            taken = s.scalar(
                select(UserRow.username).where(func.lower(UserRow.username) == username.lower())
            )
            if taken is not None:
                raise ConflictError(f"user {taken!r} already exists")
            row = UserRow(
                username=username,
                password_hash=hashed,
                role=chosen.value,
                disabled=False,
                failed_logins=0,
                must_change_password=must_change,
                preferences={},
                created_at=self._clock(),
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # a concurrent create won the race
                raise ConflictError(f"user {username!r} already exists") from None
            record_in(s, actor, "user.create", username, role=chosen.value, generated=must_change)
            return NewUser(User.from_row(row), password)

    def list(self) -> list[User]:
        with self.db.session() as s:
            return [User.from_row(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def has_users(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(UserRow.id).limit(1)) is not None

    def get(self, username: str) -> User:
        with self.db.session() as s:
            return User.from_row(_named(s, username))

    def get_by_id(self, user_id: int) -> User:
        with self.db.session() as s:
            return User.from_row(_by_id(s, user_id))

    def disable(self, username: str, *, actor: str) -> User:
        """Refuse the account's sign-ins, and end its sessions."""
        with self.db.session() as s:
            row = _named(s, username)
            if row.role == Role.ADMIN and not row.disabled:
                _keep_an_admin(s, row, "disable")
            row.disabled = True
            _end_sessions(s, row.id)
            record_in(s, actor, "user.disable", row.username)
            return User.from_row(row)

    def enable(self, username: str, *, actor: str) -> User:
        """Let the account sign in again; a lockout ends too."""
        with self.db.session() as s:
            row = _named(s, username)
            row.disabled = False
            row.failed_logins = 0
            row.locked_until = None
            record_in(s, actor, "user.enable", row.username)
            return User.from_row(row)

    def reset(self, username: str, *, actor: str) -> NewUser:
        """A new generated password, to be changed at the next sign-in; a lockout ends, the
        account's sessions end, and its second factor stays."""
        password = generated_password(self.policy.min_password_length)
        hashed = self._passwords.hash(password)
        with self.db.session() as s:
            row = _named(s, username)
            row.password_hash = hashed
            row.must_change_password = True
            row.failed_logins = 0
            row.locked_until = None
            _end_sessions(s, row.id)
            record_in(s, actor, "user.reset", row.username)
            return NewUser(User.from_row(row), password)

    def set_role(self, username: str, role_name: Role | str, *, actor: str) -> User:
        """Takes effect at the account's next request (sessions read the user each time)."""
        chosen = role(role_name)
        with self.db.session() as s:
            row = _named(s, username)
            before = row.role
            if before == Role.ADMIN and chosen is not Role.ADMIN and not row.disabled:
                _keep_an_admin(s, row, "demote")
            row.role = chosen.value
            record_in(s, actor, "user.role", row.username, before=before, after=chosen.value)
            return User.from_row(row)

    def set_daily_reveal_cap(self, username: str, cap: int | None, *, actor: str) -> User:
        """Reveals a day this person may make; None: the organisation's cap."""
        if cap is not None:
            checked_int(cap, "daily reveal cap", low=0, high=MAX_DAILY_REVEAL_CAP)
        with self.db.session() as s:
            row = _named(s, username)
            row.daily_reveal_cap = cap
            record_in(s, actor, "user.reveal_cap", row.username, cap=cap)
            return User.from_row(row)

    def set_preferences(self, user_id: int, preferences: Mapping[str, Any]) -> User:
        """Replace the person's wellness preferences (the console checks their meaning;
        here they must be a small JSON object)."""
        checked = checked_object(preferences, "preferences", PREFERENCE_LIMITS)
        with self.db.session() as s:
            row = _by_id(s, user_id)
            row.preferences = checked
            record_in(
                s, f"user:{row.username}", "user.preferences", row.username, keys=sorted(checked)
            )
            return User.from_row(row)

    # Passwords -------------------------------------------------------------------------

    def change_password(self, user_id: int, old: str, new: str) -> User:
        """The person's own change, proving the old password. A wrong old password counts
        as a failed sign-in (a stolen session cannot guess it at leisure) and raises
        `LoginError`. Every session of the account ends: start a fresh one for the person
        (a changed password is a change of privilege)."""
        with self.db.session() as s:
            attempt = _attempt(_by_id(s, user_id))
        check_new_password(
            new, min_length=self.policy.min_password_length, username=attempt.username
        )
        refused = self._refusal(attempt, old)
        if refused is None and old == new:
            raise ValidationError("the new password must differ from the old one")
        hashed = self._passwords.hash(new) if refused is None else ""
        with self.db.session() as s:
            if refused is not None:
                error = self._failed(s, attempt, refused, client=None)
            else:
                changed = s.execute(
                    update(UserRow)
                    .where(_unchanged(attempt))
                    .values(
                        password_hash=hashed,
                        must_change_password=False,
                        failed_logins=0,
                        locked_until=None,
                    )
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    raise ConflictError("the account changed meanwhile; try again")
                _end_sessions(s, attempt.id)
                record_in(s, f"user:{attempt.username}", "user.password", attempt.username)
                return User.from_row(_by_id(s, user_id))
        raise error

    # The second factor -------------------------------------------------------------------

    def enable_totp(self, username: str, *, actor: str, confirm: bool = True) -> TotpSetup:
        """A new TOTP secret for the account, to show the person once.

        With `confirm` (a person setting up their own factor in the console) it waits for
        `confirm_totp` with a code from their app before sign-in asks for codes, so a
        mistyped secret locks nobody out; an account whose factor is already on must turn
        it off first (`disable_totp`), so that starting over never turns it off. Without
        (an administrator handing the secret over, `bastion user totp`) it replaces any
        earlier one and sign-in asks for codes at once."""
        secret = totp.new_secret()
        with self.db.session() as s:
            row = _named(s, username)
            active = row.totp_sealed is not None and not row.totp_sealed.startswith(_PENDING)
            if confirm and active:
                raise ConflictError(f"user {row.username!r} already has TOTP on; turn it off first")
            sealed = _seal_totp(self._box, secret, last_step=None)
            row.totp_sealed = _PENDING + sealed if confirm else sealed
            record_in(s, actor, "user.totp_enable", row.username, confirmed=not confirm)
            return TotpSetup(secret, totp.provisioning_uri(secret, row.username))

    def confirm_totp(self, username: str, code: str, *, actor: str) -> User:
        """Turn on the secret `enable_totp` showed, given a current code from the app; the
        code is spent (it cannot sign in)."""
        with self.db.session() as s:
            row = _named(s, username)
            if row.totp_sealed is None or not row.totp_sealed.startswith(_PENDING):
                raise ConflictError(f"user {row.username!r} has no TOTP secret to confirm")
            secret, _ = _open_totp(self._box, row.totp_sealed, row.username)
            step = totp.verify(secret, code, self._clock())
            if step is None:
                raise ValidationError(
                    "wrong code: check the secret and that the device's clock is right"
                )
            row.totp_sealed = _seal_totp(self._box, secret, last_step=step)
            record_in(s, actor, "user.totp_confirm", row.username)
            return User.from_row(row)

    def disable_totp(self, username: str, *, actor: str) -> User:
        with self.db.session() as s:
            row = _named(s, username)
            row.totp_sealed = None
            record_in(s, actor, "user.totp_disable", row.username)
            return User.from_row(row)

    # Signing in ------------------------------------------------------------------------

    def authenticate(
        self,
        username: str,
        password: str,
        totp_code: str | None = None,
        *,
        client: str | None = None,
    ) -> User:
        """The account, if `password` (and `totp_code`, when its factor is on) is right
        and it is neither disabled nor locked; `LoginError` otherwise, with one message
        whatever was wrong. `client` (an address) goes to the audit log.

        Ask for the code in the same form as the password: asking for it only after a
        right password would tell whoever typed it that the password was right."""
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            attempt = None if row is None else _attempt(row)
        refused = self._refusal(attempt, password)
        totp_after = hashed = None
        if refused is None and attempt is not None:
            if _needs_code(attempt):
                refused, totp_after = self._code_refusal(attempt, totp_code)
            if refused is None and self._passwords.needs_rehash(attempt.password_hash):
                hashed = self._passwords.hash(password)
        with self.db.session() as s:
            if attempt is None:
                record_in(
                    s, SIGN_IN, "user.login_failed", username[:64], reason=refused, client=client
                )
                error = LoginError(self.policy.refusal())
            elif refused is not None:
                error = self._failed(s, attempt, refused, client=client)
            else:
                values: dict[str, Any] = {
                    "failed_logins": 0,
                    "locked_until": None,
                    "last_login_at": self._clock(),
                }
                if hashed is not None:
                    values["password_hash"] = hashed
                if totp_after is not None:
                    values["totp_sealed"] = totp_after
                # Only if nothing changed since it was read: a code used by two sign-ins at
                # once is accepted for one; a password changed meanwhile is not overwritten.
                signed_in = s.execute(update(UserRow).where(_unchanged(attempt)).values(values))
                if signed_in.rowcount == 1:  # type: ignore[attr-defined]
                    record_in(
                        s,
                        f"user:{attempt.username}",
                        "user.login",
                        attempt.username,
                        client=client,
                        rehashed=hashed is not None,
                    )
                    return User.from_row(_by_id(s, attempt.id))
                record_in(
                    s,
                    SIGN_IN,
                    "user.login_failed",
                    attempt.username,
                    reason="account changed during sign-in",
                    client=client,
                )
                error = LoginError(self.policy.refusal())
        raise error

    def _refusal(self, attempt: _Attempt | None, password: str) -> str | None:
        """Why a sign-in with `password` is refused before its code is looked at, or None.
        Verifies a password (or spends the time it takes) whatever the answer."""
        if attempt is None or _locked(attempt, self._clock()):
            self._passwords.verify_nothing(password[:MAX_PASSWORD_LENGTH])
            return "unknown user" if attempt is None else "locked"
        if len(password) > MAX_PASSWORD_LENGTH:
            self._passwords.verify_nothing(password[:MAX_PASSWORD_LENGTH])
            return "wrong password"
        right = self._passwords.verify(attempt.password_hash, password)
        if attempt.disabled:
            return "disabled"
        return None if right else "wrong password"

    def _code_refusal(self, attempt: _Attempt, code: str | None) -> tuple[str | None, str | None]:
        """(why the code is refused, or None; the sealed secret to store once it is used)."""
        assert attempt.totp_sealed is not None
        if not code:
            return "no code", None
        secret, last_step = _open_totp(self._box, attempt.totp_sealed, attempt.username)
        step = totp.verify(secret, code, self._clock())
        if step is None:
            return "wrong code", None
        if last_step is not None and step <= last_step:
            return "code already used", None
        return None, _seal_totp(self._box, secret, last_step=step)

    def _failed(
        self, s: Session, attempt: _Attempt, reason: str, *, client: str | None
    ) -> LoginError:
        """Record a refused sign-in; a wrong password or code counts towards a lockout."""
        refusal = self.policy.refusal()
        record_in(s, SIGN_IN, "user.login_failed", attempt.username, reason=reason, client=client)
        if reason == "locked":
            assert attempt.locked_until is not None
            return AccountLockedError(refusal, attempt.locked_until)
        if reason == "disabled":
            return LoginError(refusal)
        failures = s.scalar(
            update(UserRow)
            .where(UserRow.id == attempt.id)
            .values(failed_logins=UserRow.failed_logins + 1)
            .returning(UserRow.failed_logins)
        )
        if failures is None or failures < self.policy.max_failures:
            return LoginError(refusal)
        until = self._clock() + self.policy.lockout
        s.execute(
            update(UserRow)
            .where(UserRow.id == attempt.id)
            .values(failed_logins=0, locked_until=until)
        )
        record_in(
            s,
            SIGN_IN,
            "user.lock",
            attempt.username,
            until=until.isoformat(),
            failures=failures,
            client=client,
        )
        return AccountLockedError(refusal, until)


def _check_username(username: str) -> None:
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise ValidationError(
            "a username is 1-64 letters, digits and . _ - @ (no spaces), "
            f"not {str(username)[:80]!r}"
        )


def _named(s: Session, username: str) -> UserRow:
    row = s.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise NotFoundError(f"no user named {username[:80]!r}")
    return row


def _by_id(s: Session, user_id: int) -> UserRow:
    row = s.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    return row


def _attempt(row: UserRow) -> _Attempt:
    return _Attempt(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        disabled=row.disabled,
        locked_until=row.locked_until,
        totp_sealed=row.totp_sealed,
    )


def _unchanged(attempt: _Attempt) -> Any:
    """The account's row, if what a sign-in read of it is still so."""
    same_totp = (
        UserRow.totp_sealed.is_(None)
        if attempt.totp_sealed is None
        else UserRow.totp_sealed == attempt.totp_sealed
    )
    same_lock = (
        UserRow.locked_until.is_(None)
        if attempt.locked_until is None
        else UserRow.locked_until == attempt.locked_until
    )
    return (
        (UserRow.id == attempt.id)
        & (UserRow.password_hash == attempt.password_hash)
        & UserRow.disabled.is_(False)
        & same_totp
        & same_lock
    )


def _locked(attempt: _Attempt, now: datetime) -> bool:
    return attempt.locked_until is not None and now < attempt.locked_until


def _needs_code(attempt: _Attempt) -> bool:
    return attempt.totp_sealed is not None and not attempt.totp_sealed.startswith(_PENDING)


def _keep_an_admin(s: Session, row: UserRow, doing: str) -> None:
    """Refuse to leave no enabled admin: nobody could manage people from the console."""
    others = s.scalar(
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False), UserRow.id != row.id)
    )
    if not others:
        raise ConflictError(
            f"cannot {doing} {row.username!r}: it is the last enabled admin (make another first)"
        )


def _end_sessions(s: Session, user_id: int) -> None:
    """End the account's console sessions in this change's transaction (the session store,
    `bastion.auth.sessions`, refuses disabled accounts' sessions besides)."""
    s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))


def _seal_totp(box: SecretBox, secret: str, *, last_step: int | None) -> str:
    return box.seal({"secret": secret, "last_step": "" if last_step is None else str(last_step)})


def _open_totp(box: SecretBox, stored: str, username: str) -> tuple[str, int | None]:
    """(the secret, the last step used or None)."""
    opened = box.open(stored.removeprefix(_PENDING), owner=f"user {username}'s TOTP secret")
    last = opened.get("last_step", "")
    return opened["secret"], int(last) if last else None
