"""`bastion hash` and `bastion match` with videos."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.actions.conftest import Receiver, receiver  # noqa: F401 (fixture)
from tests.cli.conftest import CliRunner
from tests.media.hls import HlsServer, encode_segments, pattern_frames
from tests.videos import edit, encode_frames, synthetic_frames, synthetic_video


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


def test_stream_watch_alerts_on_a_known_video_in_a_live_stream(
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,  # noqa: F811
) -> None:
    monkeypatch.setenv("BASTION_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    known_frames = synthetic_frames(22, seconds=5, fps=10)
    (tmp_path / "known.mp4").write_bytes(encode_frames(known_frames, fps=10))
    assert cli("bank", "create", "videos").code == 0
    assert cli("bank", "add", "videos", tmp_path / "known.mp4").code == 0
    assert cli("action", "add-webhook", "videos", receiver.url).code == 0
    frames = pattern_frames(2) + known_frames + pattern_frames(2)
    with HlsServer(encode_segments(frames), live=True) as server:
        run = cli("stream", "watch", server.url, "--duration", "30")
    assert run.code == 0, run.err
    assert re.search(r"ALERT at \d+\.\d s: bank videos  entry 1  ", run.out)
    assert "alerts, lag" in run.err
    # It acts as the service does: the bank's webhook was delivered while it watched.
    (delivered,) = receiver.requests
    assert (delivered.json()["bank"], delivered.json()["content"]["kind"]) == ("videos", "stream")


def test_stream_watch_refuses_a_bad_url(cli: CliRunner) -> None:
    run = cli("stream", "watch", "ftp://example.com/x")
    assert run.code == 2
    assert "scheme 'ftp' is not supported" in run.err


def test_stream_watch_refuses_loopback_unless_allowed(cli: CliRunner) -> None:
    run = cli("stream", "watch", "http://127.0.0.1:9/live.m3u8")
    assert run.code == 2
    assert run.err.startswith(
        "error: refusing to fetch from 127.0.0.1: not a public address (loopback)"
    )
    assert "fetch_allow_networks" in run.err


def test_stream_watches_for_the_service_are_added_listed_and_stopped(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = cli("stream", "start", "http://127.0.0.1:9/live.m3u8")
    assert refused.code == 2
    assert "not a public address (loopback)" in refused.err
    monkeypatch.setenv("BASTION_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    added = cli("stream", "start", "http://127.0.0.1:9/live.m3u8?token=s3cret", "--name", "cam")
    assert added.code == 0, added.err
    assert added.out.strip() == "added stream watch 1: http://127.0.0.1:9/live.m3u8"
    listed = cli("stream", "list")
    assert re.search(r"1 +│ waiting +│ http://127.0.0.1:9/live.m3u8 +│ cam", listed.out)
    [doc] = json.loads(cli("stream", "list", "--json").out)
    assert (doc["id"], doc["state"], doc["running"]) == (1, "waiting", False)
    assert "s3cret" not in listed.out + json.dumps(doc)
    stopped = cli("stream", "stop", "1")
    assert stopped.out.strip() == "stopped stream watch 1 after 0 frames, 0 alerts"
    assert json.loads(cli("stream", "list", "--json").out) == []
    missing = cli("stream", "stop", "1")
    assert (missing.code, missing.err.strip()) == (2, "error: no stream watch 1")
