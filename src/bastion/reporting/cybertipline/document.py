"""The CyberTipline's documents for a `Report`: the `<report>` that opens it and the
`<fileDetails>` that describes each uploaded file, in UTF-8, elements in the schema's order.

How the model maps (an empty optional field is left out, never sent empty):

- `incidentSummary`: the incident's type, the reporter's `platform`, `escalateToHighPriority`
  (why a child is at immediate risk), `reportAnnotations` (each one set is ``true``), and
  `incidentDateTime`.
- `internetDetails`: the incident's address as a `webPageIncident`; its text (a conversation's
  excerpts) and chat name as a `chatImIncident` (`chatClient` is the platform, `chatRoomName`
  the chat, `content` the text).
- `reporter`: `reportingPerson` (name, phone, email), `companyTemplate`, `termsOfService`,
  `legalURL`.
- `personOrUserReported`: the person's name, phones, emails, age and date of birth as
  `personOrUserReportedPerson`, then `espIdentifier`, `espService`, `screenName`,
  `displayName`s, `profileUrl`s and `ipCaptureEvent`s.
- `additionalInfo`: the incident's description.

A file's details: `reportId`, `fileId`, `fileName`, `originalFileName`,
`uploadedToEspTimestamp`, `locationOfFile`, `fileViewedByEsp`, `exifViewedByEsp`,
`publiclyAvailable`, `industryClassification`, `originalFileHash` (``hashType`` attribute),
`ipCaptureEvent`.

Times are ISO 8601 with their offset (a time without one is taken as UTC); booleans are
``true``/``false``. Text XML cannot carry raises `ReportInvalid` naming the element: nothing
is cut or dropped silently.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from bastion.reporting.cybertipline.checks import NOT_XML
from bastion.reporting.model import ANNOTATIONS, IpCapture, Report, ReportedPerson, ReportFile
from bastion.reporting.sink import ReportInvalid

#: Ids used where NCMEC has not given one yet (a document validated or kept before sending).
PLACEHOLDER_REPORT_ID = "0"
PLACEHOLDER_FILE_ID = "pending"


def report_document(report: Report) -> bytes:
    """The `<report>` document that opens `report`."""
    root = ET.Element("report")
    _summary(root, report)
    incident = report.incident
    if incident.url:
        page = ET.SubElement(ET.SubElement(root, "internetDetails"), "webPageIncident")
        _add(page, "url", incident.url)
    if incident.text or incident.chat_name:
        chat = ET.SubElement(ET.SubElement(root, "internetDetails"), "chatImIncident")
        if report.reporter is not None:
            _add(chat, "chatClient", report.reporter.platform)
        _add(chat, "chatRoomName", incident.chat_name)
        _add(chat, "content", incident.text)
    _reporter(root, report)
    if report.person is not None:
        _person(root, report.person)
    _add(root, "additionalInfo", incident.description)
    return _serialise(root)


def file_document(report_id: str | None, file: ReportFile, *, file_id: str | None = None) -> bytes:
    """The `<fileDetails>` document of one uploaded file (`file_id` defaults to the file's
    `remote_id`; missing ids are replaced by placeholders)."""
    root = ET.Element("fileDetails")
    _add(root, "reportId", report_id or PLACEHOLDER_REPORT_ID)
    _add(root, "fileId", file_id or file.remote_id or PLACEHOLDER_FILE_ID)
    _add(root, "fileName", file.file_name)
    _add(root, "originalFileName", file.original_name)
    _add(root, "uploadedToEspTimestamp", _when(file.uploaded_at))
    _add(root, "locationOfFile", file.location)
    _add(root, "fileViewedByEsp", _bool(file.viewed_by_esp))
    _add(root, "exifViewedByEsp", _bool(file.exif_viewed_by_esp))
    _add(root, "publiclyAvailable", _bool(file.publicly_available))
    if file.classification is not None:
        _add(root, "industryClassification", file.classification.value)
    for kind in sorted(file.original_hashes):
        hashed = _add(root, "originalFileHash", file.original_hashes[kind])
        if hashed is not None:
            hashed.set("hashType", kind)
    if file.ip_capture is not None:
        _capture(root, "ipCaptureEvent", file.ip_capture)
    return _serialise(root)


def _summary(root: ET.Element, report: Report) -> None:
    incident = report.incident
    summary = ET.SubElement(root, "incidentSummary")
    _add(summary, "incidentType", incident.type.value)
    if report.reporter is not None:
        _add(summary, "platform", report.reporter.platform)
    _add(summary, "escalateToHighPriority", incident.escalate)
    if incident.annotations:
        annotations = ET.SubElement(summary, "reportAnnotations")
        for name in ANNOTATIONS:  # the schema's xs:all, in a stable order
            if name in incident.annotations:
                _add(annotations, name, "true")
        for name in incident.annotations:
            if name not in ANNOTATIONS:  # left for the schema to refuse, by name
                _add(annotations, name, "true")
    _add(summary, "incidentDateTime", _when(incident.at))


def _reporter(root: ET.Element, report: Report) -> None:
    reporter = report.reporter
    holder = ET.SubElement(root, "reporter")
    person = ET.SubElement(holder, "reportingPerson")
    if reporter is None:
        return  # the schema refuses it, as the checks do
    _add(person, "firstName", reporter.first_name)
    _add(person, "lastName", reporter.last_name)
    _add(person, "phone", reporter.phone)
    _add(person, "email", reporter.email)
    _add(holder, "companyTemplate", reporter.company_template)
    _add(holder, "termsOfService", reporter.terms_of_service)
    _add(holder, "legalURL", reporter.legal_url)


def _person(root: ET.Element, person: ReportedPerson) -> None:
    reported = ET.Element("personOrUserReported")
    details = ET.SubElement(reported, "personOrUserReportedPerson")
    _add(details, "firstName", person.first_name)
    _add(details, "lastName", person.last_name)
    for phone in person.phones:
        _add(details, "phone", phone)
    for email in person.emails:
        _add(details, "email", email)
    if person.age is not None:
        _add(details, "age", str(person.age))
    _add(details, "dateOfBirth", person.date_of_birth)
    if not len(details):
        reported.remove(details)
    _add(reported, "espIdentifier", person.user_id)
    _add(reported, "espService", person.service)
    _add(reported, "screenName", person.screen_name)
    for name in person.display_names:
        _add(reported, "displayName", name)
    for url in person.profile_urls:
        _add(reported, "profileUrl", url)
    for capture in person.ip_captures:
        _capture(reported, "ipCaptureEvent", capture)
    if len(reported):
        root.append(reported)


def _capture(parent: ET.Element, tag: str, capture: IpCapture) -> None:
    event = ET.SubElement(parent, tag)
    _add(event, "ipAddress", capture.ip)
    _add(event, "eventName", capture.event.value)
    _add(event, "dateTime", _when(capture.at))
    if capture.possible_proxy is not None:
        _add(event, "possibleProxy", _bool(capture.possible_proxy))
    if capture.port is not None:
        _add(event, "port", str(capture.port))


def _add(parent: ET.Element, tag: str, value: str | None) -> ET.Element | None:
    """A child holding `value`, or nothing when `value` is empty."""
    if value is None or not str(value).strip():
        return None
    text = str(value)
    bad = NOT_XML.search(text)
    if bad is not None:
        raise ReportInvalid(
            f"<{tag}> holds the control character U+{ord(bad.group()):04X}, which XML cannot carry"
        )
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _serialise(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
