"""`bastion hash` and `bastion match` with videos."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import CliRunner
from tests.videos import edit, synthetic_video


def test_hash_bank_and_match_a_video(cli: CliRunner, tmp_path: Path) -> None:
    known = synthetic_video(21, seconds=8, fps=10)
    (tmp_path / "known.mp4").write_bytes(known)
    (tmp_path / "clip.mp4").write_bytes(edit(known, start=3, end=7))

    run = cli("hash", tmp_path / "known.mp4")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].endswith("(mov 320x240, 8.0 s)")
    assert lines[3].split()[:2] == ["vpdq", lines[3].split()[1]]
    assert "8 frames; --json for all" in lines[3]

    run = cli("hash", "--json", tmp_path / "known.mp4")
    [doc] = json.loads(run.out)
    assert doc["kind"] == "video"
    assert len(json.loads(doc["signals"][2]["value"])) == 8
    run = cli("hash", "-s", "vpdq", tmp_path / "known.mp4")
    assert run.out.startswith('vpdq ["')

    assert cli("bank", "create", "videos").code == 0
    run = cli("bank", "add", "videos", tmp_path / "known.mp4")
    assert run.code == 0, run.err

    run = cli("match", tmp_path / "clip.mp4")
    assert run.code == 0, run.err
    assert re.search(r"entry 1  vpdq distance \d+  100% of the query's frames", run.out)
    assert "50% of the bank video's" in run.out
    assert "seconds 0-3 match seconds 3-6" in run.out
