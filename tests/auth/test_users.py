"""Console accounts on SQLite and PostgreSQL: passwords, one answer for every refused
sign-in, lockout, a second factor spent once, and an audit trail without secrets."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bastion.audit import AuditLog
from bastion.auth import totp
from bastion.auth.passwords import Passwords
from bastion.auth.roles import Permission, Role
from bastion.auth.sessions import SessionStore
from bastion.auth.users import AccountLockedError, LoginError, LoginPolicy, UserStore
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.exchange.api import ExchangeAuthError
from bastion.exchange.secrets import CredentialBox
from bastion.store import Database
from bastion.store.models import UserRow
from bastion.web.problems import status_for
from tests.auth.conftest import CHEAP, Clock

PASSWORD = "correct horse battery"
ADMIN = "cli:test"


def make(users: UserStore, name: str = "ana", role: Role = Role.REVIEWER) -> int:
    return users.create(name, role, PASSWORD, actor=ADMIN).user.id


def refusal(users: UserStore, name: str, password: str, code: str | None = None) -> LoginError:
    with pytest.raises(LoginError) as caught:
        users.authenticate(name, password, code)
    return caught.value


def wrong_code(secret: str, clock: Clock) -> str:
    """A code that no step within the window has."""
    now = totp.step_at(clock.now)
    window = {totp.code_for_step(secret, now + d) for d in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)


def events(db: Database, action: str) -> list[tuple[str, str, dict[str, object]]]:
    return [(e.actor, e.target, e.detail) for e in reversed(AuditLog(db).list(action=action))]


def stored(db: Database, name: str) -> UserRow:
    with db.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == name))
        assert row is not None
        s.expunge(row)
        return row


# Accounts --------------------------------------------------------------------------------


def test_a_generated_password_is_returned_once_and_must_be_changed(
    users: UserStore, db: Database
) -> None:
    new = users.create("ana", "reviewer", actor=ADMIN)
    assert len(new.password) == 24
    assert new.password not in repr(new)
    assert new.user.username == "ana"
    assert new.user.role is Role.REVIEWER
    assert new.user.must_change_password
    assert not new.user.disabled
    assert not new.user.totp_enabled
    assert users.authenticate("ana", new.password).id == new.user.id
    # Only an Argon2id hash is kept.
    row = stored(db, "ana")
    assert row.password_hash.startswith("$argon2id$")
    assert new.password not in row.password_hash
    assert events(db, "user.create") == [(ADMIN, "ana", {"role": "reviewer", "generated": True})]


def test_a_chosen_password_is_checked_and_need_not_be_changed(users: UserStore) -> None:
    created = users.create("bo", Role.ANALYST, PASSWORD, actor=ADMIN).user
    assert not created.must_change_password
    assert users.authenticate("bo", PASSWORD).username == "bo"
    for bad, words in [
        ("short", "at least 12"),
        (" " * 12, "only spaces"),
        ("carla.souza@x", "username"),  # the username itself, any case
        ("x" * 1025, "1,024"),
        ("pass\x00word-long", "NUL"),
    ]:
        name = "carla.souza@x" if words == "username" else "carla"
        with pytest.raises(ValidationError, match=words):
            users.create(name, Role.ANALYST, bad.upper() if words == "username" else bad,
                         actor=ADMIN)  # fmt: skip
    assert [u.username for u in users.list()] == ["bo"]


def test_a_policy_sets_the_shortest_password(db: Database, box: CredentialBox) -> None:
    strict = UserStore(db, box, policy=LoginPolicy(min_password_length=30),
                       passwords=Passwords(CHEAP))  # fmt: skip
    with pytest.raises(ValidationError, match="at least 30"):
        strict.create("ana", Role.ADMIN, PASSWORD, actor=ADMIN)
    # Generated passwords are 24 characters, or as long as the policy asks.
    assert len(strict.create("ana", Role.ADMIN, actor=ADMIN).password) == 30


@pytest.mark.parametrize(
    "name", ["", "a b", "x" * 65, "ana/../bo", "ån\u0430", "ana\n", "<script>", "a,b"]
)
def test_usernames_are_1_to_64_plain_characters(users: UserStore, name: str) -> None:
    with pytest.raises(ValidationError, match="1-64"):
        users.create(name, Role.REVIEWER, PASSWORD, actor=ADMIN)


def test_usernames_may_hold_dots_dashes_underscores_and_at(users: UserStore) -> None:
    for name in ["a", "ana.lima@example.org", "bo_2-x", "X" * 64]:
        make(users, name)
    assert {u.username for u in users.list()} == {"a", "ana.lima@example.org", "bo_2-x",
                                                  "X" * 64}  # fmt: skip


def test_a_taken_username_is_a_conflict_in_any_case(users: UserStore) -> None:
    make(users, "ana")
    with pytest.raises(ConflictError, match="'ana' already exists"):
        make(users, "ana")
    with pytest.raises(ConflictError, match="'ana' already exists"):
        make(users, "ANA")


def test_an_unknown_role_names_the_roles(users: UserStore) -> None:
    with pytest.raises(ValidationError, match="one of admin, lead, reviewer"):
        users.create("ana", "boss", PASSWORD, actor=ADMIN)


def test_get_list_and_get_by_id(users: UserStore) -> None:
    ids = [make(users, n) for n in ("carla", "ana", "bo")]
    assert [u.username for u in users.list()] == ["ana", "bo", "carla"]
    assert users.get("bo").id == ids[2]
    assert users.get_by_id(ids[0]).username == "carla"
    with pytest.raises(NotFoundError):
        users.get("dan")
    with pytest.raises(NotFoundError):
        users.get_by_id(max(ids) + 1)
    assert users.has_users()


def test_roles_say_what_a_user_may_do(users: UserStore) -> None:
    make(users, "ana", Role.ANALYST)
    make(users, "bo", Role.CHILD_SAFETY_REVIEWER)
    ana, bo = users.get("ana"), users.get("bo")
    assert ana.allows(Permission.VIEW)
    assert not ana.allows(Permission.DECIDE)
    assert bo.allows(Permission.REVEAL_CHILD_SAFETY)
    assert ana.actor == "user:ana"


# Refused sign-ins ------------------------------------------------------------------------


def test_every_refusal_is_the_same_401_whatever_was_wrong(
    users: UserStore, db: Database, clock: Clock
) -> None:
    make(users, "ana")
    make(users, "bo")
    users.disable("bo", actor=ADMIN)
    make(users, "carla")
    carla = users.enable_totp("carla", actor=ADMIN, confirm=False)
    make(users, "dan")
    for _ in range(5):
        refusal(users, "dan", "wrong password!")
    refused = [
        refusal(users, "nobody", PASSWORD),  # unknown
        refusal(users, "ana", "wrong password!"),  # wrong password
        refusal(users, "ana", ""),
        refusal(users, "Ana", PASSWORD),  # names are exact
        refusal(users, "bo", PASSWORD),  # disabled, right password
        refusal(users, "carla", PASSWORD),  # no code
        refusal(users, "carla", PASSWORD, wrong_code(carla.secret, clock)),  # wrong code
        refusal(users, "dan", PASSWORD),  # locked, right password
        refusal(users, "ana", "x" * 5000),  # longer than any password
    ]
    assert {(e.code, e.message) for e in refused} == {("login-failed", LoginPolicy().refusal())}
    assert LoginPolicy().refusal() == (
        "wrong username, password or code "
        "(after 5 failures in a row an account is locked for 15 minutes)"
    )
    assert {status_for(e) for e in refused} == {401}
    reasons = [(t, d["reason"]) for _, t, d in events(db, "user.login_failed")][5:]
    assert reasons == [
        ("nobody", "unknown user"),
        ("ana", "wrong password"),
        ("ana", "wrong password"),
        ("Ana", "unknown user"),
        ("bo", "disabled"),
        ("carla", "no code"),
        ("carla", "wrong code"),
        ("dan", "locked"),
        ("ana", "wrong password"),
    ]


def test_a_success_resets_the_count_and_records_the_sign_in(
    users: UserStore, db: Database, clock: Clock
) -> None:
    ana = make(users, "ana")
    assert users.get("ana").last_login_at is None
    for _ in range(4):
        refusal(users, "ana", "wrong password!")
    signed_in = users.authenticate("ana", PASSWORD, client="192.0.2.7")
    assert signed_in.id == ana
    assert signed_in.last_login_at == clock.now
    for _ in range(4):
        refusal(users, "ana", "wrong password!")
    assert users.authenticate("ana", PASSWORD).id == ana  # 4 + 4 failures, none locked
    assert events(db, "user.login")[0] == (
        "user:ana",
        "ana",
        {"client": "192.0.2.7", "rehashed": False},
    )
    assert events(db, "user.lock") == []


def test_failures_in_a_row_lock_even_the_right_password_out_for_a_while(
    users: UserStore, db: Database, clock: Clock
) -> None:
    make(users, "ana")
    for _ in range(4):
        assert type(refusal(users, "ana", "wrong password!")) is LoginError
    fifth = refusal(users, "ana", "wrong password!")
    assert isinstance(fifth, AccountLockedError)
    assert fifth.until == clock.now + timedelta(minutes=15)
    assert users.get("ana").locked(clock.now)
    clock.advance(minutes=10)
    assert isinstance(refusal(users, "ana", PASSWORD), AccountLockedError)
    # Attempts while locked neither count nor lengthen the lockout.
    for _ in range(10):
        refusal(users, "ana", "wrong password!")
    clock.advance(minutes=5)
    assert users.authenticate("ana", PASSWORD).username == "ana"
    assert not users.get("ana").locked(clock.now)
    assert events(db, "user.lock") == [
        ("sign-in", "ana", {"until": fifth.until.isoformat(), "failures": 5, "client": None})
    ]


def test_unknown_names_never_lock_and_never_say_so(users: UserStore, db: Database) -> None:
    for _ in range(8):
        assert type(refusal(users, "ghost", PASSWORD)) is LoginError
    assert events(db, "user.lock") == []
    with db.session() as s:
        assert s.scalar(select(UserRow.id)) is None


def test_a_policy_sets_failures_and_lockout(db: Database, box: CredentialBox, clock: Clock) -> None:
    policy = LoginPolicy(max_failures=2, lockout=timedelta(minutes=1))
    users = UserStore(db, box, policy=policy, clock=clock, passwords=Passwords(CHEAP))
    make(users, "ana")
    refusal(users, "ana", "wrong password!")
    assert isinstance(refusal(users, "ana", "wrong password!"), AccountLockedError)
    assert policy.refusal().endswith(
        "(after 2 failures in a row an account is locked for 1 minutes)"
    )
    clock.advance(seconds=60)
    assert users.authenticate("ana", PASSWORD).username == "ana"
    with pytest.raises(ValidationError):
        LoginPolicy(max_failures=0)
    with pytest.raises(ValidationError):
        LoginPolicy(lockout=timedelta(0))


def test_enable_and_reset_end_a_lockout(users: UserStore, clock: Clock) -> None:
    make(users, "ana")
    for _ in range(5):
        refusal(users, "ana", "wrong password!")
    users.enable("ana", actor=ADMIN)
    assert users.authenticate("ana", PASSWORD).username == "ana"
    for _ in range(5):
        refusal(users, "ana", "wrong password!")
    new = users.reset("ana", actor=ADMIN)
    assert users.authenticate("ana", new.password).username == "ana"


# Passwords -------------------------------------------------------------------------------


def test_reset_gives_a_new_password_to_change_and_ends_sessions_but_keeps_totp(
    users: UserStore, sessions: SessionStore, db: Database, clock: Clock
) -> None:
    ana = make(users, "ana")
    setup = users.enable_totp("ana", actor=ADMIN, confirm=False)
    started = sessions.start(ana)
    new = users.reset("ana", actor="cli:root")
    assert new.user.must_change_password
    assert new.user.totp_enabled
    assert new.password != PASSWORD
    assert sessions.find(started.token) is None
    refusal(users, "ana", PASSWORD, totp.code_at(setup.secret, clock.now))
    assert users.authenticate("ana", new.password, totp.code_at(setup.secret, clock.now)).id == ana
    assert events(db, "user.reset") == [("cli:root", "ana", {})]


def test_change_password_proves_the_old_one_and_ends_every_session(
    users: UserStore, sessions: SessionStore, db: Database
) -> None:
    new = users.create("ana", Role.REVIEWER, actor=ADMIN)
    ana = new.user.id
    started = sessions.start(ana)
    with pytest.raises(ValidationError, match="at least 12"):
        users.change_password(ana, new.password, "short")
    with pytest.raises(ValidationError, match="differ"):
        users.change_password(ana, new.password, new.password)
    wrong = pytest.raises(LoginError)
    with wrong:
        users.change_password(ana, "not the old one", PASSWORD)
    assert sessions.find(started.token) is not None  # a refused change ends nothing
    changed = users.change_password(ana, new.password, PASSWORD)
    assert not changed.must_change_password
    assert sessions.find(started.token) is None
    refusal(users, "ana", new.password)
    assert users.authenticate("ana", PASSWORD).id == ana
    assert events(db, "user.password") == [("user:ana", "ana", {})]
    assert [d["reason"] for _, _, d in events(db, "user.login_failed")][:1] == ["wrong password"]


def test_wrong_old_passwords_count_towards_a_lockout(users: UserStore) -> None:
    ana = make(users, "ana")
    for _ in range(4):
        with pytest.raises(LoginError):
            users.change_password(ana, "not the old one", "a new long password")
    with pytest.raises(AccountLockedError):
        users.change_password(ana, "not the old one", "a new long password")
    with pytest.raises(AccountLockedError):
        users.change_password(ana, PASSWORD, "a new long password")


def test_a_hash_made_with_other_parameters_is_replaced_at_sign_in(
    db: Database, box: CredentialBox
) -> None:
    old = UserStore(db, box, policy=LoginPolicy(), passwords=Passwords(CHEAP))
    make(old, "ana")
    assert "m=1024,t=1,p=1" in stored(db, "ana").password_hash
    current = UserStore(db, box, policy=LoginPolicy())  # argon2-cffi's defaults
    current.authenticate("ana", PASSWORD)
    rehashed = stored(db, "ana").password_hash
    assert rehashed.startswith("$argon2id$")
    assert "m=1024,t=1,p=1" not in rehashed
    assert not PasswordHasher().check_needs_rehash(rehashed)
    assert current.authenticate("ana", PASSWORD).username == "ana"
    assert [d["rehashed"] for _, _, d in events(db, "user.login")] == [True, False]


# The second factor -----------------------------------------------------------------------


def test_totp_from_the_cli_is_asked_for_at_once_and_each_code_works_once(
    users: UserStore, db: Database, box: CredentialBox, clock: Clock
) -> None:
    make(users, "ana")
    setup = users.enable_totp("ana", actor=ADMIN, confirm=False)
    assert setup.uri == totp.provisioning_uri(setup.secret, "ana")
    assert setup.secret not in repr(setup)
    assert users.get("ana").totp_enabled
    # Sealed at rest: neither the secret nor anything that reads as it.
    sealed = stored(db, "ana").totp_sealed
    assert sealed is not None
    assert setup.secret not in sealed
    assert box.open(sealed, owner="test")["secret"] == setup.secret
    code = totp.code_at(setup.secret, clock.now)
    assert users.authenticate("ana", PASSWORD, code).username == "ana"
    # The same code again, even within its step: refused, and counted.
    refusal(users, "ana", PASSWORD, code)
    clock.advance(seconds=30)
    # The previous step's code is still within the window, but older than the last used.
    refusal(users, "ana", PASSWORD, code)
    assert users.authenticate("ana", PASSWORD, totp.code_at(setup.secret, clock.now)).id
    reasons = [d["reason"] for _, _, d in events(db, "user.login_failed")]
    assert reasons == ["code already used", "code already used"]


def test_a_code_used_by_two_sign_ins_at_once_lets_one_in(users: UserStore, clock: Clock) -> None:
    make(users, "ana")
    setup = users.enable_totp("ana", actor=ADMIN, confirm=False)
    code = totp.code_at(setup.secret, clock.now)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def sign_in() -> None:
        barrier.wait()
        try:
            users.authenticate("ana", PASSWORD, code)
            outcomes.append("in")
        except LoginError:
            outcomes.append("refused")

    threads = [threading.Thread(target=sign_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["in", "refused", "refused", "refused"]


def test_totp_set_up_in_the_console_waits_for_a_code_before_it_is_asked_for(
    users: UserStore, db: Database, clock: Clock
) -> None:
    make(users, "ana")
    setup = users.enable_totp("ana", actor="user:ana")
    pending = users.get("ana")
    assert pending.totp_pending
    assert not pending.totp_enabled
    assert users.authenticate("ana", PASSWORD).username == "ana"  # no code asked yet
    with pytest.raises(ValidationError, match="wrong code"):
        users.confirm_totp("ana", wrong_code(setup.secret, clock), actor="user:ana")
    code = totp.code_at(setup.secret, clock.now)
    confirmed = users.confirm_totp("ana", code, actor="user:ana")
    assert confirmed.totp_enabled
    assert not confirmed.totp_pending
    refusal(users, "ana", PASSWORD)
    refusal(users, "ana", PASSWORD, code)  # the confirming code is spent
    clock.advance(seconds=30)
    assert users.authenticate("ana", PASSWORD, totp.code_at(setup.secret, clock.now)).id
    # Starting over never turns a factor that is on off.
    with pytest.raises(ConflictError, match="turn it off first"):
        users.enable_totp("ana", actor="user:ana")
    with pytest.raises(ConflictError, match="no TOTP secret to confirm"):
        users.confirm_totp("ana", code, actor="user:ana")
    users.disable_totp("ana", actor=ADMIN)
    assert not users.get("ana").totp_enabled
    assert users.authenticate("ana", PASSWORD).username == "ana"
    assert [a for a, _, _ in events(db, "user.totp_enable")] == ["user:ana"]
    assert [a for a, _, _ in events(db, "user.totp_confirm")] == ["user:ana"]
    assert [a for a, _, _ in events(db, "user.totp_disable")] == [ADMIN]


def test_a_totp_secret_sealed_with_another_key_says_to_set_it_again(
    users: UserStore, db: Database, clock: Clock
) -> None:
    from cryptography.fernet import Fernet

    make(users, "ana")
    users.enable_totp("ana", actor=ADMIN, confirm=False)
    other = UserStore(db, CredentialBox(Fernet.generate_key()), policy=LoginPolicy(),
                      clock=clock, passwords=Passwords(CHEAP))  # fmt: skip
    with pytest.raises(ExchangeAuthError, match="cannot be read with this secret key"):
        other.authenticate("ana", PASSWORD, "123456")


# Changes an administrator makes -----------------------------------------------------------


def test_disable_refuses_sign_in_and_ends_sessions_enable_lets_back_in(
    users: UserStore, sessions: SessionStore, db: Database
) -> None:
    make(users, "root", Role.ADMIN)
    ana = make(users, "ana")
    started = sessions.start(ana)
    assert users.disable("ana", actor=ADMIN).disabled
    assert sessions.find(started.token) is None
    refusal(users, "ana", PASSWORD)
    users.enable("ana", actor=ADMIN)
    assert users.authenticate("ana", PASSWORD).id == ana
    assert [(a, t) for a, t, _ in events(db, "user.disable")] == [(ADMIN, "ana")]
    assert [(a, t) for a, t, _ in events(db, "user.enable")] == [(ADMIN, "ana")]


def test_the_last_enabled_admin_stays(users: UserStore, db: Database) -> None:
    make(users, "root", Role.ADMIN)
    with pytest.raises(ConflictError, match="last enabled admin"):
        users.disable("root", actor=ADMIN)
    with pytest.raises(ConflictError, match="last enabled admin"):
        users.set_role("root", Role.LEAD, actor=ADMIN)
    make(users, "second", Role.ADMIN)
    assert users.set_role("root", "lead", actor=ADMIN).role is Role.LEAD
    with pytest.raises(ConflictError):
        users.disable("second", actor=ADMIN)
    assert events(db, "user.role") == [(ADMIN, "root", {"before": "admin", "after": "lead"})]


def test_daily_reveal_caps(users: UserStore, db: Database) -> None:
    make(users, "ana")
    assert users.get("ana").daily_reveal_cap is None
    assert users.set_daily_reveal_cap("ana", 5, actor=ADMIN).daily_reveal_cap == 5
    assert users.set_daily_reveal_cap("ana", 0, actor=ADMIN).daily_reveal_cap == 0
    assert users.set_daily_reveal_cap("ana", None, actor=ADMIN).daily_reveal_cap is None
    for bad in (-1, 10_001):
        with pytest.raises(ValidationError, match="daily reveal cap"):
            users.set_daily_reveal_cap("ana", bad, actor=ADMIN)
    with pytest.raises(NotFoundError):
        users.set_daily_reveal_cap("nobody", 3, actor=ADMIN)
    assert [d["cap"] for _, _, d in events(db, "user.reveal_cap")] == [5, 0, None]


def test_preferences_are_a_small_json_object(users: UserStore, db: Database) -> None:
    ana = make(users, "ana")
    prefs = {"blur": True, "greyscale": False, "blur_radius": 12, "autoplay": "never"}
    assert users.set_preferences(ana, prefs).preferences == prefs
    assert users.get("ana").preferences == prefs
    with pytest.raises(ValidationError, match="expected a JSON object"):
        users.set_preferences(ana, ["blur"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="4,096 bytes"):
        users.set_preferences(ana, {"note": "x" * 5000})
    with pytest.raises(ValidationError, match="finite"):
        users.set_preferences(ana, {"blur_radius": float("nan")})
    assert users.get("ana").preferences == prefs
    assert events(db, "user.preferences") == [
        ("user:ana", "ana", {"keys": ["autoplay", "blur", "blur_radius", "greyscale"]})
    ]


def test_no_password_or_secret_reaches_the_audit_log(
    users: UserStore, db: Database, clock: Clock
) -> None:
    generated = users.create("ana", Role.ADMIN, actor=ADMIN).password
    reset = users.reset("ana", actor=ADMIN).password
    setup = users.enable_totp("ana", actor=ADMIN, confirm=False)
    code = totp.code_at(setup.secret, clock.now)
    users.authenticate("ana", reset, code)
    refusal(users, "ana", "a wrong password")
    users.change_password(users.get("ana").id, reset, PASSWORD)
    log = json.dumps([vars(e) for e in AuditLog(db).list(limit=1000)], default=str)
    for secret in (generated, reset, setup.secret, PASSWORD, "a wrong password"):
        assert secret not in log
    assert "user.login" in log
    assert "user.login_failed" in log
