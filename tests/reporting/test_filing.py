"""The filing's edges, against a hotline kept in the test (it answers as NCMEC does for an
unknown, a finished and a retracted report) or the fake CyberTipline, with a real database
and evidence vault: a retraction that finds the report finished, a destination's bug, a
step that takes long, a file damaged on the way, what follows a report failing."""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from bastion.errors import ConflictError
from bastion.reporting.cybertipline import CyberTiplineClient, CyberTiplineSink
from bastion.reporting.filing import Backoff, Filing
from bastion.reporting.model import (
    FileState,
    Incident,
    IncidentType,
    Report,
    Reporter,
    ReportFile,
    ReportStatus,
)
from bastion.reporting.sink import (
    Attached,
    RemoteReportFinished,
    RemoteReportGone,
    RemoteReportRetracted,
    SinkUnavailable,
)
from bastion.reporting.store import DEFAULT_LEASE, NewFile, NewReport, ReportStore
from bastion.review import EvidenceVault, LocalObjects, VaultKey
from bastion.store import Database
from tests.reporting.fake_cybertipline import FakeCyberTipline, response
from tests.reporting.samples import REPORTER, a_person
from tests.review.conftest import Clock

T = TypeVar("T")
WHEN = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass
class Held:
    id: str
    status: str = "open"  # open, finished, retracted
    files: dict[str, bytes] = field(default_factory=dict)


class Hotline:
    """A `ReportSink` over an in-memory hotline with NCMEC's rules. `lose` makes the next
    call of a step take effect and its answer be lost; `before` runs before a step."""

    name = "cybertipline"

    def __init__(self) -> None:
        self.held: dict[str, Held] = {}
        self.calls: list[str] = []
        self.lose: set[str] = set()
        self.down: set[str] = set()
        self.before: dict[str, Callable[[], None]] = {}
        self._next = 4564654

    def finished(self) -> list[Held]:
        return [h for h in self.held.values() if h.status == "finished"]

    def check(self) -> str:
        return "ok"

    def validate(self, report: Report) -> None:
        pass

    def open(self, report: Report) -> str:
        def act() -> str:
            self._next += 1
            self.held[str(self._next)] = Held(str(self._next))
            return str(self._next)

        return self._call("submit", act)

    def attach(self, report: Report, remote_id: str, file: ReportFile, data: bytes) -> Attached:
        def act() -> Attached:
            held = self._open(remote_id)
            file_id = f"f{len(held.files) + 1}"
            held.files[file_id] = data
            return Attached(file_id, md5(data))

        return self._call("upload", act)

    def describe(self, report: Report, remote_id: str, file: ReportFile) -> None:
        self._call("fileinfo", lambda: self._open(remote_id))

    def close(self, report: Report, remote_id: str) -> tuple[str, ...]:
        def act() -> tuple[str, ...]:
            held = self._open(remote_id)
            held.status = "finished"
            return tuple(held.files)

        return self._call("finish", act)

    def withdraw(self, remote_id: str) -> None:
        def act() -> None:
            self._open(remote_id).status = "retracted"

        self._call("retract", act)

    def document(self, report: Report) -> Mapping[str, bytes]:
        return {}

    def _call(self, step: str, act: Callable[[], T]) -> T:
        self.calls.append(step)
        if step in self.before:
            self.before.pop(step)()
        if step in self.down:
            self.down.discard(step)
            raise SinkUnavailable(f"{step}: cannot connect")
        answer = act()
        if step in self.lose:
            self.lose.discard(step)
            raise SinkUnavailable(f"{step}: the connection broke without an answer")
        return answer

    def _open(self, remote_id: str) -> Held:
        held = self.held.get(remote_id)
        if held is None:
            raise RemoteReportGone("5001 report does not exist", remote_code=5001)
        if held.status == "finished":
            raise RemoteReportFinished("5102 report already finished", remote_code=5102)
        if held.status == "retracted":
            raise RemoteReportRetracted("5101 report already retracted", remote_code=5101)
        return held


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reports(db: Database, clock: Clock) -> ReportStore:
    return ReportStore(db, clock=clock)


@pytest.fixture
def vault(db: Database, tmp_path: Path, clock: Clock) -> EvidenceVault:
    objects = LocalObjects(tmp_path / "evidence")
    return EvidenceVault(
        db, objects, VaultKey(os.urandom(32)), retention=timedelta(days=90), clock=clock
    )


@pytest.fixture
def hotline() -> Hotline:
    return Hotline()


@dataclass
class Desk:
    reports: ReportStore
    vault: EvidenceVault
    hotline: Hotline
    clock: Clock
    filing: Filing
    after: list[int]

    def queue(self, files: int = 2, reporter: Reporter = REPORTER) -> int:
        kept = []
        for n in range(files):
            data = f"benign test file {n}\n".encode() * 50
            evidence = self.vault.put(data, "image/jpeg", actor="test")
            kept.append(NewFile(evidence.id, f"file-{n}.jpg"))
        draft = self.reports.create(
            NewReport(
                sink="cybertipline",
                incident=Incident(IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL, WHEN, "Confirmed."),
                reporter=reporter,
                person=a_person(),
                files=tuple(kept),
            ),
            "alice",
        )
        return self.reports.request(draft.id, "alice", approval_required=False).id

    def after_steps(self, report_id: int) -> list[str]:
        return [e.outcome for e in self.reports.events(report_id) if e.step == "after"]


def make_desk(
    reports: ReportStore,
    vault: EvidenceVault,
    hotline: Hotline,
    clock: Clock,
    on_finished: Callable[[Report], None] | None = None,
) -> Desk:
    after: list[int] = []
    filing = Filing(
        reports,
        {"cybertipline": hotline},
        vault,
        on_finished=on_finished or (lambda report: after.append(report.id)),
        clock=clock,
        backoff=Backoff(jitter=0.0),
    )
    return Desk(reports, vault, hotline, clock, filing, after)


@pytest.fixture
def desk(reports: ReportStore, vault: EvidenceVault, hotline: Hotline, clock: Clock) -> Desk:
    return make_desk(reports, vault, hotline, clock)


def assert_finished_once(desk: Desk, report_id: int) -> None:
    report = desk.reports.get(report_id)
    assert report.status is ReportStatus.FINISHED, report.error
    (held,) = desk.hotline.finished()
    assert report.remote_id == held.id
    assert {f.remote_id for f in report.files} == set(held.files)
    for file in report.files:
        assert file.remote_id is not None
        assert held.files[file.remote_id] == desk.vault.open(file.evidence_id)
    assert desk.after == [report_id]
    assert desk.after_steps(report_id)[-1] == "ok"


# A retraction that finds the report finished -------------------------------------------


def test_a_retraction_that_finds_the_report_finished_records_it_finished(desk: Desk) -> None:
    """The finish went through but its answer was lost; a person then retracts: NCMEC
    answers 5102. The report is finished (and what follows it runs), not left stuck with a
    retraction in flight."""
    report_id = desk.queue()
    desk.hotline.lose.add("finish")
    assert desk.filing.advance(report_id, "w1").status is ReportStatus.DETAILS_SENT
    with pytest.raises(ConflictError, match="was already finished at the destination"):
        desk.filing.retract(report_id, "alice")
    assert desk.reports.in_flight(report_id) is None
    desk.clock.advance(hours=2)
    assert desk.filing.run_due("w1") == 1  # what follows the report
    assert_finished_once(desk, report_id)
    assert desk.filing.run_due("w1") == 0


def test_a_retraction_cut_short_that_finds_the_report_finished_records_it_finished(
    desk: Desk,
) -> None:
    report_id = desk.queue()
    desk.hotline.lose.add("finish")
    desk.filing.advance(report_id, "w1")
    desk.hotline.down.add("retract")
    with pytest.raises(SinkUnavailable):
        desk.filing.retract(report_id, "alice")
    assert desk.reports.in_flight(report_id) == "retract"
    desk.clock.advance(hours=2)
    desk.filing.run_due("w1")
    assert_finished_once(desk, report_id)
    assert desk.reports.in_flight(report_id) is None


def test_a_report_found_finished_mid_way_fails_with_a_clear_error(desk: Desk) -> None:
    report_id = desk.queue()

    def finished_elsewhere() -> None:
        for held in desk.hotline.held.values():
            held.status = "finished"

    desk.hotline.before["upload"] = finished_elsewhere
    failed = desk.filing.advance(report_id, "w1")
    assert failed.status is ReportStatus.FAILED
    assert failed.error is not None
    assert failed.error.startswith(
        "the destination holds report 4564655 finished already, though upload:"
    )


# A destination's bug -------------------------------------------------------------------


def test_one_reports_unexpected_error_holds_up_no_other(desk: Desk) -> None:
    first, second = desk.queue(), desk.queue()

    def bug() -> None:
        raise RuntimeError("a bug in a plugin")

    desk.hotline.before["submit"] = bug  # the first report's submission only
    assert desk.filing.run_due("w1") == 2
    broken = desk.reports.get(first)
    assert broken.status is ReportStatus.QUEUED
    assert broken.error == "unexpected error: a bug in a plugin"
    assert broken.next_attempt_at == desk.clock.now + timedelta(minutes=1)
    assert desk.reports.get(second).status is ReportStatus.FINISHED
    desk.clock.advance(minutes=1)
    desk.filing.run_due("w1")
    assert desk.reports.get(first).status is ReportStatus.FINISHED


# A step that takes long ----------------------------------------------------------------


def test_each_step_renews_the_senders_hold(desk: Desk) -> None:
    """Every step takes four minutes of a five-minute lease: the hold, renewed at each
    step, never lapses, so no other sender takes the report on while an answer may come."""
    report_id = desk.queue(files=3)
    filing = Filing(desk.reports, {"cybertipline": desk.hotline}, desk.vault, clock=desk.clock,
                    lease=timedelta(minutes=5))  # fmt: skip
    taken: list[bool] = []

    def slow() -> None:
        desk.clock.advance(minutes=4)
        taken.append(desk.reports.claim(report_id, "w2", timedelta(minutes=5)) is not None)
        desk.hotline.before["upload"] = slow

    desk.hotline.before["upload"] = slow
    assert filing.advance(report_id, "w1").status is ReportStatus.FINISHED
    assert taken == [False, False, False]


def test_the_default_hold_outlasts_an_upload() -> None:
    upload = inspect.signature(CyberTiplineClient).parameters["upload_timeout"].default
    assert timedelta(seconds=upload) < DEFAULT_LEASE


# What follows a report -----------------------------------------------------------------


def test_what_follows_a_report_is_tried_again_whatever_its_error(
    reports: ReportStore, vault: EvidenceVault, hotline: Hotline, clock: Clock
) -> None:
    ran: list[int] = []

    def flaky(report: Report) -> None:
        ran.append(report.id)
        if len(ran) == 1:
            raise OSError("the preservation folder is full")

    desk = make_desk(reports, vault, hotline, clock, on_finished=flaky)
    report_id = desk.queue()
    report = desk.filing.advance(report_id, "w1")
    assert report.status is ReportStatus.FINISHED
    assert report.error == "after the report: the preservation folder is full"
    assert desk.filing.run_due("w1") == 0  # not before its time
    clock.advance(minutes=1)
    assert desk.filing.run_due("w1") == 1
    assert ran == [report_id, report_id]
    assert desk.after_steps(report_id) == ["retry", "ok"]
    assert desk.filing.run_due("w1") == 0


# A file damaged on the way, with the CyberTipline ------------------------------------------


@pytest.fixture
def sink(
    fake_cybertipline: FakeCyberTipline, tmp_path: Path, cybertipline_xsd: bytes
) -> Iterator[CyberTiplineSink]:
    with CyberTiplineClient(
        fake_cybertipline.url, "esp", "secret", timeout=5.0, sleep=lambda _: None
    ) as client:
        sink = CyberTiplineSink(client, schema_dir=tmp_path / "schemas")
        sink.schemas.path.parent.mkdir(parents=True)
        sink.schemas.path.write_bytes(cybertipline_xsd)
        yield sink


def test_a_file_ncmec_hashed_differently_sends_the_report_again_whole(
    reports: ReportStore,
    vault: EvidenceVault,
    clock: Clock,
    sink: CyberTiplineSink,
    fake_cybertipline: FakeCyberTipline,
) -> None:
    desk = make_desk(reports, vault, Hotline(), clock)
    desk.filing = Filing(reports, {"cybertipline": sink}, vault, clock=clock)
    report_id = desk.queue()
    fake_cybertipline.answer_raw(
        "upload", response(0, "Success", reportId="4564654", fileId="f9", hash="0" * 32)
    )
    report = desk.filing.advance(report_id, "w1")
    assert report.status is ReportStatus.FINISHED, report.error
    statuses = sorted(r.status for r in fake_cybertipline.reports.values())
    assert statuses == ["finished", "retracted"]
    (held,) = [r for r in fake_cybertipline.reports.values() if r.status == "finished"]
    assert report.remote_id == held.id
    assert sorted(f.md5 for f in held.files.values()) == sorted(
        md5(vault.open(f.evidence_id)) for f in report.files
    )
    assert all(f.state is FileState.DESCRIBED for f in report.files)
    restart = [e for e in reports.events(report_id) if e.step == "restart"]
    assert "with MD5 00000000000000000000000000000000" in restart[0].detail["reason"]
