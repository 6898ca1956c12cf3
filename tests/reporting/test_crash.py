"""Killing the sender after any step loses no report and sends none twice.

A child process sends a report of three files to the fake CyberTipline, which kills it
(SIGKILL: no handler runs) right after it has answered the chosen step: the answer may or may
not have reached the child, and the child may or may not have recorded it. Then a fresh
sender, once the dead one's lease has run out, takes the report on. Whatever the step, the
fake ends up holding exactly one finished report with every file once (the right MD5s), our
report is finished with its receipts, and what follows a report (preservation, the report
bank) happened once."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bastion.pipeline import Bastion
from bastion.pipeline.reporting import Reporting
from bastion.reporting.model import FileState, ReportStatus
from bastion.reporting.store import DEFAULT_LEASE
from bastion.settings import Settings
from bastion.store.models import utcnow
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.reporting.flow import report_matches, service

CHILD = Path(__file__).with_name("send_once.py")
#: Every step of a report of three files, and which call of it the kill follows.
STEPS = [("submit", 1)] + [("upload", n) for n in (1, 2, 3)] + [
    ("fileinfo", n) for n in (1, 2, 3)
] + [("finish", 1)]  # fmt: skip


@pytest.fixture
def bastion(settings: Settings, fake_cybertipline: FakeCyberTipline) -> Iterator[Bastion]:
    built = service(settings, fake_cybertipline)
    yield built
    built.close()


@pytest.mark.parametrize(("step", "nth"), STEPS, ids=[f"{s}-{n}" for s, n in STEPS])
def test_a_sender_killed_after_any_step_finishes_the_report_once(
    bastion: Bastion,
    fake_cybertipline: FakeCyberTipline,
    settings: Settings,
    step: str,
    nth: int,
) -> None:
    fake = fake_cybertipline
    reported = report_matches(bastion)
    bastion.reporting.request(reported.report.id, "user:ada")

    child = subprocess.Popen(
        [sys.executable, str(CHILD), settings.database_url, str(settings.data_dir), fake.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        pid = int(child.stdout.readline())
        fake.kill_after(step, nth, pid)
        child.stdin.write("go\n")
        child.stdin.flush()
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL, err[-2000:]  # it died at the step

    # A fresh sender, once the dead one's lease has run out.
    later = utcnow() + DEFAULT_LEASE + timedelta(minutes=1)
    fresh = Reporting(bastion, bastion.review.desk, cybertipline_url=fake.url, clock=lambda: later)
    try:
        fresh.send_due("fresh")
        report = fresh.store.get(reported.report.id)
    finally:
        fresh.close()

    assert report.status is ReportStatus.FINISHED, report.error
    finished = [r for r in fake.reports.values() if r.status == "finished"]
    assert len(finished) == 1
    [remote] = finished
    assert remote.id == report.remote_id
    assert sorted(f.md5 for f in remote.files.values()) == sorted(
        hashlib.md5(m).hexdigest() for m in reported.media
    )
    assert all(f.details is not None for f in remote.files.values())
    assert {f.remote_id for f in report.files} == set(remote.files)
    assert all(f.state is FileState.DESCRIBED for f in report.files)
    assert fake.count("finish") == 1  # a repeated finish is refused (5102), never accepted
    # What follows a report happened once.
    assert bastion.store.get_bank("reported").entry_count == 3
    afters = [e for e in fresh.store.events(report.id) if e.step == "after"]
    assert [e.outcome for e in afters] == ["ok"]
    assert all(bastion.vault.get(f.evidence_id).reported for f in report.files)
