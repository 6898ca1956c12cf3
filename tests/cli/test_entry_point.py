"""The installed `bastion` console script, run as a user would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bastion

BRIDGE_PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def bastion_cmd() -> list[str]:
    script = Path(sys.executable).with_name("bastion")
    return [str(script)] if script.exists() else [shutil.which("bastion") or "bastion"]


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASTION_DATA_DIR": str(data_dir)}
    env.pop("BASTION_DATABASE_URL", None)
    return subprocess.run(
        [*bastion_cmd(), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_version_and_help(tmp_path: Path) -> None:
    result = run("--version", data_dir=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"bastion {bastion.__version__}"
    assert "bank" in run("--help", data_dir=tmp_path).stdout


def test_hash_prints_the_reference_pdq_of_the_bridge(shared_testdata: Path, tmp_path: Path) -> None:
    image = shared_testdata / "pdq" / "reg-test-input" / "dih" / "bridge-1-original.jpg"
    result = run("hash", str(image), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"pdq     {BRIDGE_PDQ}  quality 100" in result.stdout
    result = run("hash", "-s", "pdq", str(image), data_dir=tmp_path)
    assert result.stdout == f"pdq {BRIDGE_PDQ}\n"


def test_first_run_creates_the_data_directory_and_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "bastion"
    result = run("bank", "list", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert (data_dir / "bastion.db").is_file()


def test_error_is_one_line_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    result = run("hash", str(junk), data_dir=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {junk}: ")
    assert "Traceback" not in result.stderr
