"""Keys and webhook secrets from the command line: when each key was made and last used,
rotating a webhook's secret (printed once), switching rules, and the audit trail."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from bastion.auth import ApiKeyStore
from bastion.store import Database
from tests.cli.conftest import CliRunner


def test_key_list_shows_when_each_key_was_made_and_last_used(
    cli: CliRunner, database_url: str
) -> None:
    secret = cli("key", "create", "pipeline", "-s", "match").out.strip()
    cli("key", "create", "idle", "-s", "hash")
    (used, idle) = json.loads(cli("key", "list", "--json").out)
    assert used["created_at"] is not None
    assert (used["last_used_at"], idle["last_used_at"]) == (None, None)

    db = Database.open(database_url)  # the service, authenticating a request
    try:
        keys = ApiKeyStore(db)
        keys.authenticate(secret)
        keys.uses.flush()
    finally:
        db.close()
    (used, idle) = json.loads(cli("key", "list", "--json").out)
    assert used["last_used_at"] is not None
    assert idle["last_used_at"] is None
    table = cli("key", "list").out
    assert "created (UTC)" in table
    assert "last used (UTC)" in table
    assert used["last_used_at"][:16].replace("T", " ") in table
    assert "never" in table


def test_rotating_a_webhook_secret_from_the_cli(cli: CliRunner) -> None:
    cli("bank", "create", "b")
    first = cli("action", "add-webhook", "b", "https://hooks.example/bastion").out.strip()
    (rule,) = json.loads(cli("action", "list", "--json").out)["rules"]

    run = cli("action", "rotate-secret", str(rule["id"]))
    assert run.code == 0, run.err
    second = run.out.strip()
    assert len(second) >= 40
    assert second != first
    assert "shown once" in run.err
    assert second not in cli("action", "list").out

    run = cli("action", "rotate-secret", str(rule["id"]), "--grace-hours", "24")
    assert run.code == 0, run.err
    assert "the old one also signs until" in run.err
    (listed,) = json.loads(cli("action", "list", "--json").out)["rules"]
    assert listed["previous_secret_until"] is not None

    mine = "my-own-secret-0123456789"
    run = cli("action", "rotate-secret", str(rule["id"]), "--secret", mine)
    assert (run.code, run.out.strip()) == (0, mine)

    run = cli("action", "rotate-secret", str(rule["id"]), "--grace-hours", "500")
    assert run.code == 2
    assert "--grace-hours" in run.err
    cli("action", "add-review", "b")
    (_, review) = json.loads(cli("action", "list", "--json").out)["rules"]
    run = cli("action", "rotate-secret", str(review["id"]))
    assert run.code == 2
    assert "only webhook rules have a secret" in run.err


def test_switching_rules_and_the_audit_trail(cli: CliRunner, tmp_path: Path) -> None:
    cli("bank", "create", "b")
    secret = cli("action", "add-webhook", "b", "https://hooks.example/bastion").out.strip()
    (rule,) = json.loads(cli("action", "list", "--json").out)["rules"]
    assert cli("action", "disable", str(rule["id"])).out.strip() == f"disabled rule {rule['id']}"
    assert json.loads(cli("action", "list", "--json").out)["rules"][0]["enabled"] is False
    assert cli("action", "enable", str(rule["id"])).code == 0
    rotated = cli("action", "rotate-secret", str(rule["id"])).out.strip()
    assert cli("action", "remove", str(rule["id"])).code == 0

    run = cli("audit", "--json")
    events = [e for e in json.loads(run.out) if e["action"].startswith("action.")]
    assert [e["action"] for e in reversed(events)] == [
        "action.add", "action.disable", "action.enable", "action.rotate_secret", "action.remove",
    ]  # fmt: skip
    assert all(e["actor"].startswith("cli:") for e in events)
    assert all(e["detail"]["url"] == "https://hooks.example/bastion" for e in events)
    assert secret not in run.out
    assert rotated not in run.out

    data = tmp_path / "data"
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data / "secret.key").st_mode) == 0o600
