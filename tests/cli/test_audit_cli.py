"""The audit log from the command line: exports, syncs, credential and key changes are
recorded with who did them, and no secret is."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner


def test_the_command_line_leaves_a_trail(cli: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"md5 {'1' * 32}\n")
    assert cli("bank", "create", "shared").code == 0
    cli("exchange", "add", "p", "--kind", "local_file", "--bank", "shared",
        "--set", f"filename={listing}", "--credential", "token=s3cret")  # fmt: skip
    cli("exchange", "sync", "p")
    cli("exchange", "set-credentials", "p", "--credential", "token=n3w-s3cret")
    cli("bank", "export", "shared", "-o", tmp_path / "out.csv")
    cli("key", "create", "pipeline", "--scope", "match")
    run = cli("audit", "--json")
    assert run.code == 0, run.err
    events = json.loads(run.out)
    actions = [e["action"] for e in events]
    assert actions == [
        "key.create", "bank.export", "exchange.credentials", "exchange.sync", "exchange.add",
        "bank.create",
    ]  # fmt: skip
    assert {e["actor"] for e in events} == {events[0]["actor"]}
    assert events[0]["actor"].startswith("cli:")
    export = events[1]
    assert (export["target"], export["detail"]) == ("shared", {"format": "csv", "rows": 1})
    assert events[3]["detail"]["added"] == 1
    assert "s3cret" not in run.out
    only = json.loads(cli("audit", "--json", "--action", "bank.export").out)
    assert [e["action"] for e in only] == ["bank.export"]
