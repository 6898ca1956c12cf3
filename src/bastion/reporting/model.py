"""The vocabulary of a report to a hotline: what happened, who reported it, who is reported,
the files, and where the report stands.

The words follow NCMEC's CyberTipline schema (the destination every US provider must use), but
nothing here is tied to it: a `ReportSink` turns a `Report` into its own documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.errors import ValidationError
from bastion.review import Classification


class IncidentType(StrEnum):
    """What the report is about, as the CyberTipline names it (its `incidentType`)."""

    CHILD_SEXUAL_ABUSE_MATERIAL = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"

    @property
    def short(self) -> str:
        """The name the CLI, the API and the transparency report use (``csam``...)."""
        return _SHORT_NAMES[self]


_SHORT_NAMES = {
    IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL: "csam",
    IncidentType.CHILD_SEX_TRAFFICKING: "trafficking",
    IncidentType.CHILD_SEX_TOURISM: "tourism",
    IncidentType.CHILD_SEXUAL_MOLESTATION: "molestation",
    IncidentType.MISLEADING_DOMAIN_NAME: "misleading_domain",
    IncidentType.MISLEADING_WORDS_OR_IMAGES: "misleading_content",
    IncidentType.ONLINE_ENTICEMENT: "enticement",
    IncidentType.UNSOLICITED_OBSCENE_MATERIAL: "obscene_to_child",
}
_BY_SHORT = {short: kind for kind, short in _SHORT_NAMES.items()}


def incident_type(value: str) -> IncidentType:
    """An incident type from its short name (``csam``) or its CyberTipline name."""
    found = _BY_SHORT.get(value.strip().lower())
    if found is not None:
        return found
    try:
        return IncidentType(value)
    except ValueError:
        names = ", ".join(_BY_SHORT)
        raise ValidationError(f"unknown incident type {value!r} (one of {names})") from None


class ReportStatus(StrEnum):
    """Where a report stands. A report moves only forward along

    draft → (awaiting_approval →) queued → submitted → files_uploaded → details_sent → finished

    and may be retracted before it is finished. `failed` holds a report that a person must
    fix (its error says what); fixing it puts it back in the queue.
    """

    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"  # approved: the worker sends it
    SUBMITTED = "submitted"  # the hotline holds the report and gave its id
    FILES_UPLOADED = "files_uploaded"
    DETAILS_SENT = "details_sent"
    FINISHED = "finished"  # final: the hotline received it whole
    RETRACTED = "retracted"
    FAILED = "failed"

    @property
    def editable(self) -> bool:
        return self in (ReportStatus.DRAFT, ReportStatus.AWAITING_APPROVAL, ReportStatus.FAILED)

    @property
    def sending(self) -> bool:
        """The worker still has steps to take."""
        return self in _SENDING


_SENDING = frozenset(
    {
        ReportStatus.QUEUED,
        ReportStatus.SUBMITTED,
        ReportStatus.FILES_UPLOADED,
        ReportStatus.DETAILS_SENT,
    }
)


class IpEvent(StrEnum):
    """What a user did from an address (the CyberTipline's `ipCaptureType`)."""

    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class IpCapture:
    """An address a user acted from, and when."""

    ip: str
    event: IpEvent = IpEvent.UNKNOWN
    at: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@dataclass(frozen=True)
class Reporter:
    """Who files the report: the organisation's contact (organisation settings)."""

    #: The person NCMEC may write to about the report (`reportingPerson`).
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    #: The service's name as the report's `platform` names it.
    platform: str | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None


@dataclass(frozen=True)
class ReportedPerson:
    """The user the report is about, from what the platform sent with the content or
    answered to the additional-information webhook."""

    #: The platform's id of the user (`espIdentifier`).
    user_id: str | None = None
    screen_name: str | None = None
    display_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    profile_urls: tuple[str, ...] = ()
    ip_captures: tuple[IpCapture, ...] = ()
    #: The service the account belongs to (`espService`), when the platform runs several.
    service: str | None = None
    age: int | None = None
    date_of_birth: str | None = None  # YYYY-MM-DD
    first_name: str | None = None
    last_name: str | None = None


class FileState(StrEnum):
    PENDING = "pending"  # not yet sent
    UPLOADED = "uploaded"  # the hotline holds the bytes and gave a file id
    DESCRIBED = "described"  # and its details


@dataclass(frozen=True)
class ReportFile:
    """A file of a report: kept in the evidence vault, sent to the hotline with what the
    reviewer established about it."""

    id: int
    #: The vault object holding the bytes.
    evidence_id: str
    file_name: str
    content_id: int | None = None
    classification: Classification | None = None
    #: Whether a person at the provider looked at the file (`fileViewedByEsp`).
    viewed_by_esp: bool = False
    exif_viewed_by_esp: bool = False
    publicly_available: bool = False
    #: Hash type (``MD5``, ``SHA1``, ``PDQ``...) to value, of the file as uploaded to the
    #: platform (`originalFileHash`).
    original_hashes: dict[str, str] = field(default_factory=dict)
    #: When the user uploaded it to the platform, and where it was.
    uploaded_at: datetime | None = None
    location: str | None = None
    ip_capture: IpCapture | None = None
    state: FileState = FileState.PENDING
    #: The hotline's id for the file, and the MD5 it computed of what it received.
    remote_id: str | None = None
    remote_md5: str | None = None
    #: The file's name when the user uploaded it to the platform (`originalFileName`), when
    #: it differs from `file_name`, the name it is sent under.
    original_name: str | None = None


@dataclass(frozen=True)
class Incident:
    """What the report says happened."""

    type: IncidentType
    #: When it happened (the content's posting, else its detection).
    at: datetime
    #: A free text the hotline reads first: what was found and how.
    description: str = ""
    #: Text, when the incident holds any (a conversation's excerpts): sent in the report's
    #: `internetDetails` as the chat's content.
    text: str | None = None
    #: Where it happened: a web page's address, a chat's name.
    url: str | None = None
    chat_name: str | None = None
    #: Set when a child is at immediate risk: why (`escalateToHighPriority`).
    escalate: str | None = None
    #: Report annotations (``sextortion``, ``csamSolicitation``, ``minorToMinorInteraction``,
    #: ``spam``, ``sadisticOnlineExploitation``).
    annotations: tuple[str, ...] = ()


ANNOTATIONS = (
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
)


@dataclass(frozen=True)
class Receipt:
    """What the hotline answered: proof the report was received."""

    remote_id: str
    file_ids: tuple[str, ...]
    finished_at: datetime


@dataclass(frozen=True)
class Report:
    id: int
    #: The destination (`ReportSink.name`): ``cybertipline``.
    sink: str
    #: The review case it came from, when one.
    case_id: int | None
    #: The review jobs it reports.
    job_ids: tuple[int, ...]
    status: ReportStatus
    incident: Incident
    reporter: Reporter | None
    person: ReportedPerson | None
    files: tuple[ReportFile, ...]
    #: The hotline's report id once it holds the report.
    remote_id: str | None
    #: The last error, plain for a person (the hotline's code and words included).
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    created_by: str
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    #: What the platform answered to the additional-information webhook, when asked.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def receipt(self) -> Receipt | None:
        if self.status is not ReportStatus.FINISHED or self.remote_id is None:
            return None
        files = tuple(f.remote_id for f in self.files if f.remote_id is not None)
        assert self.finished_at is not None
        return Receipt(self.remote_id, files, self.finished_at)
