"""What `bastion serve` makes on the first run, on SQLite and PostgreSQL: an admin key and a
console admin, each shown once, and nothing again on later starts."""

from __future__ import annotations

import pytest

from bastion.auth import LoginError, Role, Scope
from bastion.pipeline import Bastion
from bastion.settings import Settings
from bastion.web.first_run import ADMIN_USER, FirstRun, prepare, sign_in_line


def test_the_first_run_makes_a_key_and_a_console_admin_once(settings: Settings) -> None:
    first = prepare(settings)
    assert first.api_key is not None
    assert first.api_key.startswith("bst_")
    assert first.admin_password is not None
    assert first.api_key not in repr(first)
    assert first.admin_password not in repr(first)
    bastion = Bastion(settings)
    try:
        assert bastion.keys.authenticate(first.api_key).allows(Scope.ADMIN)
        admin = bastion.users.authenticate(ADMIN_USER, first.admin_password)
        assert admin.role is Role.ADMIN
        assert admin.must_change_password
        assert [u.username for u in bastion.users.list()] == ["admin"]
        assert [b.name for b in bastion.store.list_banks()] == ["demo"]
        # Matches of the demo bank open review jobs (`bastion review demo` shows it).
        assert [(r.bank, r.kind.value) for r in bastion.actions.list()] == [("demo", "review")]
    finally:
        bastion.close()
    assert prepare(settings) == FirstRun(api_key=None, admin_password=None)


def test_an_older_data_directory_with_a_key_gets_only_the_console_admin(
    settings: Settings,
) -> None:
    bastion = Bastion(settings)
    try:
        bastion.keys.create("earlier", [Scope.ADMIN])
    finally:
        bastion.close()
    first = prepare(settings)
    assert first.api_key is None
    assert first.admin_password is not None


def test_there_is_no_console_admin_to_make_when_people_exist(settings: Settings) -> None:
    bastion = Bastion(settings)
    try:
        bastion.users.create("lead.one", Role.LEAD, actor="test")
    finally:
        bastion.close()
    first = prepare(settings)
    assert first.admin_password is None
    bastion = Bastion(settings)
    try:
        with pytest.raises(LoginError):
            bastion.users.authenticate(ADMIN_USER, "anything at all")
    finally:
        bastion.close()


def test_the_sign_in_line_names_the_console_and_the_user() -> None:
    assert sign_in_line("http://127.0.0.1:8000") == (
        "Sign in at http://127.0.0.1:8000/ as admin (you choose a new password at first sign-in)."
    )
