"""`bastion exchange ...` through the real entry point: add, sync, status, credentials."""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bastion.exchange.store import ExchangeStore
from bastion.settings import Settings
from bastion.store import Database
from tests.cli.conftest import CliRunner


def test_an_exchange_is_added_synced_listed_and_removed(cli: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"md5 {'1' * 32}\nmd5 {'2' * 32}\nmd5 nothex\n")
    assert cli("bank", "create", "shared").code == 0
    added = cli(
        "exchange", "add", "partner", "--kind", "local_file", "--bank", "shared",
        "--set", f"filename={listing}", "--interval", "600",
    )  # fmt: skip
    assert added.code == 0, added.err
    synced = cli("exchange", "sync", "partner")
    assert synced.code == 0, synced.err
    assert synced.out.strip() == "partner: 2 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped"
    again = cli("exchange", "sync")
    assert again.out.strip() == "partner: up to date (nothing new at the source)"
    status = json.loads(cli("exchange", "status", "partner").out)
    assert (status["fetched"], status["interval_seconds"], status["last_error"]) == (2, 600, None)
    [listed] = json.loads(cli("exchange", "list", "--json").out)
    assert listed["name"] == "partner"
    listing.unlink()
    assert cli("exchange", "reset", "partner").code == 0
    failed = cli("exchange", "sync", "partner")
    assert failed.code == 1
    assert "cannot read" in failed.err
    assert cli("exchange", "disable", "partner").code == 0
    assert json.loads(cli("exchange", "status", "partner").out)["enabled"] is False
    assert cli("exchange", "remove", "partner").code == 0
    assert json.loads(cli("exchange", "list", "--json").out) == []
    # The entries it fetched stay.
    assert len(json.loads(cli("bank", "list", "--json").out)) == 1


def test_credentials_are_stored_but_never_printed(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("bank", "create", "shared").code == 0
    added = cli(
        "exchange", "add", "p", "--kind", "local_file", "--bank", "shared",
        "--set", f"filename={tmp_path / 'x'}", "--credential", "token=s3cret",
    )  # fmt: skip
    assert added.code == 0, added.err
    shown = cli("exchange", "status", "p")
    assert json.loads(shown.out)["has_credentials"] is True
    assert "s3cret" not in shown.out
    unknown = cli("exchange", "add", "q", "--kind", "nope", "--bank", "shared")
    assert unknown.code == 2
    assert unknown.err.startswith("error: unknown exchange kind 'nope' (known: bastion, ")


def stored_credentials(name: str) -> dict[str, str]:
    """What the store holds for exchange `name`, decrypted as a sync would read it."""
    settings = Settings.load()  # the cli fixture's data directory and database
    db = Database.open(settings.database_url)
    try:
        store = ExchangeStore(db, settings.credential_box())
        claim = store.claim(name, "test", lease=timedelta(0))  # held for no time at all
        assert claim is not None
        return claim.credentials
    finally:
        db.close()


def test_without_a_terminal_missing_credentials_are_one_line_and_nothing_is_added(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("bank", "create", "shared").code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # piped, and nothing in the pipe
    run = cli(
        "exchange", "add", "n", "--kind", "ncmec", "--bank", "shared", "--credential", "username=u"
    )
    assert run.code == 2
    assert run.err == (
        "error: no terminal to ask for credential password on: pass --credential password=..., "
        "or KEY=VALUE lines on standard input with --credentials-stdin\n"
    )
    assert json.loads(cli("exchange", "list", "--json").out) == []


def test_credentials_from_standard_input_are_taken_as_written(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("bank", "create", "shared").code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("username=u\npassword=true\n\n"))
    run = cli("exchange", "add", "n", "--kind", "ncmec", "--bank", "shared", "--credentials-stdin")
    assert run.code == 0, run.err
    assert stored_credentials("n") == {"username": "u", "password": "true"}
    monkeypatch.setattr(sys, "stdin", io.StringIO("username=v\n"))
    run = cli("exchange", "set-credentials", "n", "--credentials-stdin")
    assert (run.code, run.err.strip()) == (
        2, "error: missing credential password: add password=... to standard input or pass "
        "--credential password=...",
    )  # fmt: skip
    run = cli("exchange", "set-credentials", "n", "--credential", "username=v",
              "--credential", "password=1e3")  # fmt: skip
    assert run.code == 0, run.err
    assert stored_credentials("n") == {"username": "v", "password": "1e3"}
    monkeypatch.setattr(sys, "stdin", io.StringIO("hunter2\n"))
    run = cli("exchange", "set-credentials", "n", "--credentials-stdin")
    assert run.code == 2
    assert "hunter2" not in run.err  # a malformed line may be a secret: never echoed
