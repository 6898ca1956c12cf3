"""JSON shapes of API v1 (they generate the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from bastion.banks import Bank, BankEntry, Derived, MatchOptions
from bastion.banks.model import BANK_NAME_PATTERN
from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.signals import Signal
from bastion.vpdq import VideoComparison


class SignalModel(BaseModel):
    type: str = Field(examples=["pdq"])
    value: str = Field(
        examples=["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"]
    )
    quality: int | None = Field(default=None, ge=0, le=100)

    @classmethod
    def of(cls, signal: Signal) -> SignalModel:
        return cls(type=signal.type, value=signal.value, quality=signal.quality)


class HashResult(BaseModel):
    kind: str = Field(examples=["image", "video"])
    format: str
    width: int
    height: int
    bytes: int
    exif_orientation: int
    #: A video's declared duration.
    seconds: float | None = None
    signals: list[SignalModel]
    displayed_pdq: str | None = None

    @classmethod
    def of(cls, content: HashedContent) -> HashResult:
        return cls(
            kind=content.kind,
            format=content.format,
            width=content.width,
            height=content.height,
            bytes=content.size,
            exif_orientation=content.orientation,
            seconds=content.seconds,
            signals=[SignalModel.of(s) for s in content.signals],
            displayed_pdq=content.displayed_pdq.value if content.displayed_pdq else None,
        )


class SegmentModel(BaseModel):
    """Seconds of the query video that match seconds of the bank video."""

    query_start: float
    query_end: float
    bank_start: float
    bank_end: float
    frames: int


class VideoMatchModel(BaseModel):
    """How much of two videos matches (vPDQ), and where."""

    query_share: float = Field(ge=0, le=1)
    bank_share: float = Field(ge=0, le=1)
    segments: list[SegmentModel]

    @classmethod
    def of(cls, video: VideoComparison) -> VideoMatchModel:
        return cls(
            query_share=video.query_share,
            bank_share=video.bank_share,
            segments=[SegmentModel(**vars(s)) for s in video.segments],
        )


class MatchModel(BaseModel):
    bank: str
    entry_id: int
    signal_type: str
    distance: int
    quality: int | None
    bank_value: str
    query_value: str
    metadata: dict[str, Any]
    #: TMK+PDQF level-2 score.
    score: float | None = None
    #: vPDQ: shares of frames matched and the matching segments.
    video: VideoMatchModel | None = None
    query_how: str | None = Field(
        default=None,
        description="How the upload's matching hash was derived (e.g. rotate90, trimmed); "
        "null for its own hash.",
    )
    bank_how: str | None = Field(
        default=None,
        description="How the entry's matching hash was derived from its media (trimmed, "
        "crop_10, tilt_4); null for its own hash.",
    )

    @classmethod
    def of(cls, match: Match) -> MatchModel:
        return cls(
            bank=match.bank,
            entry_id=match.entry_id,
            signal_type=match.signal_type,
            distance=match.distance,
            quality=match.quality,
            bank_value=match.bank_value,
            query_value=match.query_value,
            metadata=match.metadata,
            score=match.score,
            video=VideoMatchModel.of(match.video) if match.video else None,
            query_how=match.query_how,
            bank_how=match.bank_how,
        )


class MatchResult(BaseModel):
    content: HashResult | None = None
    matches: list[MatchModel]


class MatchOptionsModel(BaseModel):
    """How a bank matches images beyond their hash as uploaded (docs/robustness.md)."""

    model_config = ConfigDict(extra="forbid")
    trim_borders: StrictBool = Field(
        description="Also match the picture inside flat borders (padding, bars, a frame)."
    )
    rotations: StrictBool = Field(description="Also match uploads rotated or mirrored.")
    variants: StrictBool = Field(
        description="Store hashes of crops and small rotations with entries added from media."
    )
    keypoints: StrictBool = Field(
        description="Store the keypoints of entries added from media and look uploads up by "
        "theirs (deep and off-centre crops, larger rotations, large logos)."
    )

    @classmethod
    def of(cls, options: MatchOptions) -> MatchOptionsModel:
        return cls(**options.as_dict())


#: A request's match options: any of them, the others as they were (or the defaults).
MatchOptionsChange = dict[str, StrictBool]


class BankModel(BaseModel):
    name: str
    description: str
    enabled: bool
    thresholds: dict[str, int]
    matching: MatchOptionsModel
    entries: int | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, bank: Bank) -> BankModel:
        return cls(
            name=bank.name,
            description=bank.description,
            enabled=bank.enabled,
            thresholds=bank.thresholds,
            matching=MatchOptionsModel.of(bank.matching),
            entries=bank.entry_count,
            created_at=bank.created_at,
            updated_at=bank.updated_at,
        )


class BankCreate(BaseModel):
    name: str = Field(pattern=BANK_NAME_PATTERN, examples=["partner-list"])
    description: str = ""
    enabled: bool = True
    thresholds: dict[str, int] = Field(default_factory=dict, examples=[{"pdq": 24}])
    matching: MatchOptionsChange = Field(
        default_factory=dict,
        description="Match options to set; the others take their defaults.",
        examples=[{"variants": True}],
    )


class BankUpdate(BaseModel):
    description: str | None = None
    enabled: bool | None = None
    thresholds: dict[str, int] | None = None
    matching: MatchOptionsChange | None = Field(
        default=None,
        description="Match options to change; the others stay as they are.",
        examples=[{"rotations": False}],
    )


class DerivedModel(BaseModel):
    """A hash bastion derived from an entry's media for robust matching (never shared)."""

    type: str
    value: str
    how: str = Field(examples=["trimmed", "crop_10", "tilt_4"])

    @classmethod
    def of(cls, derived: Derived) -> DerivedModel:
        return cls(type=derived.signal.type, value=derived.signal.value, how=derived.how)


class EntryModel(BaseModel):
    id: int
    bank: str
    signals: list[SignalModel]
    metadata: dict[str, Any]
    note: str
    source: str
    imported_from: str | None
    added_by: str | None
    added_at: datetime
    upstream_id: str | None = Field(
        default=None, description="For an entry fetched from an exchange: its id there."
    )
    updated_at: datetime | None = Field(
        default=None, description="When the exchange last changed the entry."
    )
    enabled: bool
    disabled_until: datetime | None
    derived: list[DerivedModel] = Field(
        default_factory=list,
        description="Hashes derived from the media for robust matching; not shared.",
    )

    @classmethod
    def of(cls, entry: BankEntry) -> EntryModel:
        return cls(
            id=entry.id,
            bank=entry.bank,
            signals=[SignalModel.of(s) for s in entry.signals],
            metadata=entry.metadata,
            note=entry.note,
            source=entry.provenance.source,
            imported_from=entry.provenance.imported_from,
            added_by=entry.provenance.added_by,
            added_at=entry.provenance.added_at,
            upstream_id=entry.provenance.upstream_id,
            updated_at=entry.provenance.updated_at,
            enabled=entry.enabled,
            disabled_until=entry.disabled_until,
            derived=[DerivedModel.of(d) for d in entry.derived],
        )


class EntryPage(BaseModel):
    entries: list[EntryModel]
    #: Pass as `after` to get the next page; null on the last page.
    next_after: int | None


class EntryCreate(BaseModel):
    signals: list[SignalModel] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)
    note: str = ""


class EntryUpdate(BaseModel):
    enabled: bool | None = None
    #: An aware timestamp, or null to clear; leave out to keep the current value.
    disabled_until: datetime | None = None
    note: str | None = None
    metadata: dict[str, Any] | None = None


class RowErrorModel(BaseModel):
    line: int
    message: str


class ImportResultModel(BaseModel):
    rows: int
    accepted: int
    duplicates: int
    rejected: int
    errors: list[RowErrorModel]


class IndexStatusModel(BaseModel):
    signals: int
    seq: int
    refreshed_seconds_ago: float


class ProblemModel(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str


class MessageModel(BaseModel):
    """HMA's error body."""

    message: str


def _responses(
    model: type[BaseModel], media_type: str, statuses: dict[int, str]
) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": text,
            "content": {media_type: {"schema": model.model_json_schema()}},
        }
        for status, text in statuses.items()
    }


_ERRORS = {
    400: "Invalid input (hash, name, threshold, file format).",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this route needs.",
    404: "No such bank, entry or route.",
    409: "Conflicts with existing data.",
    413: "The upload is over the size limit.",
    415: "Not a supported media type.",
    422: "Corrupt media, or a request that does not fit the schema.",
    429: "The API key's rate limit is exhausted.",
    502: "A URL could not be fetched.",
    503: "The database is unavailable.",
}

#: Error responses of API v1 routes, for the OpenAPI document.
PROBLEM_RESPONSES = _responses(ProblemModel, "application/problem+json", _ERRORS)
#: Error responses of the HMA-compatible routes.
MESSAGE_RESPONSES = _responses(MessageModel, "application/json", _ERRORS)
