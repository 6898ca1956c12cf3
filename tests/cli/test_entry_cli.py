"""`bastion entry ...`: one entry shown, disabled (for good or until a time), enabled again
and deleted, as `lookup` and `match` then see it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bastion.cli.entry_cmd import until_time
from bastion.errors import ValidationError
from tests.cli.conftest import CliRunner

MD5 = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def entry_id(cli: CliRunner, tmp_path: Path) -> int:
    """The id of the one entry of bank `known`, holding md5 `MD5`."""
    listing = tmp_path / "list.txt"
    listing.write_text(f"md5 {MD5}\n")
    assert cli("bank", "create", "known").code == 0
    run = cli("bank", "import", "known", listing, "--added-by", "tester")
    assert run.code == 0, run.err
    (entry,) = json.loads(cli("bank", "show", "known", "--json").out)["first_entries"]
    return int(entry["id"])


def test_show_an_entry(cli: CliRunner, entry_id: int) -> None:
    run = cli("entry", "show", str(entry_id))
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == f"entry:     {entry_id} in bank known"
    assert lines[1] == "state:     enabled"
    assert f"signal:    md5 {MD5}" in lines
    assert any(line.startswith("added:") and line.endswith(" by tester") for line in lines)
    doc = json.loads(cli("entry", "show", str(entry_id), "--json").out)
    assert (doc["id"], doc["bank"], doc["enabled"], doc["disabled_until"]) == (
        entry_id, "known", True, None,
    )  # fmt: skip
    assert doc["signals"] == [{"type": "md5", "value": MD5, "quality": None}]


def test_disable_and_enable_take_an_entry_out_of_matching_and_back(
    cli: CliRunner, entry_id: int
) -> None:
    assert cli("lookup", "md5", MD5).code == 0
    run = cli("entry", "disable", str(entry_id))
    assert (run.code, run.out.strip()) == (0, f"entry {entry_id} in bank known: disabled")
    assert cli("lookup", "md5", MD5).code == 1
    run = cli("entry", "enable", str(entry_id))
    assert (run.code, run.out.strip()) == (0, f"entry {entry_id} in bank known: enabled")
    assert cli("lookup", "md5", MD5).code == 0

    run = cli("entry", "disable", str(entry_id), "--until", "7d")
    assert run.code == 0, run.err
    assert run.out.startswith(f"entry {entry_id} in bank known: disabled until ")
    assert cli("lookup", "md5", MD5).code == 1
    until = json.loads(cli("entry", "show", str(entry_id), "--json").out)["disabled_until"]
    later = datetime.now(UTC) + timedelta(days=7)
    assert abs(datetime.fromisoformat(until) - later) < timedelta(minutes=1)
    assert cli("entry", "enable", str(entry_id)).code == 0
    assert cli("lookup", "md5", MD5).code == 0


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("2000-01-01", "error: --until: 2000-01-01 00:00 UTC has passed; give a later time"),
        ("next tuesday", "error: --until: expected a time such as 2026-07-01T12:00 or a span"),
        ("999999999w", "error: --until: expected a time such as"),
    ],
)
def test_a_bad_until_is_one_line_and_changes_nothing(
    cli: CliRunner, entry_id: int, until: str, message: str
) -> None:
    run = cli("entry", "disable", str(entry_id), "--until", until)
    assert run.code == 2
    assert run.err.startswith(message)
    assert len(run.err.splitlines()) == 1
    assert json.loads(cli("entry", "show", str(entry_id), "--json").out)["enabled"] is True


def test_until_reads_iso_times_and_spans() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert until_time("2026-07-01", now) == datetime(2026, 7, 1, tzinfo=UTC)
    assert until_time("2026-07-01T12:00+02:00", now) == datetime(2026, 7, 1, 10, tzinfo=UTC)
    assert until_time("30m", now) == now + timedelta(minutes=30)
    assert until_time(" 2w ", now) == now + timedelta(weeks=2)
    with pytest.raises(ValidationError, match="has passed"):
        until_time("0m", now)


def test_delete_asks_unless_yes_and_an_unknown_id_is_one_line(
    cli: CliRunner, entry_id: int
) -> None:
    run = cli("entry", "delete", str(entry_id))  # no --yes and no terminal
    assert (run.code, run.err.strip()) == (
        2, "error: refusing to delete without confirmation: pass --yes",
    )  # fmt: skip
    assert cli("lookup", "md5", MD5).code == 0
    run = cli("entry", "delete", str(entry_id), "--yes")
    assert (run.code, run.out.strip()) == (0, f"deleted entry {entry_id} from bank known")
    assert cli("lookup", "md5", MD5).code == 1
    assert json.loads(cli("bank", "list", "--json").out)[0]["entries"] == 0
    for args in (["show"], ["disable"], ["enable"], ["delete", "--yes"]):
        run = cli("entry", *args, str(entry_id))
        assert (run.code, run.err.strip()) == (2, f"error: no entry with id {entry_id}")
    run = cli("entry", "show", str(2**70))
    assert run.code == 2
    assert run.err.startswith("error: ID: ")
    assert len(run.err.splitlines()) == 1
