"""Every door goes through the one pipeline: a rotated copy of a bank image is found the same
way by the API, HMA's routes, the command line and a stream watch, on the same database."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.cli.conftest import CliRunner, cli  # noqa: F401 (fixture)
from tests.media.hls import HlsServer, encode_segments
from tests.web.test_robust_matching_api import jpeg, picture


def _key(match: dict[str, Any]) -> tuple[object, ...]:
    return tuple(match.get(k) for k in ("bank", "entry_id", "signal_type", "distance", "query_how"))


def test_a_rotated_copy_is_found_alike_through_every_door(
    api: httpx.Client,
    cli: CliRunner,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert api.post("/api/v1/banks", json={"name": "known"}).status_code == 201
    added = api.post(
        "/api/v1/banks/known/media", files={"file": ("k.jpg", jpeg(picture(43)), "image/jpeg")}
    )
    assert added.status_code == 201, added.text
    entry_id = added.json()["id"]
    rotated = jpeg(picture(43).transpose(Image.Transpose.ROTATE_90))
    (tmp_path / "rotated.jpg").write_bytes(rotated)

    found = api.post("/api/v1/match", files={"file": ("r.jpg", rotated, "image/jpeg")})
    assert found.status_code == 200, found.text
    by_api = sorted(_key(m) for m in found.json()["matches"])
    ((bank, entry, signal_type, distance, how),) = by_api
    assert (bank, entry, signal_type, how) == ("known", entry_id, "pdq", "rotate270")

    hma = api.post("/m/lookup", files={"photo": ("r.jpg", rotated, "image/jpeg")})
    assert hma.status_code == 200, hma.text
    assert hma.json()["pdq"] == {
        "known": [{"bank_content_id": entry_id, "distance": str(distance)}]
    }

    run = cli("match", "--json", tmp_path / "rotated.jpg")
    assert run.code == 0, run.err
    (document,) = json.loads(run.out)
    assert sorted(_key(m) for m in document["matches"]) == by_api

    # A live stream showing the rotated picture: its frames are looked up the same way.
    monkeypatch.setenv("BASTION_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    frames = [np.asarray(picture(43).transpose(Image.Transpose.ROTATE_90))] * 30
    with HlsServer(encode_segments(frames), live=True) as server:
        run = cli("stream", "watch", server.url, "--duration", "30")
    assert run.code == 0, run.err
    alert = re.search(r"ALERT at \S+ s: bank (\S+)  entry (\d+)  (\S+) .*upload (\S+)", run.out)
    assert alert is not None, run.out
    assert alert.groups() == (bank, str(entry), signal_type, how)
