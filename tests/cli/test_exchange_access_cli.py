"""`bastion exchange add` and `bank import` at the operator's door: any file but bastion's
own, a folder when one is configured, and one readable line for each refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import CliRunner


def test_the_command_line_names_any_file_but_bastions_own(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("bank", "create", "shared").code == 0
    for name in ("secret.key", "bastion.db"):
        run = cli(
            "exchange", "add", "steal", "--kind", "local_file", "--bank", "shared",
            "--set", f"filename={tmp_path / 'data' / name}", "--set", "format=local_file",
        )  # fmt: skip
        assert run.code == 2
        assert run.err.strip() == (
            f"error: local_file: filename: {tmp_path / 'data' / name} is in bastion's own "
            "data, which exchanges never read"
        )
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "partner.txt").write_text(f"md5 {'1' * 32}\n")
    (tmp_path / "elsewhere.txt").write_text(f"md5 {'2' * 32}\n")
    monkeypatch.setenv("BASTION_EXCHANGE_FILES_DIR", str(lists))
    outside = cli(
        "exchange", "add", "x", "--kind", "local_file", "--bank", "shared",
        "--set", f"filename={tmp_path / 'elsewhere.txt'}",
    )  # fmt: skip
    assert outside.code == 2
    assert outside.err.strip().endswith("elsewhere.txt is outside exchange_files_dir")
    inside = cli(
        "exchange", "add", "p", "--kind", "local_file", "--bank", "shared",
        "--set", "filename=partner.txt",
    )  # fmt: skip
    assert inside.code == 0, inside.err
    synced = cli("exchange", "sync", "p")
    assert synced.out.strip() == "p: 1 added, 0 updated, 0 deleted, 0 unchanged, 0 skipped"


def test_an_empty_list_or_a_wrong_header_is_an_error(cli: CliRunner, tmp_path: Path) -> None:
    assert cli("bank", "create", "b").code == 0
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    run = cli("bank", "import", "b", empty)
    assert (run.code, run.err.strip()) == (2, f"error: {empty}: the file holds no hashes")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"type,hash\nmd5,{'1' * 32}\n")
    run = cli("bank", "import", "b", wrong, "--skip-invalid")
    assert run.code == 2
    assert run.err.strip().startswith(
        f"error: {wrong}: looks like CSV but the header lacks the columns signal_type and "
        "signal_str"
    )
