"""What the CyberTipline answers, read as untrusted XML, and its response codes turned into
the sink errors that tell the filing what to do next.

Every answer is a `<reportResponse>` (`responseCode`, `responseDescription`, and `reportId`,
`fileId`, `hash` where they apply) or, to `/finish`, a `<reportDoneResponse>` (`responseCode`,
`reportId`, `<files><fileId>`...). Code 0 is success. The families:

- 1xxx: NCMEC failed on its side → `SinkUnavailable` (try again later);
- 2xxx: authentication required or credentials refused, 3xxx: the account may not report
  → `SinkAuthError` (a person must set the credentials or ask NCMEC);
- 4xxx: the request or the document is wrong (4100: the schema refused it) → `SinkRejected`;
- 5001: NCMEC holds no such report (an unfinished report expires) → `RemoteReportGone`;
  5101: already retracted → `RemoteReportRetracted`; 5102: already finished →
  `RemoteReportFinished`; any other code → `SinkRejected`.

An error may come with an HTTP error status and a `<reportResponse>` body: the body is judged
first. Without one, the HTTP status is: 401/403 → `SinkAuthError`, 408/429/5xx →
`SinkUnavailable`, any other → `SinkRejected`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from bastion.reporting.sink import (
    RemoteReportFinished,
    RemoteReportGone,
    RemoteReportRetracted,
    SinkAuthError,
    SinkError,
    SinkRejected,
    SinkUnavailable,
)

#: Plain names of the codes NCMEC documents, used when an answer carries no description.
CODES = {
    0: "success",
    1000: "server error",
    2000: "authentication required",
    3000: "not authorized",
    3100: "no submission authorization",
    4000: "invalid request",
    4100: "validation failed",
    5001: "report does not exist",
    5101: "report already retracted",
    5102: "report already finished",
}
UNAVAILABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
ROOTS = ("reportResponse", "reportDoneResponse")
#: Longest stretch of NCMEC's own words kept in an error message.
MAX_DESCRIPTION = 400


@dataclass(frozen=True)
class Answer:
    """A successful answer (`code` 0): its fields by element name, and the file ids of a
    `<reportDoneResponse>`."""

    root: str
    fields: dict[str, str]
    file_ids: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        return self.fields.get(name) or None


def where(step: str) -> str:
    return f"CyberTipline {step}"


def read_answer(step: str, status: int, body: bytes, *, secret: str = "") -> Answer:
    """The answer to one request, or the sink error it amounts to. `secret` (the password)
    is blotted out of any text quoted from the answer."""
    root = parse_xml(step, body, strict=200 <= status < 300)
    if root is not None and _local(root.tag) in ROOTS:
        fields = {_local(child.tag): (child.text or "").strip() for child in root}
        raw_code = fields.get("responseCode", "")
        if not re.fullmatch(r"-?\d{1,9}", raw_code):
            if 200 <= status < 300:
                raise SinkUnavailable(f"{where(step)}: an answer without a response code")
        else:
            code = int(raw_code)
            if code != 0:
                description = _one_line(fields.get("responseDescription", ""), secret)
                raise error_for(step, code, description)
            if 200 <= status < 300:
                files = _file_ids(root)
                return Answer(_local(root.tag), fields, files)
    elif root is not None and 200 <= status < 300:
        raise SinkUnavailable(
            f"{where(step)}: expected <reportResponse>, the answer is <{_local(root.tag)}>"
        )
    raise error_for_status(step, status)


def error_for(step: str, code: int, description: str = "") -> SinkError:
    """The sink error for NCMEC's response `code`, its message naming the step, the code
    and NCMEC's words (or the code's documented name)."""
    words = description or CODES.get(code) or "error"
    message = f"{where(step)}: {code} {words}"
    if code == 5001:
        return RemoteReportGone(message, remote_code=code)
    if code == 5101:
        return RemoteReportRetracted(message, remote_code=code)
    if code == 5102:
        return RemoteReportFinished(message, remote_code=code)
    if 1000 <= code < 2000:
        return SinkUnavailable(message, remote_code=code)
    if 2000 <= code < 4000:
        return SinkAuthError(
            f"{message} (the CyberTipline refused the credentials or this account's rights)",
            remote_code=code,
        )
    return SinkRejected(message, remote_code=code)


def error_for_status(step: str, status: int) -> SinkError:
    """The sink error for an HTTP status that came without a readable `<reportResponse>`."""
    if 200 <= status < 300:
        return SinkUnavailable(f"{where(step)}: HTTP {status} without a <reportResponse>")
    if status in (401, 403):
        return SinkAuthError(f"{where(step)}: HTTP {status} (credentials refused)")
    if status in UNAVAILABLE_STATUSES or status >= 500:
        return SinkUnavailable(f"{where(step)}: HTTP {status}")
    return SinkRejected(f"{where(step)}: HTTP {status}")


def parse_xml(step: str, body: bytes, *, strict: bool) -> ET.Element | None:
    """`body` as XML, refusing a DTD (no entity is ever expanded). None when the body is not
    XML at all, or is malformed and `strict` is false (an error page: its HTTP status
    decides); a malformed body where XML was due raises `SinkUnavailable`."""
    text = body.lstrip()
    if not text.startswith(b"<"):
        if strict:
            raise SinkUnavailable(f"{where(step)}: the answer is not XML")
        return None
    lowered = text.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise SinkUnavailable(f"{where(step)}: the answer holds a DTD (refused)")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        if strict:
            raise SinkUnavailable(f"{where(step)}: malformed XML in the answer ({e})") from None
        return None


def _file_ids(root: ET.Element) -> tuple[str, ...]:
    ids: list[str] = []
    for child in root:
        if _local(child.tag) == "files":
            ids.extend(
                (f.text or "").strip()
                for f in child
                if _local(f.tag) == "fileId" and (f.text or "").strip()
            )
    return tuple(ids)


def _one_line(text: str, secret: str) -> str:
    if secret:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1] + "…"
    return text


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
