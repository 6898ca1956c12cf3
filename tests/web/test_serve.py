"""`bastion serve` as a new user runs it: first-run key, demo bank, several workers."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image

from bastion.auth import Role
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(data_dir: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, "BASTION_DATA_DIR": str(data_dir)}
    env.pop("BASTION_DATABASE_URL", None)
    script = Path(sys.executable).with_name("bastion")
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bastion serve did not start: {process.stderr.read()}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def png(seed: int, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(buffer, "PNG")
    return buffer.getvalue()


def test_first_run_prints_a_key_that_matches_against_the_demo_bank(tmp_path: Path) -> None:
    with serve(tmp_path / "data") as (url, process):
        assert process.stdout is not None
        key = process.stdout.readline().strip()
        assert key.startswith("bst_")
        password = process.stdout.readline().strip()
        assert len(password) == 24
        assert httpx.get(f"{url}/api/v1/banks").status_code == 401
        headers = {"Authorization": f"Bearer {key}"}
        banks = httpx.get(f"{url}/api/v1/banks", headers=headers).json()
        assert [(b["name"], b["entries"]) for b in banks] == [("demo", 6)]
        # A resized copy of demo sample 2 matches; an unrelated image does not.
        files = {"file": ("copy.png", png(2, (320, 240)), "image/png")}
        matches = httpx.post(f"{url}/api/v1/match", files=files, headers=headers).json()["matches"]
        assert [(m["bank"], m["metadata"]["sample"]) for m in matches] == [
            ("demo", "sample-002.jpg")
        ]
        other = {"file": ("other.png", png(77, (320, 240)), "image/png")}
        assert (
            httpx.post(f"{url}/api/v1/match", files=other, headers=headers).json()["matches"] == []
        )
        assert (tmp_path / "data" / "bastion.db").is_file()
    # The console's admin signs in with the password printed once (to be changed).
    settings = Settings.load(env={}, data_dir=tmp_path / "data")
    bastion = Bastion(settings)
    try:
        admin = bastion.users.authenticate("admin", password)
        assert (admin.role, admin.must_change_password) == (Role.ADMIN, True)
    finally:
        bastion.close()
    # The second start creates no new key or user and keeps the data.
    with serve(tmp_path / "data") as (url, process):
        assert process.stdout is not None
        assert httpx.get(f"{url}/api/v1/banks", headers=headers).status_code == 200
        process.terminate()
        assert process.stdout.read() == ""


def test_two_worker_processes_share_one_database(tmp_path: Path) -> None:
    with serve(tmp_path / "data", "--workers", "2") as (url, process):
        assert process.stdout is not None
        headers = {"X-API-Key": process.stdout.readline().strip()}
        with httpx.Client(base_url=url, headers=headers) as client:
            value = "cd" * 32
            client.post(
                "/api/v1/banks/demo/entries", json={"signals": [{"type": "pdq", "value": value}]}
            ).raise_for_status()
            # The other worker sees the change within match_staleness (0.1 s by default).
            time.sleep(0.2)
            # New connections spread over both workers; every answer must include the entry.
            for _ in range(20):
                with httpx.Client(base_url=url, headers=headers) as fresh:
                    found = fresh.get(
                        "/api/v1/lookup", params={"signal_type": "pdq", "signal": value}
                    )
                    assert len(found.json()["matches"]) == 1
