"""The command line, end to end: hash, banks, import/export and match, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bastion.samples import sample_pixels, write_samples
from tests.cli.conftest import CliRunner

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def images(tmp_path: Path) -> dict[str, list[Path]]:
    known = write_samples(tmp_path / "known", range(1, 4))
    copies = []
    for path in known:
        copy = tmp_path / "copies" / f"{path.stem}.png"
        copy.parent.mkdir(exist_ok=True)
        Image.open(path).resize((400, 300)).save(copy)
        copies.append(copy)
    return {
        "known": known,
        "copies": copies,
        "unrelated": write_samples(tmp_path / "unrelated", range(50, 52)),
    }


def test_hash_json_and_local_file_output(cli: CliRunner, images: dict[str, list[Path]]) -> None:
    path = images["known"][0]
    run = cli("hash", "--json", path)
    assert run.code == 0, run.err
    (doc,) = json.loads(run.out)
    assert doc["format"] == "JPEG"
    assert [s["type"] for s in doc["signals"]] == ["pdq", "md5", "sha256"]
    assert 0 <= doc["signals"][0]["quality"] <= 100
    run = cli("hash", "-s", "pdq", path)
    assert run.out == f"pdq {doc['signals'][0]['value']}\n"


def test_hash_reports_bad_files_and_keeps_going(
    cli: CliRunner, images: dict[str, list[Path]], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(images["known"][0].read_bytes()[:300])
    run = cli("hash", bad, images["known"][1], tmp_path / "missing.png")
    assert run.code == 2
    first, second = run.err.splitlines()
    assert first.startswith(f"error: {bad}: corrupt or truncated image (")
    assert second == f"error: {tmp_path / 'missing.png'}: no such file"
    assert images["known"][1].name in run.out


def test_bank_workflow_end_to_end(
    cli: CliRunner, images: dict[str, list[Path]], tmp_path: Path
) -> None:
    assert cli("bank", "list").out.startswith("no banks yet")
    assert cli("bank", "create", "known", "-d", "test bank", "-t", "pdq=40").code == 0
    run = cli("bank", "add", "known", *images["known"], "--added-by", "tester")
    assert run.code == 0, run.err
    assert "added 3 entries to known" in run.out
    run = cli("bank", "add", "known", images["known"][0])
    assert run.out.strip() == "added 0 entries to known; 1 already in the bank"

    listed = json.loads(cli("bank", "list", "--json").out)
    assert [(b["name"], b["entries"], b["thresholds"]) for b in listed] == [
        ("known", 3, {"pdq": 40})
    ]
    shown = json.loads(cli("bank", "show", "known", "--json").out)
    assert shown["first_entries"][0]["added_by"] == "tester"
    assert shown["first_entries"][0]["metadata"] == {"filename": "sample-001.jpg"}

    run = cli("match", *images["copies"])
    assert run.code == 0
    assert run.out.count("MATCH") == 3
    run = cli("match", *images["unrelated"])
    assert run.code == 1
    assert run.out.count("no match") == 2
    doc = json.loads(cli("match", "--json", images["copies"][0]).out)
    assert doc[0]["matches"][0]["bank"] == "known"
    assert doc[0]["matches"][0]["signal_type"] == "pdq"

    exported = tmp_path / "known.csv"
    assert cli("bank", "export", "known", "-o", exported).code == 0
    assert exported.read_text().startswith("collab,signal_type,signal_str,category,tags,entry\n")
    assert len(exported.read_text().splitlines()) == 1 + 9
    assert cli("bank", "create", "copy").code == 0
    run = cli("bank", "import", "copy", exported)
    assert run.code == 0, run.err
    assert "9 rows: 3 accepted, 0 duplicates skipped, 0 rejected" in run.out  # 3 entries, whole
    assert cli("bank", "export", "copy").out == exported.read_text()

    assert cli("bank", "delete", "known").code == 2  # no --yes and no terminal
    run = cli("bank", "delete", "known", "--yes")
    assert run.out.strip() == "deleted bank known (3 entries)"
    assert cli("bank", "show", "known").err.strip() == "error: no bank named 'known'"


def test_bad_import_writes_nothing_and_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    cli("bank", "create", "b")
    path = tmp_path / "list.txt"
    path.write_text(f"pdq {PDQ}\npdq 1234\nmd5 {'0' * 32}\n")
    run = cli("bank", "import", "b", path)
    assert run.code == 2
    assert f"{path}: line 2: pdq: expected 64 hex characters, got '1234'" in run.err
    assert run.err.strip().endswith("fix the file, or import with --skip-invalid to skip bad rows")
    assert json.loads(cli("bank", "list", "--json").out)[0]["entries"] == 0
    run = cli("bank", "import", "b", path, "--skip-invalid")
    assert run.code == 0
    assert "3 rows: 2 accepted, 0 duplicates skipped, 1 rejected" in run.out


def test_bank_add_is_all_or_nothing(
    cli: CliRunner, images: dict[str, list[Path]], tmp_path: Path
) -> None:
    cli("bank", "create", "b")
    junk = tmp_path / "junk.gif"
    junk.write_bytes(b"GIF89a" + bytes(20))
    run = cli("bank", "add", "b", images["known"][0], junk)
    assert run.code == 2
    assert "nothing was added" in run.err
    assert json.loads(cli("bank", "list", "--json").out)[0]["entries"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bank", "create", "bad name"), "invalid bank name"),
        (("bank", "create", "b", "-t", "pdq=300"), "threshold for pdq must be 0-256"),
        (("bank", "create", "b", "-t", "pdq"), "--threshold expects TYPE=DISTANCE"),
        (("bank", "import", "nope", "x.csv"), "no bank named 'nope'"),
        (("--pdq-mode", "turbo", "hash", "x.jpg"), "pdq_mode must be 'reference' or 'fast'"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    cli: CliRunner, args: tuple[str, ...], message: str
) -> None:
    run = cli(*args)
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1
    assert message in run.err


def test_usage_errors_exit_2(cli: CliRunner) -> None:
    assert cli("hash").code == 2
    assert cli("bank", "frobnicate").code == 2


def test_demo_runs_and_matches_only_the_altered_copies(cli: CliRunner) -> None:
    run = cli("demo")
    assert run.code == 0, run.err
    rows = [line for line in run.out.splitlines() if "sample-" in line]
    assert len(rows) == 6
    assert sum("match sample-" in r for r in rows) == 3
    assert all("no match" in r for r in rows if "unrelated" in r)


def test_sample_images_have_usable_quality() -> None:
    from bastion.pdq import hash_rgb

    assert all(hash_rgb(sample_pixels(seed)).quality >= 80 for seed in range(1, 20))


def test_key_create_list_revoke(cli: CliRunner) -> None:
    run = cli("key", "create", "pipeline", "-s", "match", "-s", "hash", "--rate-limit", "60")
    assert run.code == 0, run.err
    secret = run.out.strip()
    assert secret.startswith("bst_")
    prefix = secret.split("_")[1]
    assert f"created key {prefix}" in run.err
    (key,) = json.loads(cli("key", "list", "--json").out)
    assert (key["prefix"], key["scopes"], key["rate_limit"], key["revoked_at"]) == (
        prefix,
        ["hash", "match"],
        60,
        None,
    )
    assert secret not in cli("key", "list").out
    assert cli("key", "revoke", "pipeline").out.strip() == f"revoked key {prefix} (pipeline)"
    assert json.loads(cli("key", "list", "--json").out)[0]["revoked_at"] is not None
    run = cli("key", "revoke", prefix)
    assert run.code == 2
    assert "no active key" in run.err
    assert cli("key", "create", "x", "-s", "bogus").code == 2


def test_action_rules_from_the_cli(cli: CliRunner) -> None:
    cli("bank", "create", "b")
    run = cli("action", "add-webhook", "b", "https://hooks.example/bastion")
    assert run.code == 0, run.err
    secret = run.out.strip()
    assert len(secret) >= 32
    assert cli("action", "add-review", "b").code == 0
    doc = json.loads(cli("action", "list", "--json").out)
    assert [(r["bank"], r["kind"], r["url"]) for r in doc["rules"]] == [
        ("b", "webhook", "https://hooks.example/bastion"),
        ("b", "review", None),
    ]
    assert doc["outbox"] == {"dead": 0, "delivered": 0, "pending": 0}
    assert secret not in cli("action", "list").out
    assert cli("action", "remove", str(doc["rules"][0]["id"])).code == 0
    assert cli("action", "add-webhook", "b", "ftp://x/y").code == 2
