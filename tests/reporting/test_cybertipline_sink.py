"""The CyberTipline sink: a report filed step by step with the fake, checks before anything is
sent, and the schema fetched once and cached."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bastion.reporting.cybertipline import CyberTiplineClient, CyberTiplineSink
from bastion.reporting.model import Report
from bastion.reporting.sink import (
    ReportingError,
    ReportInvalid,
    ReportSink,
    SinkRejected,
    SinkUnavailable,
)
from tests.reporting.fake_cybertipline import FakeCyberTipline, response
from tests.reporting.samples import REPORTER, a_file, a_person, a_report, an_enticement


@pytest.fixture
def client(fake_cybertipline: FakeCyberTipline) -> Iterator[CyberTiplineClient]:
    with CyberTiplineClient(
        fake_cybertipline.url, "esp", "secret", timeout=5.0, sleep=lambda _: None
    ) as client:
        yield client


@pytest.fixture
def sink(client: CyberTiplineClient, tmp_path: Path) -> CyberTiplineSink:
    return CyberTiplineSink(client, schema_dir=tmp_path / "schemas")


@pytest.fixture
def cached_sink(
    client: CyberTiplineClient, tmp_path: Path, cybertipline_xsd: bytes
) -> CyberTiplineSink:
    """A sink whose schema is already cached: it asks the server nothing before sending."""
    sink = CyberTiplineSink(client, schema_dir=tmp_path / "schemas")
    sink.schemas.path.parent.mkdir(parents=True)
    sink.schemas.path.write_bytes(cybertipline_xsd)
    return sink


def _file(sink: CyberTiplineSink, report: Report) -> Report:
    """Take every step, as the filing does, recording each answer on the report."""
    remote_id = sink.open(report)
    files = []
    for file in report.files:
        attached = sink.attach(report, remote_id, file, f"bytes of {file.id}".encode())
        files.append(replace(file, remote_id=attached.file_id, remote_md5=attached.md5))
    report = replace(report, remote_id=remote_id, files=tuple(files))
    for file in report.files:
        sink.describe(report, remote_id, file)
    assert set(sink.close(report, remote_id)) == {f.remote_id for f in report.files}
    return report


def test_the_sink_is_a_report_sink(sink: CyberTiplineSink) -> None:
    assert isinstance(sink, ReportSink)
    assert sink.name == "cybertipline"


def test_a_report_is_filed_whole(
    sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline
) -> None:
    report = _file(sink, a_report())
    assert report.remote_id is not None
    held = fake_cybertipline.report(report.remote_id)
    assert held.status == "finished"
    documents = sink.document(report)
    assert held.xml == documents["report.xml"]
    for file in report.files:
        assert file.remote_id is not None
        received = held.files[file.remote_id]
        assert received.name == file.file_name
        assert received.md5 == file.remote_md5
        assert received.details == documents[f"file-{file.id}-details.xml"]
    for step, times in [("submit", 1), ("upload", 2), ("fileinfo", 2), ("finish", 1)]:
        assert fake_cybertipline.count(step) == times


def test_a_text_only_report_is_filed(
    cached_sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline
) -> None:
    report = _file(cached_sink, an_enticement())
    assert report.remote_id is not None
    assert fake_cybertipline.report(report.remote_id).files == {}
    assert b"<chatImIncident>" in fake_cybertipline.report(report.remote_id).xml


def test_withdraw_retracts(sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline) -> None:
    remote_id = sink.open(a_report())
    sink.withdraw(remote_id)
    assert fake_cybertipline.report(remote_id).status == "retracted"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"person": a_person(screen_name="s" * 5000)}, "person.screen_name: 5,000 characters"),
        (
            {"incident": replace(a_report().incident, url="https://example.org/a page")},
            "incident.url: an address with whitespace",
        ),
        ({"reporter": replace(REPORTER, email="reports@")}, "reporter.email: not an email"),
        ({"reporter": replace(REPORTER, email="")}, "reporter.email: missing"),
        ({"files": ()}, "report: nothing to report"),
        (
            {"person": a_person(date_of_birth="1994-02-30")},
            "report.xml /report/personOrUserReported/personOrUserReportedPerson/dateOfBirth: ",
        ),
        (
            {"files": (a_file(4, original_hashes={"MD5": ""}),)},
            "file#4.original_hashes: an empty hash",
        ),
    ],
)
def test_an_invalid_report_is_not_sent(
    cached_sink: CyberTiplineSink,
    fake_cybertipline: FakeCyberTipline,
    change: dict[str, object],
    named: str,
) -> None:
    report = a_report(**change)
    with pytest.raises(ReportInvalid) as caught:
        cached_sink.validate(report)
    message = str(caught.value)
    assert message.startswith("report 7 cannot go to the CyberTipline: ")
    assert named in message
    with pytest.raises(ReportInvalid):
        cached_sink.open(report)
    assert fake_cybertipline.calls == []


def test_the_problems_are_all_named_at_once(cached_sink: CyberTiplineSink) -> None:
    report = a_report(
        reporter=replace(REPORTER, email="", legal_url="not a url"),
        person=a_person(emails=("bad",)),
    )
    with pytest.raises(ReportInvalid) as caught:
        cached_sink.validate(report)
    for field in ("reporter.email", "reporter.legal_url", "person.emails[0]"):
        assert f"{field}: " in str(caught.value)


# The schema: fetched once, cached, kept ---------------------------------------------------


def test_the_schema_is_fetched_once_and_cached(
    client: CyberTiplineClient,
    fake_cybertipline: FakeCyberTipline,
    tmp_path: Path,
    cybertipline_xsd: bytes,
) -> None:
    first = CyberTiplineSink(client, schema_dir=tmp_path)
    first.validate(a_report())
    first.validate(an_enticement())
    assert fake_cybertipline.count("xsd") == 1
    assert first.schemas.path.read_bytes() == cybertipline_xsd
    assert first.schemas.path.parent == tmp_path

    second = CyberTiplineSink(client, schema_dir=tmp_path)
    second.open(a_report())
    assert fake_cybertipline.count("xsd") == 1


def test_check_refreshes_the_schema_and_keeps_it_when_unreachable(
    sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline, cybertipline_xsd: bytes
) -> None:
    line = sink.check()
    assert "Remote User : esp, Remote Ip : 127.0.0.1" in line
    assert "(schema fetched)" in line
    fake_cybertipline.fail("xsd", times=4)
    assert "schema kept from the cache (CyberTipline xsd: 1000 Server error)" in sink.check()
    assert sink.schemas.path.read_bytes() == cybertipline_xsd


def test_without_a_schema_the_model_is_still_checked_but_nothing_is_sent(
    sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline
) -> None:
    fake_cybertipline.fail("xsd", times=100)
    sink.validate(a_report())  # sound: the schema's check waits for `open`
    with pytest.raises(ReportInvalid, match=r"reporter\.email: missing"):
        sink.validate(a_report(reporter=replace(REPORTER, email="")))
    assert fake_cybertipline.count("xsd", accepted=False) == 2  # one try each, no retry
    with pytest.raises(SinkUnavailable, match="xsd: 1000"):
        sink.open(a_report())
    assert fake_cybertipline.count("xsd", accepted=False) == 2 + 4  # retried before sending
    assert fake_cybertipline.count("submit", accepted=False) == 0


def test_a_damaged_cached_schema_is_fetched_again(
    sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline, cybertipline_xsd: bytes
) -> None:
    sink.schemas.path.parent.mkdir(parents=True)
    sink.schemas.path.write_bytes(cybertipline_xsd[:1000])
    sink.validate(a_report())
    assert fake_cybertipline.count("xsd") == 1
    assert sink.schemas.path.read_bytes() == cybertipline_xsd


# Answers the sink checks -----------------------------------------------------------------


def test_an_upload_ncmec_hashed_differently_is_rejected(
    cached_sink: CyberTiplineSink, fake_cybertipline: FakeCyberTipline
) -> None:
    report = a_report()
    remote_id = cached_sink.open(report)
    fake_cybertipline.answer_raw(
        "upload", response(0, "Success", reportId=remote_id, fileId="f9", hash="0" * 32)
    )
    with pytest.raises(SinkRejected) as caught:
        cached_sink.attach(report, remote_id, report.files[0], b"these bytes")
    message = str(caught.value)
    assert f"file f9 of report {remote_id} with MD5 {'0' * 32}" in message
    assert f"the bytes sent have MD5 {hashlib.md5(b'these bytes').hexdigest()}" in message


def test_describing_a_file_not_uploaded_is_a_mistake(cached_sink: CyberTiplineSink) -> None:
    report = a_report()
    with pytest.raises(ReportingError, match="file 1 of report 7 is not uploaded yet"):
        cached_sink.describe(report, "123", report.files[0])


def test_the_documents_kept_with_the_evidence(cached_sink: CyberTiplineSink) -> None:
    report = a_report()
    documents = cached_sink.document(report)
    assert sorted(documents) == ["file-1-details.xml", "file-2-details.xml", "report.xml"]
    assert b"<fileId>pending</fileId>" in documents["file-1-details.xml"]
    sent = replace(report, remote_id="4564654", files=(replace(report.files[0], remote_id="ab"),))
    details = cached_sink.document(sent)["file-1-details.xml"]
    assert b"<reportId>4564654</reportId><fileId>ab</fileId>" in details
