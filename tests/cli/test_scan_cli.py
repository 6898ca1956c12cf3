"""`bastion scan` and `bastion scans ...` from a terminal: a folder scanned in the command's
process, its summary and exit status, the scan listed and shown with its failed items, a
re-run that checks nothing again, and retroactive matching run by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.samples import write_samples
from tests.cli.conftest import CliRunner


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    write_samples(root, [1, 2, 3, 4])
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not media")
    return root


def test_a_scan_from_the_command_line(cli: CliRunner, folder: Path) -> None:
    (known,) = sorted(folder.glob("*3*"))
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known).code == 0
    assert cli("action", "add-review", "known").code == 0

    first = cli("scan", folder, "--workers", "0", "--name", "uploads")

    assert first.code == 1  # an item failed
    assert "listed 5 items (5 new, 0 changed); 5 to check" in first.err
    assert "This run: 4 checked, 1 failed, 1 matched, 1 actions queued" in first.out
    assert "(bastion scans show uploads)" in first.out
    listed = cli("scans", "list")
    assert "uploads" in listed.out
    assert "stopped" in listed.out
    shown = cli("scans", "show", "uploads")
    assert "5 items: 4 done (1 matched, 1 actions queued), 1 failed, 0 pending" in shown.out
    assert "notes/readme.txt" in shown.out
    assert "not a supported image" in shown.out

    (folder / "notes" / "readme.txt").unlink()
    again = cli("scan", folder, "--workers", "0", "--name", "uploads", "--skip-failed")
    assert again.code == 0
    assert "This run: 0 checked, 0 failed" in again.out
    assert "bank known" in cli("review", "list").out  # the one match's job


def test_bad_sources_and_names_are_refused_clearly(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli("scan", tmp_path / "nowhere", "--workers", "0")
    assert missing.code == 2
    assert "no such folder" in missing.err
    manifest = tmp_path / "list.csv"
    manifest.write_text("id,path\n1,a.jpg\n")
    bad = cli("scan", manifest, "--workers", "0")
    assert bad.code == 2
    assert "needs the columns content_id and path or url" in bad.err
    assert cli("scans", "show", "nope").code == 2
    (tmp_path / "d").mkdir()
    named = cli("scan", tmp_path / "d", "--workers", "0", "--name", "-bad name")
    assert named.code == 2
    assert "scan name" in named.err


def test_retroactive_matching_by_hand(
    cli: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = cli("scans", "retro")
    assert "checked_retention_days is 0" in off.err
    monkeypatch.setenv("BASTION_CHECKED_RETENTION_DAYS", "30")
    assert cli("bank", "create", "known").code == 0
    assert cli("action", "add-review", "known").code == 0
    assert cli("scans", "retro").code == 0  # the cursor starts here
    assert cli("scan", folder, "--workers", "0", "--skip-failed").code == 1
    (known,) = sorted(folder.glob("*2*"))
    assert cli("bank", "add", "known", known).code == 0

    found = cli("scans", "retro")

    assert found.code == 0, found.err
    assert "1 matched after the fact (1 actions queued)" in found.out
    again = cli("scans", "retro")
    assert "0 matched after the fact" in again.out
