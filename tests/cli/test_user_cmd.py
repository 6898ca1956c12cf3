"""`bastion user ...` as an operator runs it, checked against sign-ins through the same
data directory and database the command used."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bastion.audit import AuditLog
from bastion.auth import LoginError, Role, totp
from bastion.cli import user_cmd
from bastion.pipeline import Bastion
from bastion.settings import Settings
from tests.cli.conftest import CliRunner

PASSWORD = "correct horse battery"


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    """What the console would build: the same settings as the command's."""
    built = Bastion(settings)
    yield built
    built.close()


def one_error(run_code: int, err: str) -> str:
    assert run_code == 2
    (line,) = err.splitlines()
    assert line.startswith("error: ")
    return line


def test_create_prints_a_generated_password_once(cli: CliRunner, bastion: Bastion) -> None:
    run = cli("user", "create", "ana", "--role", "reviewer")
    assert run.code == 0
    password = run.out.strip()
    assert len(password) == 24
    assert run.out == password + "\n"  # standard output holds the password alone
    assert run.err.startswith("created user ana (reviewer); the password is shown only")
    user = bastion.users.authenticate("ana", password)
    assert user.role is Role.REVIEWER
    assert user.must_change_password
    assert password not in cli("user", "list").out
    assert password not in cli("user", "list", "--json").out
    (event,) = AuditLog(bastion.db).list(action="user.create")
    assert event.actor.startswith("cli:")


def test_create_reads_a_chosen_password_from_stdin(
    cli: CliRunner, bastion: Bastion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\nnext line\n"))
    run = cli("user", "create", "bo", "-r", "lead", "--password-stdin")
    assert (run.code, run.out) == (0, "created user bo (lead)\n")
    assert PASSWORD not in run.out + run.err
    assert not bastion.users.authenticate("bo", PASSWORD).must_change_password
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    run = cli("user", "create", "carla", "-r", "lead", "--password-stdin")
    assert one_error(run.code, run.err) == ("error: a password must be at least 12 characters long")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    run = cli("user", "create", "carla", "-r", "lead", "--password-stdin")
    assert "standard input holds no password" in one_error(run.code, run.err)


def test_mistakes_are_one_line_and_exit_2(cli: CliRunner) -> None:
    assert cli("user", "create", "ana", "--role", "admin").code == 0
    run = cli("user", "create", "ana", "--role", "admin")
    assert one_error(run.code, run.err) == "error: user 'ana' already exists"
    run = cli("user", "create", "bo", "--role", "boss")
    assert one_error(run.code, run.err).startswith("error: unknown role 'boss' (one of admin,")
    run = cli("user", "create", "b o", "--role", "admin")
    assert "1-64 letters" in one_error(run.code, run.err)
    for command in (
        ["disable", "nobody"],
        ["enable", "nobody"],
        ["reset", "nobody"],
        ["set-role", "nobody", "lead"],
        ["totp", "nobody"],
        ["cap", "nobody", "3"],
    ):
        run = cli("user", *command)
        assert one_error(run.code, run.err) == "error: no user named 'nobody'"
    run = cli("user", "disable", "ana")
    assert "last enabled admin" in one_error(run.code, run.err)
    run = cli("user", "create", "bo")  # --role is required
    assert run.code == 2
    assert "--role" in run.err


def test_list_shows_role_state_totp_last_login_and_lockout(
    cli: CliRunner, bastion: Bastion
) -> None:
    passwords = {
        name: cli("user", "create", name, "--role", role).out.strip()
        for name, role in (("ana", "admin"), ("bo", "analyst"), ("carla", "reviewer"))
    }
    setup = bastion.users.enable_totp("bo", actor="test", confirm=False)
    code = totp.code_at(setup.secret, datetime.now(UTC))
    bastion.users.authenticate("bo", passwords["bo"], code)
    assert cli("user", "disable", "bo").out == "disabled user bo\n"
    bastion.users.enable_totp("carla", actor="test")  # waits for a code
    for _ in range(5):
        with pytest.raises(LoginError):
            bastion.users.authenticate("carla", "wrong password!")
    listed = json.loads(cli("user", "list", "--json").out)
    assert [(u["username"], u["role"], u["disabled"], u["totp"]) for u in listed] == [
        ("ana", "admin", False, "off"),
        ("bo", "analyst", True, "on"),
        ("carla", "reviewer", False, "pending"),
    ]
    assert [u["last_login_at"] is not None for u in listed] == [False, True, False]
    assert [u["locked_until"] is not None for u in listed] == [False, False, True]
    table = cli("user", "list").out.splitlines()
    header = next(line for line in table if "username" in line)
    for column in ("username", "role", "disabled", "TOTP", "last login (UTC)", "locked"):
        assert column in header
    rows = {line.split()[1]: line.split()[1:] for line in table if "│" in line}
    assert [w for w in rows["ana"] if w != "│"] == ["ana", "admin", "no", "off", "never", "no"]
    bo = [w for w in rows["bo"] if w != "│"]
    assert bo[:4] == ["bo", "analyst", "yes", "on"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", " ".join(bo[4:6]))
    assert bo[6:] == ["no"]
    carla = [w for w in rows["carla"] if w != "│"]
    assert carla[:5] == ["carla", "reviewer", "no", "pending", "never"]
    assert re.fullmatch(r"until \d\d:\d\d UTC", " ".join(carla[5:]))


def test_disable_enable_and_set_role(
    cli: CliRunner, bastion: Bastion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    cli("user", "create", "ana", "--role", "reviewer", "--password-stdin")
    started = bastion.sessions.start(bastion.users.get("ana").id)
    assert cli("user", "disable", "ana").code == 0
    assert bastion.sessions.find(started.token) is None
    with pytest.raises(LoginError):
        bastion.users.authenticate("ana", PASSWORD)
    assert cli("user", "enable", "ana").out == "enabled user ana\n"
    assert bastion.users.authenticate("ana", PASSWORD).role is Role.REVIEWER
    run = cli("user", "set-role", "ana", "child_safety_reviewer")
    assert run.out == "user ana is now child_safety_reviewer\n"
    assert bastion.users.get("ana").role is Role.CHILD_SAFETY_REVIEWER
    run = cli("user", "set-role", "ana", "janitor")
    assert "unknown role 'janitor'" in one_error(run.code, run.err)


def test_reset_prints_a_new_password_that_replaces_the_old(
    cli: CliRunner, bastion: Bastion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    cli("user", "create", "ana", "--role", "reviewer", "--password-stdin")
    run = cli("user", "reset", "ana")
    assert run.code == 0
    assert run.err.startswith("reset the password of ana; the new one is shown only this once")
    password = run.out.strip()
    assert run.out == password + "\n"
    with pytest.raises(LoginError):
        bastion.users.authenticate("ana", PASSWORD)
    assert bastion.users.authenticate("ana", password).must_change_password


def test_totp_prints_the_uri_and_secret_once_and_sign_in_asks_for_codes(
    cli: CliRunner, bastion: Bastion
) -> None:
    password = cli("user", "create", "ana", "--role", "reviewer").out.strip()
    run = cli("user", "totp", "ana")
    assert run.code == 0
    uri, secret = run.out.splitlines()
    assert uri == totp.provisioning_uri(secret, "ana")
    assert parse_qs(urlsplit(uri).query)["secret"] == [secret]
    assert "shown only this once" in run.err
    assert secret not in cli("user", "list", "--json").out
    with pytest.raises(LoginError):
        bastion.users.authenticate("ana", password)
    code = totp.code_at(secret, datetime.now(UTC))
    assert bastion.users.authenticate("ana", password, code).totp_enabled


def test_cap_sets_a_number_or_none(cli: CliRunner, bastion: Bastion) -> None:
    cli("user", "create", "ana", "--role", "reviewer")
    assert cli("user", "cap", "ana", "12").out == "user ana: 12 reveals a day\n"
    assert bastion.users.get("ana").daily_reveal_cap == 12
    assert json.loads(cli("user", "list", "--json").out)[0]["daily_reveal_cap"] == 12
    assert cli("user", "cap", "ana", "NONE").out == "user ana: the organisation's cap\n"
    assert bastion.users.get("ana").daily_reveal_cap is None
    run = cli("user", "cap", "ana", "lots")
    assert one_error(run.code, run.err) == (
        "error: the cap is a number of reveals a day or 'none', not 'lots'"
    )
    run = cli("user", "cap", "ana", "10001")
    assert "daily reveal cap: must be between 0 and 10,000" in one_error(run.code, run.err)


def test_the_roles_written_out_are_the_domains() -> None:
    assert set(re.findall(r"\w+", user_cmd.ROLES)) - {"or"} == {r.value for r in Role}
