"""The CyberTipline client against the fake, over real HTTP: each endpoint, each family of
errors, and answers that must be refused."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from typing import Any

import pytest

from bastion.errors import ConfigurationError
from bastion.reporting.cybertipline import ENVIRONMENTS, CyberTiplineClient, report_document
from bastion.reporting.sink import (
    RemoteReportFinished,
    RemoteReportGone,
    RemoteReportRetracted,
    ReportingError,
    SinkAuthError,
    SinkError,
    SinkRejected,
    SinkUnavailable,
)
from tests.reporting.fake_cybertipline import FakeCyberTipline, response
from tests.reporting.samples import a_report

PASSWORD = "secret"


def _open(client: CyberTiplineClient) -> str:
    return client.submit(report_document(a_report()))


def _client(
    fake: FakeCyberTipline, waits: list[float] | None = None, **options: Any
) -> CyberTiplineClient:
    """A client of the fake that records its waits between retries instead of waiting."""
    sleep = (waits if waits is not None else []).append
    return CyberTiplineClient(fake.url, "esp", PASSWORD, sleep=sleep, **options)


def _no_secret(error: BaseException) -> BaseException:
    assert PASSWORD not in str(error)
    return error


# Each endpoint ------------------------------------------------------------------------


def test_status_names_the_account(cybertipline_client: CyberTiplineClient) -> None:
    assert cybertipline_client.status() == "Remote User : esp, Remote Ip : 127.0.0.1"


def test_xsd_is_the_schema_served(
    cybertipline_client: CyberTiplineClient, cybertipline_xsd: bytes
) -> None:
    assert cybertipline_client.xsd() == cybertipline_xsd


def test_a_report_goes_through_every_step(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    client, fake = cybertipline_client, fake_cybertipline
    document = report_document(a_report())
    report_id = client.submit(document)
    assert report_id.isdigit()

    first = client.upload(report_id, "first.jpg", b"first bytes")
    second = client.upload(report_id, "sëcond ünïcode.png", b"\x00\r\n\xff second")
    assert first.md5 == hashlib.md5(b"first bytes").hexdigest()
    assert second.md5 == hashlib.md5(b"\x00\r\n\xff second").hexdigest()
    assert first.file_id != second.file_id

    details = (
        f"<fileDetails><reportId>{report_id}</reportId><fileId>{first.file_id}</fileId>"
        "<fileViewedByEsp>true</fileViewedByEsp></fileDetails>"
    ).encode()
    client.fileinfo(details)
    assert set(client.finish(report_id)) == {first.file_id, second.file_id}

    held = fake.report(report_id)
    assert held.status == "finished"
    assert held.xml == document
    assert held.files[first.file_id].details == details
    assert held.files[second.file_id].name == "sëcond ünïcode.png"
    assert held.files[second.file_id].data == b"\x00\r\n\xff second"
    assert [c.step for c in fake.accepted()] == [
        "submit", "upload", "upload", "fileinfo", "finish",
    ]  # fmt: skip


def test_retract_withdraws_an_open_report(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    report_id = _open(cybertipline_client)
    cybertipline_client.retract(report_id)
    assert fake_cybertipline.report(report_id).status == "retracted"


# A report's life: what NCMEC refuses ---------------------------------------------------


def test_finishing_twice_answers_already_finished(cybertipline_client: CyberTiplineClient) -> None:
    report_id = _open(cybertipline_client)
    attached = cybertipline_client.upload(report_id, "a.jpg", b"a")
    assert cybertipline_client.finish(report_id) == (attached.file_id,)
    with pytest.raises(RemoteReportFinished) as caught:
        cybertipline_client.finish(report_id)
    assert caught.value.remote_code == 5102
    assert str(caught.value) == "CyberTipline finish: 5102 Report already finished"
    for step in (
        lambda: cybertipline_client.retract(report_id),
        lambda: cybertipline_client.upload(report_id, "late.jpg", b"late"),
        lambda: cybertipline_client.fileinfo(
            f"<fileDetails><reportId>{report_id}</reportId>"
            f"<fileId>{attached.file_id}</fileId></fileDetails>".encode()
        ),
    ):
        with pytest.raises(RemoteReportFinished):
            step()


def test_a_retracted_report_takes_nothing_more(cybertipline_client: CyberTiplineClient) -> None:
    report_id = _open(cybertipline_client)
    cybertipline_client.retract(report_id)
    with pytest.raises(RemoteReportRetracted, match="retract: 5101") as caught:
        cybertipline_client.retract(report_id)
    assert caught.value.remote_code == 5101
    with pytest.raises(RemoteReportRetracted, match="upload: 5101"):
        cybertipline_client.upload(report_id, "late.jpg", b"late")
    with pytest.raises(RemoteReportRetracted, match="finish: 5101"):
        cybertipline_client.finish(report_id)


def test_an_unknown_or_expired_report_is_gone(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    with pytest.raises(RemoteReportGone, match="finish: 5001 Report does not exist"):
        cybertipline_client.finish("999")
    report_id = _open(cybertipline_client)
    fake_cybertipline.expire(report_id)
    with pytest.raises(RemoteReportGone) as caught:
        cybertipline_client.upload(report_id, "a.jpg", b"a")
    assert caught.value.remote_code == 5001


def test_a_document_out_of_the_schema_is_rejected_with_ncmecs_reason(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    out_of_order = report_document(a_report()).replace(
        b"<firstName>Trust</firstName><lastName>Safety</lastName>",
        b"<lastName>Safety</lastName><firstName>Trust</firstName>",
    )
    with pytest.raises(SinkRejected) as caught:
        cybertipline_client.submit(out_of_order)
    assert caught.value.remote_code == 4100
    message = str(caught.value)
    assert message.startswith("CyberTipline submit: 4100 Validation failed: ")
    assert "/report/reporter/reportingPerson" in message
    assert fake_cybertipline.reports == {}


def test_file_details_must_name_a_file_of_the_report(
    cybertipline_client: CyberTiplineClient,
) -> None:
    report_id = _open(cybertipline_client)
    details = f"<fileDetails><reportId>{report_id}</reportId><fileId>nope</fileId></fileDetails>"
    with pytest.raises(SinkRejected, match="fileinfo: 4000 ") as caught:
        cybertipline_client.fileinfo(details.encode())
    assert caught.value.remote_code == 4000
    with pytest.raises(SinkRejected, match="fileinfo: 4100 Validation failed"):
        cybertipline_client.fileinfo(b"<fileDetails><fileId>x</fileId></fileDetails>")


def test_a_report_id_that_is_not_one_is_not_sent(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    with pytest.raises(ReportingError, match="is not a report id"):
        cybertipline_client.finish("1; DROP")
    assert fake_cybertipline.calls == []


# Credentials ----------------------------------------------------------------------------


def test_wrong_credentials_answer_2000(fake_cybertipline: FakeCyberTipline) -> None:
    with CyberTiplineClient(fake_cybertipline.url, "esp", "wrong-" + PASSWORD) as client:
        with pytest.raises(SinkAuthError) as caught:
            client.submit(report_document(a_report()))
        assert caught.value.remote_code == 2000
        assert "submit: 2000 Bad credentials" in str(caught.value)
        assert "wrong-" not in str(caught.value)
        assert "wrong-" not in repr(client)
    assert fake_cybertipline.reports == {}


def test_missing_credentials_answer_http_401_and_2000(fake_cybertipline: FakeCyberTipline) -> None:
    import httpx

    answer = httpx.get(f"{fake_cybertipline.url}/status")
    assert answer.status_code == 401
    assert b"<responseCode>2000</responseCode>" in answer.content
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(("code", "status_works"), [(3000, False), (3100, True)])
def test_an_account_without_rights_is_refused(
    fake_cybertipline: FakeCyberTipline, code: int, status_works: bool
) -> None:
    fake_cybertipline.add_account("limited", "pw", refuse=code)
    with CyberTiplineClient(fake_cybertipline.url, "limited", "pw") as client:
        if status_works:
            assert "limited" in client.status()
        else:
            with pytest.raises(SinkAuthError, match=f"status: {code} Not authorized"):
                client.status()
        with pytest.raises(SinkAuthError) as caught:
            client.submit(report_document(a_report()))
        assert caught.value.remote_code == code


def test_the_password_appears_in_no_message_nor_repr(fake_cybertipline: FakeCyberTipline) -> None:
    echo = response(4000, f"Invalid request from esp:{PASSWORD}")
    fake_cybertipline.answer_raw("retract", echo, status=400)
    client = _client(fake_cybertipline)
    with pytest.raises(SinkRejected) as caught:
        client.retract("12")
    assert (
        str(_no_secret(caught.value)) == "CyberTipline retract: 4000 Invalid request from esp:***"
    )
    assert PASSWORD not in repr(client)
    client.close()


# Failures on NCMEC's side, and answers refused ----------------------------------------


def test_a_server_error_is_unavailable_and_a_post_is_sent_once(
    fake_cybertipline: FakeCyberTipline,
) -> None:
    fake_cybertipline.fail("submit", times=3)
    client = _client(fake_cybertipline)
    with pytest.raises(SinkUnavailable) as caught:
        _open(client)
    assert caught.value.remote_code == 1000
    assert str(caught.value) == "CyberTipline submit: 1000 Server error"
    assert fake_cybertipline.count("submit", accepted=False) == 1
    assert fake_cybertipline.reports == {}
    client.close()


def test_reads_are_retried_with_backoff(fake_cybertipline: FakeCyberTipline) -> None:
    fake_cybertipline.fail("status", times=2)
    waits: list[float] = []
    client = _client(fake_cybertipline, waits, backoff=0.5)
    assert client.status().startswith("Remote User : esp")
    assert waits == [0.5, 1.0]
    assert fake_cybertipline.count("status", accepted=False) == 3

    fake_cybertipline.drop("xsd", times=4)
    with pytest.raises(SinkUnavailable, match="xsd: the connection broke"):
        client.xsd()
    assert fake_cybertipline.count("xsd", accepted=False) == 4  # 1 + 3 retries
    client.close()


def test_an_html_error_page_is_judged_by_its_status(fake_cybertipline: FakeCyberTipline) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    client = _client(fake_cybertipline)
    cases: list[tuple[int, type[SinkError], str]] = [
        (502, SinkUnavailable, "HTTP 502"),
        (503, SinkUnavailable, "HTTP 503"),
        (429, SinkUnavailable, "HTTP 429"),
        (401, SinkAuthError, "HTTP 401"),
        (403, SinkAuthError, "HTTP 403"),
        (404, SinkRejected, "HTTP 404"),
    ]
    for status, kind, words in cases:
        fake_cybertipline.answer_raw("finish", page, status=status, content_type="text/html")
        with pytest.raises(kind, match=words) as caught:
            client.finish("1")
        assert type(caught.value) is kind
        assert caught.value.remote_code is None
    assert fake_cybertipline.count("finish", accepted=False) == len(cases)  # never repeated

    fake_cybertipline.answer_raw("finish", b"Service Temporarily Unavailable", status=200)
    with pytest.raises(SinkUnavailable, match="not XML"):
        client.finish("1")
    client.close()


def test_an_error_status_with_a_report_response_is_judged_by_its_code(
    fake_cybertipline: FakeCyberTipline,
) -> None:
    client = _client(fake_cybertipline)
    fake_cybertipline.answer_raw("finish", response(5102, "Report already finished"), status=400)
    with pytest.raises(RemoteReportFinished):
        client.finish("1")
    fake_cybertipline.answer_raw("submit", response(4100, "Validation failed: x"), status=500)
    with pytest.raises(SinkRejected, match="4100 Validation failed: x"):
        _open(client)
    client.close()


def test_no_answer_in_time_is_unavailable(fake_cybertipline: FakeCyberTipline) -> None:
    fake_cybertipline.hang("submit")
    client = _client(fake_cybertipline, timeout=0.2)
    with pytest.raises(SinkUnavailable, match=r"submit: no answer within 0\.2 s"):
        _open(client)
    client.close()


def test_an_answer_lost_after_the_call_took_effect(fake_cybertipline: FakeCyberTipline) -> None:
    fake_cybertipline.drop("submit", after_processing=True)
    client = _client(fake_cybertipline)
    with pytest.raises(SinkUnavailable, match="connection broke"):
        _open(client)
    assert len(fake_cybertipline.reports) == 1  # the caller must know it may have happened
    client.close()


def test_an_oversized_answer_is_refused(fake_cybertipline: FakeCyberTipline) -> None:
    big = response(0, "Success " + "x" * 5000, reportId="1")
    fake_cybertipline.answer_raw("submit", big)
    client = _client(fake_cybertipline, max_bytes=1000)
    with pytest.raises(SinkUnavailable, match="over 1,000 bytes"):
        _open(client)
    client.close()


def test_an_answer_with_a_dtd_is_refused(fake_cybertipline: FakeCyberTipline) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<reportResponse><responseCode>0</responseCode>"
        b"<responseDescription>&b;</responseDescription><reportId>1</reportId></reportResponse>"
    )
    fake_cybertipline.answer_raw("submit", bomb)
    client = _client(fake_cybertipline)
    with pytest.raises(SinkUnavailable, match="submit: the answer holds a DTD"):
        _open(client)
    client.close()


def test_malformed_answers_are_unavailable(fake_cybertipline: FakeCyberTipline) -> None:
    client = _client(fake_cybertipline)
    for body, words in [
        (b"<reportResponse><responseCode>0</response", "malformed XML"),
        (b"<other/>", "expected <reportResponse>"),
        (response(0, "Success"), "no report id"),
    ]:
        fake_cybertipline.answer_raw("submit", body)
        with pytest.raises(SinkUnavailable, match=words):
            _open(client)
    fake_cybertipline.answer_raw("upload", response(0, "Success", fileId="f1", hash="zz"))
    with pytest.raises(SinkUnavailable, match="not an MD5"):
        client.upload("1", "a.jpg", b"a")
    client.close()


# Environments and the fake's crash switch ----------------------------------------------


def test_environments_and_addresses() -> None:
    assert CyberTiplineClient("test", "u", "p").base_url == ENVIRONMENTS["test"]
    production = CyberTiplineClient("production", "u", "p")
    assert production.base_url == "https://report.cybertip.org/ispws"
    assert production.environment == "production"
    with pytest.raises(ConfigurationError, match="HTTPS"):
        CyberTiplineClient("http://report.example.org/ispws", "u", "p")
    with pytest.raises(ConfigurationError, match="neither an environment"):
        CyberTiplineClient("staging", "u", "p")
    with pytest.raises(ConfigurationError, match="credentials"):
        CyberTiplineClient("https://u:p@report.example.org/ispws", "u", "p")


def test_the_fake_kills_a_process_after_answering(
    cybertipline_client: CyberTiplineClient, fake_cybertipline: FakeCyberTipline
) -> None:
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        fake_cybertipline.kill_after(step="status", nth=2, pid=victim.pid)
        cybertipline_client.status()
        assert victim.poll() is None
        assert cybertipline_client.status().startswith("Remote User")  # answered in full
        assert victim.wait(timeout=30) == -9
    finally:
        victim.kill()
        victim.wait()
