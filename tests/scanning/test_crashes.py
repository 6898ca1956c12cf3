"""A scan killed mid-way (kill -9 of the client, then of a worker) and run again: every item
recorded exactly once, every match acted on exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bastion.pipeline.scan import Scanner, ScanOutcome, ScanPlan, check_batch
from bastion.scanning import list_items
from bastion.settings import Settings
from bastion.store.models import JobRow, ScanItemRow
from tests.scanning.conftest import Platform, jpeg, platform_for, worker_pids

#: Photos in the folder, and every how many the bank holds.
PHOTOS, EVERY = 160, 5


def big_folder(root: Path) -> list[Path]:
    """Photos large enough that a scan takes seconds, so it can be killed mid-way."""
    paths = []
    for i in range(PHOTOS):
        path = root / f"{i // 40:02d}" / f"photo-{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg(i, (800, 600)))
        paths.append(path)
    return paths


def wait_until(done: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {seconds:.0f} s")
        time.sleep(0.02)


def done_count(platform: Platform) -> int:
    with platform.bastion.db.session() as s:
        return s.scalar(select(func.count()).where(ScanItemRow.status == "done")) or 0


def assert_exactly_once(platform: Platform) -> None:
    with platform.bastion.db.session() as s:
        rows = s.execute(select(ScanItemRow.status, ScanItemRow.attempts)).all()
        keys = [str(e["content"]["key"]) for e in s.scalars(select(JobRow.evidence))]
    assert len(rows) == PHOTOS  # one row per item
    assert {status for status, _ in rows} == {"done"}
    assert {attempts for _, attempts in rows} == {1}  # marked done once, by one worker
    assert sorted(keys) == sorted(platform.matching)  # one job per matching photo
    assert len(platform.matching) == PHOTOS // EVERY
    assert platform.counts()["webhooks"] == PHOTOS // EVERY


def test_killing_the_client_then_running_again(platform_settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    platform = platform_for(platform_settings, big_folder(root), root, every=EVERY)
    command = [
        str(Path(sys.executable).with_name("bastion")),
        "--data-dir", str(platform_settings.data_dir),
        "--database-url", platform_settings.database_url,
        "scan", str(root), "--workers", "2", "--batch", "2",
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "120"}
    first = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_until(lambda: done_count(platform) >= 20, seconds=120, what="20 items checked")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = done_count(platform)
        assert killed_at < PHOTOS, "the scan ended before it could be killed"

        again = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert "0 failed" in again.stdout
        assert_exactly_once(platform)
    finally:
        with contextlib.suppress(ProcessLookupError):  # its workers, orphaned by the kill
            os.killpg(first.pid, signal.SIGKILL)
        platform.bastion.close()


def test_killing_a_worker_midway(platform_settings: Settings, tmp_path: Path, cluster: Any) -> None:
    root = tmp_path / "uploads"
    platform = platform_for(platform_settings, big_folder(root), root, every=EVERY)
    scanner = Scanner(platform.bastion, scheduler=cluster.scheduler_address)
    outcomes: list[ScanOutcome] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            outcomes.append(scanner.run(ScanPlan(str(root), "uploads", batch=2), actor="t"))
        except BaseException as e:
            errors.append(e)

    running = threading.Thread(target=scan)
    running.start()
    try:
        wait_until(lambda: done_count(platform) >= 20, seconds=120, what="20 items checked")
        victim = worker_pids(cluster)[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = done_count(platform)
        running.join(timeout=300)
        assert not running.is_alive()
        assert not errors, errors
        assert killed_at < PHOTOS, "the scan ended before a worker could be killed"
        wait_until(lambda: victim not in worker_pids(cluster), seconds=30, what="a new worker")
        (outcome,) = outcomes
        assert outcome.counts.done == PHOTOS
        assert outcome.result.failed == 0
        assert_exactly_once(platform)
    finally:
        running.join(timeout=60)
        platform.bastion.close()


def test_a_batch_run_twice_acts_once(
    platform_settings: Settings, tmp_path: Path, cluster: Any
) -> None:
    """What Dask does when a worker dies after committing and before reporting: the batch
    runs again elsewhere. Here both copies run at once, on the two workers."""
    distributed = pytest.importorskip("distributed")

    root = tmp_path / "uploads"
    platform = platform_for(platform_settings, big_folder(root), root, every=EVERY)
    store = platform.bastion.scans
    scan = store.start("twice", str(root), {}, actor="t")
    store.record_listing(scan.id, list_items(str(root)))
    (batch,) = store.pending(scan.id)
    try:
        with distributed.Client(cluster.scheduler_address) as client:
            first, second = (
                client.submit(check_batch, platform_settings, scan, batch, True, {}, pure=False)
                for _ in range(2)
            )
            results = [first.result(timeout=120), second.result(timeout=120)]
        assert sum(r.done for r in results) == PHOTOS
        assert sum(r.skipped for r in results) == PHOTOS
        with platform.bastion.db.session() as s:
            attempts = set(s.scalars(select(ScanItemRow.attempts)))
            jobs = s.scalar(select(func.count()).select_from(JobRow))
        assert attempts == {1}
        assert jobs == PHOTOS // EVERY
        assert platform.counts()["webhooks"] == PHOTOS // EVERY
    finally:
        platform.bastion.close()
