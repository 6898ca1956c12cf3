"""The CyberTipline documents built from reports, checked against NCMEC's own schema, and the
checks made on the model first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime

import pytest

from bastion.reporting.cybertipline import (
    ReportSchema,
    file_document,
    problems,
    report_document,
)
from bastion.reporting.model import IpCapture, ReportFile
from bastion.reporting.sink import ReportInvalid, SinkUnavailable
from tests.reporting.samples import REPORTER, a_file, a_person, a_report, an_enticement


def _tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def _no_empty_elements(document: bytes) -> None:
    for element in ET.fromstring(document).iter():
        assert len(element) or (element.text or "").strip(), f"<{element.tag}> is empty"


def test_a_file_report_with_two_files_and_every_file_field(report_schema: ReportSchema) -> None:
    report = a_report()
    document = report_document(report)
    report_schema.validate(document, "report.xml")
    _no_empty_elements(document)
    root = ET.fromstring(document)
    assert _tags(root) == ["incidentSummary", "reporter", "personOrUserReported", "additionalInfo"]
    summary = root.find("incidentSummary")
    assert summary is not None
    assert _tags(summary) == ["incidentType", "platform", "reportAnnotations", "incidentDateTime"]
    assert summary.findtext("incidentDateTime") == "2025-03-14T09:26:53+00:00"
    assert summary.findtext("reportAnnotations/csamSolicitation") == "true"
    assert root.findtext("reporter/reportingPerson/email") == "reports@example.org"
    assert root.findtext("reporter/legalURL") == "https://example.org/legal"

    for file, file_id in zip(report.files, ("f-one", "f-two"), strict=True):
        details = file_document("4564654", file, file_id=file_id)
        report_schema.validate(details, "details")
        _no_empty_elements(details)
        tree = ET.fromstring(details)
        assert _tags(tree) == [
            "reportId", "fileId", "fileName", "originalFileName", "uploadedToEspTimestamp",
            "locationOfFile", "fileViewedByEsp", "exifViewedByEsp", "publiclyAvailable",
            "industryClassification", "originalFileHash", "originalFileHash", "ipCaptureEvent",
        ]  # fmt: skip
        assert tree.findtext("reportId") == "4564654"
        assert tree.findtext("fileId") == file_id
        assert tree.findtext("fileViewedByEsp") == "true"
        assert tree.findtext("exifViewedByEsp") == "false"
        assert tree.findtext("industryClassification") == "B2"
        hashes = {h.get("hashType"): h.text for h in tree.iter("originalFileHash")}
        assert hashes == file.original_hashes
        assert tree.findtext("ipCaptureEvent/eventName") == "Upload"
        assert tree.findtext("ipCaptureEvent/port") == "443"


def test_a_text_only_enticement_report(report_schema: ReportSchema) -> None:
    report = an_enticement()
    document = report_document(report)
    report_schema.validate(document, "report.xml")
    root = ET.fromstring(document)
    assert root.findtext("incidentSummary/incidentDateTime") == "2025-03-01T20:15:00-05:00"
    assert root.findtext("incidentSummary/escalateToHighPriority") == report.incident.escalate
    assert root.findtext("internetDetails/webPageIncident/url") == report.incident.url
    chat = root.find("internetDetails/chatImIncident")
    assert chat is not None
    assert _tags(chat) == ["chatClient", "chatRoomName", "content"]
    assert chat.findtext("content") == report.incident.text  # line breaks kept
    assert problems(report) == []


def test_a_reported_person_with_emails_and_ip_captures(report_schema: ReportSchema) -> None:
    document = report_document(a_report())
    report_schema.validate(document, "report.xml")
    person = ET.fromstring(document).find("personOrUserReported")
    assert person is not None
    assert _tags(person) == [
        "personOrUserReportedPerson", "espIdentifier", "espService", "screenName",
        "displayName", "profileUrl", "ipCaptureEvent", "ipCaptureEvent",
    ]  # fmt: skip
    details = person.find("personOrUserReportedPerson")
    assert details is not None
    assert _tags(details) == [
        "firstName", "lastName", "phone", "email", "email", "age", "dateOfBirth",
    ]  # fmt: skip
    captures = person.findall("ipCaptureEvent")
    assert [c.findtext("ipAddress") for c in captures] == ["198.51.100.23", "2001:db8::1"]
    assert captures[0].findtext("possibleProxy") == "true"
    # A time without an offset is taken as UTC, and says so.
    assert captures[1].findtext("dateTime") == "2024-01-02T03:04:05+00:00"


def test_a_person_known_only_by_account_leaves_out_the_person_element(
    report_schema: ReportSchema,
) -> None:
    person = a_person(
        emails=(), phones=(), age=None, date_of_birth=None, first_name=None, last_name=None
    )
    document = report_document(a_report(person=person))
    report_schema.validate(document, "report.xml")
    reported = ET.fromstring(document).find("personOrUserReported")
    assert reported is not None
    assert reported.find("personOrUserReportedPerson") is None


def test_unicode_is_carried_in_utf8(report_schema: ReportSchema) -> None:
    reporter = replace(REPORTER, first_name="Zoë", last_name="Ångström-Łukasiewicz")
    person = a_person(screen_name="用户_42", display_names=("Ünïcödé 😀",))
    document = report_document(a_report(reporter=reporter, person=person))
    report_schema.validate(document, "report.xml")
    assert "Ångström-Łukasiewicz".encode() in document
    root = ET.fromstring(document)
    assert root.findtext("personOrUserReported/screenName") == "用户_42"
    assert root.findtext("personOrUserReported/displayName") == "Ünïcödé 😀"


def test_the_schema_names_where_a_document_breaks(report_schema: ReportSchema) -> None:
    document = report_document(a_report(person=a_person(date_of_birth="3rd of May")))
    with pytest.raises(ReportInvalid) as caught:
        report_schema.validate(document, "report.xml")
    message = str(caught.value)
    assert message.startswith("report.xml does not match the CyberTipline schema: ")
    assert "/report/personOrUserReported/personOrUserReportedPerson/dateOfBirth" in message
    assert "\n" not in message
    assert report_schema.problems(b"<report><unclosed></report>")[0].startswith("not well-formed")


def test_a_schema_that_is_not_one_or_reaches_out_is_refused() -> None:
    with pytest.raises(SinkUnavailable, match="not a readable schema"):
        ReportSchema.from_bytes(b"<html>maintenance</html>")
    reaching = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:import namespace="urn:x" schemaLocation="http://192.0.2.1/x.xsd"/>'
        b'<xs:element name="a" type="xs:string"/></xs:schema>'
    )
    with pytest.raises(SinkUnavailable, match="refers to another resource"):
        ReportSchema.from_bytes(reaching)
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e "x">]>'
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="a" type="xs:string"/></xs:schema>'
    )
    with pytest.raises(SinkUnavailable):
        ReportSchema.from_bytes(entity)


# Checks on the model ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"reporter": replace(REPORTER, email="")},
            "reporter.email: missing",
        ),
        (
            {"reporter": replace(REPORTER, email="reports at example.org")},
            "reporter.email: not an email address",
        ),
        (
            {"reporter": None},
            "reporter: missing",
        ),
        (
            {"person": a_person(emails=("ok@example.org", "no-at-sign.example.org"))},
            "person.emails[1]: not an email address",
        ),
        (
            {"person": a_person(profile_urls=("https://example.org/u/a b",))},
            "person.profile_urls[0]: an address with whitespace",
        ),
        (
            {"person": a_person(screen_name="x" * 1001)},
            "person.screen_name: 1,001 characters, at most 1,000",
        ),
        (
            {"person": a_person(ip_captures=(IpCapture("999.1.1.1"),))},
            "person.ip_captures[0].ip: not an IP address",
        ),
        (
            {"person": a_person(display_names=("two\nlines",))},
            "person.display_names[0]: holds a line break",
        ),
        (
            {"files": (a_file(1, location="photos.example.org/p/1"),)},
            "file#1.location: not an absolute address",
        ),
        (
            {"files": (a_file(3, evidence_id=""),)},
            "file#3.evidence_id: missing",
        ),
        (
            {"files": ()},
            "report: nothing to report: no file, no text and no address",
        ),
    ],
)
def test_the_model_checks_name_the_field(change: dict[str, object], expected: str) -> None:
    found = problems(a_report(**change))
    assert any(p.startswith(expected) for p in found), found


def test_a_sound_report_has_no_problem() -> None:
    assert problems(a_report()) == []


def test_an_incident_without_a_time_or_with_unknown_annotations() -> None:
    report = a_report()
    incident = replace(report.incident, at=None, annotations=("viral",))  # type: ignore[arg-type]
    found = problems(replace(report, incident=incident))
    assert "incident.at: missing (when it happened)" in found
    assert any(p.startswith("incident.annotations: unknown 'viral'") for p in found)


def test_text_xml_cannot_carry_is_refused_not_dropped() -> None:
    report = an_enticement()
    incident = replace(report.incident, text="hello\x00world")
    bad = replace(report, incident=incident)
    assert problems(bad) == ["incident.text: holds the control character U+0000"]
    with pytest.raises(ReportInvalid, match="<content> holds the control character U\\+0000"):
        report_document(bad)


def test_details_before_upload_carry_placeholders(report_schema: ReportSchema) -> None:
    file: ReportFile = a_file(5, ip_capture=None, uploaded_at=datetime(2025, 1, 1))
    details = file_document(None, file)
    report_schema.validate(details, "details")
    tree = ET.fromstring(details)
    assert (tree.findtext("reportId"), tree.findtext("fileId")) == ("0", "pending")
    assert tree.findtext("uploadedToEspTimestamp") == "2025-01-01T00:00:00+00:00"
