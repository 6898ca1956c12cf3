"""What a report must hold before it goes to the CyberTipline, checked on the `Report` itself.

The schema checks the documents' structure and types, but its text types accept anything: an
email without an `@`, an address with spaces, a name of a million characters. These checks
catch what NCMEC's people could not use, and what the schema requires but the model leaves
open (a reporter's email, the incident's time), each problem named by the report's field
(``reporter.email``, ``person.profile_urls[1]``, ``file#12.location`` for the file whose id
is 12) so that a person can fix it.

The schema sets no length; bastion's bounds are generous ones (a line of 1,000 characters, an
address of 2,048, a description of 100,000, a conversation of 2,000,000): a longer field is
refused, never cut.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from bastion.reporting.model import ANNOTATIONS, IpCapture, Report, ReportFile

MAX_LINE = 1_000
MAX_URL = 2_048
MAX_EMAIL = 254  # RFC 5321's limit on a path
MAX_TEXT = 100_000
MAX_CONTENT = 2_000_000
#: Characters XML 1.0 cannot carry at all.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: local@domain.tld: no space, no second @, labels of letters, digits and inner hyphens.
EMAIL = re.compile(r"[^@\s\"(),:;<>\[\\\]]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}")
_Check = Callable[[str, str | None], object]
PHONE = re.compile(r"\+?[0-9 ().\-/]{3,40}")


def problems(report: Report) -> list[str]:
    """Every problem that would keep `report` from the CyberTipline, as ``field: what``."""
    c = _Checker()
    incident = report.incident
    at: object = incident.at  # typed as set, but a draft read back may lack it
    if not isinstance(at, datetime):
        c.add("incident.at", "missing (when it happened)")
    c.text("incident.description", incident.description, MAX_TEXT)
    c.text("incident.text", incident.text, MAX_CONTENT)
    c.url("incident.url", incident.url)
    c.line("incident.chat_name", incident.chat_name)
    c.text("incident.escalate", incident.escalate, MAX_TEXT)
    for annotation in incident.annotations:
        if annotation not in ANNOTATIONS:
            names = ", ".join(ANNOTATIONS)
            c.add("incident.annotations", f"unknown {annotation!r} (one of {names})")
    if not report.files and not (incident.text or "").strip() and not incident.url:
        c.add("report", "nothing to report: no file, no text and no address")

    reporter = report.reporter
    if reporter is None:
        c.add("reporter", "missing (the organisation's reporting contact)")
    else:
        if not (reporter.email or "").strip():
            c.add("reporter.email", "missing (NCMEC writes to it about the report)")
        else:
            c.email("reporter.email", reporter.email)
        c.line("reporter.first_name", reporter.first_name)
        c.line("reporter.last_name", reporter.last_name)
        c.phone("reporter.phone", reporter.phone)
        c.line("reporter.platform", reporter.platform)
        c.text("reporter.company_template", reporter.company_template, MAX_TEXT)
        c.text("reporter.terms_of_service", reporter.terms_of_service, MAX_TEXT)
        c.url("reporter.legal_url", reporter.legal_url)

    person = report.person
    if person is not None:
        for name in ("user_id", "screen_name", "service", "first_name", "last_name"):
            c.line(f"person.{name}", getattr(person, name))
        c.each("person.display_names", person.display_names, c.line)
        c.each("person.emails", person.emails, c.email)
        c.each("person.phones", person.phones, c.phone)
        c.each("person.profile_urls", person.profile_urls, c.url)
        for i, capture in enumerate(person.ip_captures):
            c.capture(f"person.ip_captures[{i}]", capture)
        if person.age is not None and not 0 <= person.age <= 150:
            c.add("person.age", f"{person.age} is not an age")
        c.line("person.date_of_birth", person.date_of_birth)

    for file in report.files:
        _file(c, file)
    return c.found


def _file(c: _Checker, file: ReportFile) -> None:
    where = f"file#{file.id}"
    if not (file.evidence_id or "").strip():
        c.add(f"{where}.evidence_id", "missing (the preserved file to send)")
    if not (file.file_name or "").strip():
        c.add(f"{where}.file_name", "missing")
    c.line(f"{where}.file_name", file.file_name)
    c.line(f"{where}.original_name", file.original_name)
    c.url(f"{where}.location", file.location)
    for kind, value in file.original_hashes.items():
        if not kind.strip() or not (value or "").strip():
            c.add(f"{where}.original_hashes", f"an empty hash or hash type ({kind!r})")
        c.line(f"{where}.original_hashes[{kind}]", value)
    if file.ip_capture is not None:
        c.capture(f"{where}.ip_capture", file.ip_capture)


class _Checker:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, field: str, problem: str) -> None:
        self.found.append(f"{field}: {problem}")

    def text(self, field: str, value: str | None, limit: int) -> bool:
        """Whether `value` (when set) is text XML can carry, within `limit`."""
        if value is None:
            return True
        if len(value) > limit:
            self.add(field, f"{len(value):,} characters, at most {limit:,}")
            return False
        bad = NOT_XML.search(value)
        if bad is not None:
            self.add(field, f"holds the control character U+{ord(bad.group()):04X}")
            return False
        return True

    def line(self, field: str, value: str | None, limit: int = MAX_LINE) -> bool:
        if not self.text(field, value, limit):
            return False
        if value is not None and ("\n" in value or "\r" in value):
            self.add(field, "holds a line break")
            return False
        return True

    def url(self, field: str, value: str | None) -> None:
        if value is None or not self.line(field, value, MAX_URL):
            return
        if any(ch.isspace() for ch in value):
            self.add(field, "an address with whitespace")
            return
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.scheme in ("mailto", "urn")):
            self.add(field, f"not an absolute address ({value[:60]!r})")

    def email(self, field: str, value: str | None) -> None:
        if value is None or not self.line(field, value, MAX_EMAIL):
            return
        if not EMAIL.fullmatch(value):
            self.add(field, f"not an email address ({value[:60]!r})")

    def phone(self, field: str, value: str | None) -> None:
        if value is None or not self.line(field, value):
            return
        if not PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 3:
            self.add(field, f"not a phone number ({value[:40]!r})")

    def capture(self, field: str, capture: IpCapture) -> None:
        try:
            ipaddress.ip_address(capture.ip)
        except ValueError:
            self.add(f"{field}.ip", f"not an IP address ({str(capture.ip)[:60]!r})")
        if capture.port is not None and not 0 <= capture.port <= 65535:
            self.add(f"{field}.port", f"{capture.port} is not a port")

    def each(self, field: str, values: Iterable[str], check: _Check) -> None:
        for i, value in enumerate(values):
            check(f"{field}[{i}]", value)
