"""JSON shapes of the report routes (`bastion.web.routes.reports`): reports to hotlines, their
files and history, the edits a draft takes, and the organisation's reporting profile. None
carries media or a credential."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from bastion.reporting.cybertipline.checks import MAX_CONTENT, MAX_TEXT
from bastion.reporting.model import (
    ANNOTATIONS,
    Incident,
    IpCapture,
    Report,
    ReportedPerson,
    ReportFile,
    incident_type,
)
from bastion.reporting.profile import ReportingProfile

IncidentName = Literal[
    "csam", "trafficking", "tourism", "molestation", "misleading_domain",
    "misleading_content", "enticement", "obscene_to_child",
]  # fmt: skip
Text = Annotated[str, Field(max_length=4000)]
#: As long as a report may hold (a draft's own description of many items can pass 4,000).
ReportText = Annotated[str, Field(max_length=MAX_TEXT)]
ShortText = Annotated[str, Field(min_length=1, max_length=255)]
AnnotationName = Literal[
    "sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
    "sadisticOnlineExploitation",
]  # fmt: skip
assert set(AnnotationName.__args__) == set(ANNOTATIONS)  # type: ignore[attr-defined]


def _not_null(value: Any) -> Any:
    """An edit's field that may be left out (it stays) but not set to null (it has no
    empty value)."""
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


class IpCaptureModel(BaseModel):
    ip: str = Field(min_length=2, max_length=64, examples=["203.0.113.5"])
    event: Literal["Login", "Registration", "Purchase", "Upload", "Other", "Unknown"] = "Unknown"
    at: AwareDatetime | None = Field(default=None, description="With its time zone.")
    possible_proxy: bool | None = None
    port: int | None = Field(default=None, ge=0, le=65535)

    @classmethod
    def of(cls, capture: IpCapture) -> IpCaptureModel:
        return cls(
            ip=capture.ip,
            event=capture.event.value,
            at=capture.at,
            possible_proxy=capture.possible_proxy,
            port=capture.port,
        )

    def value(self) -> IpCapture:
        from bastion.reporting.model import IpEvent

        return IpCapture(self.ip, IpEvent(self.event), self.at, self.possible_proxy, self.port)


class PersonModel(BaseModel):
    """The user a report is about."""

    user_id: str | None = Field(default=None, max_length=255)
    screen_name: str | None = Field(default=None, max_length=255)
    display_names: list[ShortText] = Field(default_factory=list, max_length=20)
    emails: list[ShortText] = Field(default_factory=list, max_length=20)
    phones: list[ShortText] = Field(default_factory=list, max_length=20)
    profile_urls: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20
    )
    ip_captures: list[IpCaptureModel] = Field(default_factory=list, max_length=200)
    service: str | None = Field(default=None, max_length=255)
    age: int | None = Field(default=None, ge=0, le=150)
    date_of_birth: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["1990-04-01"]
    )
    first_name: str | None = Field(default=None, max_length=255)
    last_name: str | None = Field(default=None, max_length=255)

    @classmethod
    def of(cls, person: ReportedPerson) -> PersonModel:
        return cls(
            **{
                **vars(person),
                "display_names": list(person.display_names),
                "emails": list(person.emails),
                "phones": list(person.phones),
                "profile_urls": list(person.profile_urls),
                "ip_captures": [IpCaptureModel.of(c) for c in person.ip_captures],
            }
        )

    def value(self) -> ReportedPerson:
        data = self.model_dump()
        for name in ("display_names", "emails", "phones", "profile_urls"):
            data[name] = tuple(data[name])
        data["ip_captures"] = tuple(c.value() for c in self.ip_captures)
        return ReportedPerson(**data)


class IncidentModel(BaseModel):
    type: IncidentName
    at: datetime
    description: str
    text: str | None
    url: str | None
    chat_name: str | None
    escalate: str | None = Field(description="Why a child is at immediate risk, when one is.")
    annotations: list[str]

    @classmethod
    def of(cls, incident: Incident) -> IncidentModel:
        return cls(
            type=incident.type.short,  # type: ignore[arg-type]
            at=incident.at,
            description=incident.description,
            text=incident.text,
            url=incident.url,
            chat_name=incident.chat_name,
            escalate=incident.escalate,
            annotations=list(incident.annotations),
        )


class IncidentEdit(BaseModel):
    """What a draft's incident may be changed to; fields left out stay."""

    type: IncidentName | None = None
    at: AwareDatetime | None = Field(default=None, description="With its time zone.")
    description: ReportText | None = None
    text: Annotated[str, Field(max_length=MAX_CONTENT)] | None = None
    url: Annotated[str, Field(max_length=2000)] | None = None
    chat_name: Annotated[str, Field(max_length=255)] | None = None
    escalate: ReportText | None = None
    annotations: list[AnnotationName] | None = None

    _required = field_validator("type", "at", "description", "annotations")(_not_null)

    def applied(self, incident: Incident) -> Incident:
        from dataclasses import replace

        changes: dict[str, Any] = self.model_dump(exclude_unset=True)
        if "type" in changes:
            changes["type"] = incident_type(changes["type"])
        if "annotations" in changes:
            changes["annotations"] = tuple(changes["annotations"] or ())
        return replace(incident, **changes)


class ReportFileModel(BaseModel):
    id: int
    file_name: str
    content_id: int | None = Field(description="The submission it came from.")
    classification: str | None = Field(examples=["A1"])
    viewed_by_esp: bool = Field(description="A person at the provider looked at it.")
    exif_viewed_by_esp: bool
    publicly_available: bool
    original_hashes: dict[str, str] = Field(examples=[{"MD5": "…", "PDQ": "…"}])
    uploaded_at: datetime | None
    location: str | None
    ip_capture: IpCaptureModel | None
    state: str = Field(examples=["pending", "uploaded", "described"])
    remote_id: str | None = Field(description="NCMEC's file id, once uploaded.")
    remote_md5: str | None = Field(description="The MD5 NCMEC computed of what it received.")

    @classmethod
    def of(cls, file: ReportFile) -> ReportFileModel:
        return cls(
            id=file.id,
            file_name=file.file_name,
            content_id=file.content_id,
            classification=None if file.classification is None else file.classification.value,
            viewed_by_esp=file.viewed_by_esp,
            exif_viewed_by_esp=file.exif_viewed_by_esp,
            publicly_available=file.publicly_available,
            original_hashes=dict(file.original_hashes),
            uploaded_at=file.uploaded_at,
            location=file.location,
            ip_capture=None if file.ip_capture is None else IpCaptureModel.of(file.ip_capture),
            state=file.state.value,
            remote_id=file.remote_id,
            remote_md5=file.remote_md5,
        )


class FileEdit(BaseModel):
    """What a draft's file may be changed to; fields left out stay."""

    classification: Literal["A1", "A2", "B1", "B2"] | None = None
    viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    uploaded_at: AwareDatetime | None = Field(default=None, description="With its time zone.")
    location: Annotated[str, Field(max_length=2000)] | None = None
    ip_capture: IpCaptureModel | None = None

    _required = field_validator("viewed_by_esp", "exif_viewed_by_esp", "publicly_available")(
        _not_null
    )

    def changes(self) -> dict[str, Any]:
        from bastion.review import classification

        found: dict[str, Any] = self.model_dump(exclude_unset=True)
        if "classification" in found:
            found["classification"] = classification(found["classification"])
        if "ip_capture" in found:
            found["ip_capture"] = None if self.ip_capture is None else self.ip_capture.value()
        return found


class ReportModel(BaseModel):
    id: int
    destination: str = Field(examples=["cybertipline"])
    status: str = Field(
        examples=["draft", "awaiting_approval", "queued", "submitted", "finished", "failed"]
    )
    case_id: int | None
    job_ids: list[int]
    incident: IncidentModel
    reporter_email: str | None
    person: PersonModel | None
    files: list[ReportFileModel]
    remote_id: str | None = Field(description="NCMEC's report id, once it holds the report.")
    error: str | None = Field(description="Why it failed or is being retried, in plain words.")
    attempts: int
    next_attempt_at: datetime | None
    created_by: str
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, report: Report) -> ReportModel:
        return cls(
            id=report.id,
            destination=report.sink,
            status=report.status.value,
            case_id=report.case_id,
            job_ids=list(report.job_ids),
            incident=IncidentModel.of(report.incident),
            reporter_email=None if report.reporter is None else report.reporter.email,
            person=None if report.person is None else PersonModel.of(report.person),
            files=[ReportFileModel.of(f) for f in report.files],
            remote_id=report.remote_id,
            error=report.error,
            attempts=report.attempts,
            next_attempt_at=report.next_attempt_at,
            created_by=report.created_by,
            approved_by=report.approved_by,
            created_at=report.created_at,
            updated_at=report.updated_at,
            submitted_at=report.submitted_at,
            finished_at=report.finished_at,
        )


class ReportEventModel(BaseModel):
    at: datetime
    actor: str
    step: str
    outcome: str
    detail: dict[str, Any]


class ReportDetailModel(ReportModel):
    events: list[ReportEventModel] = Field(description="Its history, oldest first.")


class DraftCreate(BaseModel):
    jobs: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        min_length=1, max_length=100, description="Decided jobs to report (of one case)."
    )


class ReportEdit(BaseModel):
    incident: IncidentEdit | None = None
    person: PersonModel | None = None


class ProfileModel(BaseModel):
    environment: Literal["test", "production"]
    destination: str = Field(description="cybertipline, or a destination a plugin adds.")
    reporter_first_name: str
    reporter_last_name: str
    reporter_email: str
    reporter_phone: str
    platform: str
    company_template: str
    terms_of_service: str
    legal_url: str
    approval_required: bool
    report_bank: str
    share_collaboration: str
    info_webhook_url: str
    credentials_set: bool = Field(description="Whether CyberTipline credentials are stored.")

    @classmethod
    def of(cls, profile: ReportingProfile, credentials_set: bool) -> ProfileModel:
        return cls(**vars(profile), credentials_set=credentials_set)


class ProfileEdit(BaseModel):
    environment: Literal["test", "production"] | None = None
    destination: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    reporter_first_name: Annotated[str, Field(max_length=100)] | None = None
    reporter_last_name: Annotated[str, Field(max_length=100)] | None = None
    reporter_email: Annotated[str, Field(max_length=254)] | None = None
    reporter_phone: Annotated[str, Field(max_length=40)] | None = None
    platform: Annotated[str, Field(max_length=255)] | None = None
    company_template: Text | None = None
    terms_of_service: Text | None = None
    legal_url: Annotated[str, Field(max_length=2000)] | None = None
    approval_required: bool | None = None
    report_bank: Annotated[str, Field(max_length=255)] | None = None
    share_collaboration: Annotated[str, Field(max_length=64)] | None = None
    info_webhook_url: Annotated[str, Field(max_length=2000)] | None = None

    _required = field_validator("*")(_not_null)


class CredentialsBody(BaseModel):
    username: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=1024)
