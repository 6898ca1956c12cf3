"""API v1: hash content, match content, look up signals, index status.

Each route only translates HTTP to a use case of the pipeline (`bastion.pipeline.Bastion`):
check content, look up signals. A key limited to some banks matches only in the banks it may
read: the matches of others, their values and metadata, are none of its business, and their
actions do not run.
"""

from __future__ import annotations

from fastapi import Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from bastion.auth import ApiKey, Scope
from bastion.pipeline import Checked
from bastion.signals import Signal, normalize_signal
from bastion.web.inputs import api_router
from bastion.web.routes.uploads import read_upload
from bastion.web.schemas import (
    PROBLEM_RESPONSES,
    HashResult,
    IndexStatusModel,
    MatchModel,
    MatchResult,
    SignalModel,
)
from bastion.web.security import readable_banks, require
from bastion.web.services import Services, services

hashing = api_router(prefix="/api/v1", tags=["content"], responses=PROBLEM_RESPONSES)
matching = api_router(prefix="/api/v1", tags=["content"], responses=PROBLEM_RESPONSES)


@hashing.post("/hash", response_model=HashResult)
def hash_content(
    file: UploadFile = File(..., description="An image: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC."),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(require(Scope.HASH)),
) -> HashResult:
    """Compute the signals of an uploaded image (PDQ with quality, MD5, SHA-256)."""
    data = read_upload(file, svc.settings.max_media_bytes)
    return HashResult.of(svc.hash_content(data, file.filename or "upload"))


@hashing.get("/hash", response_model=HashResult)
def hash_url(
    url: str = Query(..., description="http(s) URL of an image; only public addresses."),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(require(Scope.HASH)),
) -> HashResult:
    """Fetch an image from a URL (private, loopback and metadata addresses refused) and
    compute its signals."""
    return HashResult.of(svc.hash_url(url))


@matching.get("/match", response_model=MatchResult)
def match_url(
    url: str = Query(..., description="http(s) URL of an image; only public addresses."),
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Fetch an image from a URL, hash it and match it against every enabled bank."""
    return _result(svc.check_url(url, banks=readable_banks(key)))


@matching.post("/match", response_model=MatchResult)
def match_content(
    file: UploadFile = File(..., description="An image to match against every enabled bank."),
    content_id: str | None = Form(
        None, max_length=200, description="The platform's id of this content (in match events)."
    ),
    user_id: str | None = Form(
        None,
        max_length=200,
        description="The platform's id of who posted it (jobs join their case).",
    ),
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Hash an uploaded image and match it against every enabled bank. The platform's
    content and user ids, when given, go into the match events, and into what is kept for
    retroactive matching (`checked_retention_days`)."""
    data = read_upload(file, svc.settings.max_media_bytes)
    context = {"content_id": content_id, "user_id": user_id}
    return _result(
        svc.check_content(
            data, file.filename or "upload", banks=readable_banks(key), context=context
        )
    )


@matching.get("/lookup", response_model=MatchResult)
async def lookup(
    signal_type: str = Query(..., examples=["pdq"]),
    signal: str = Query(..., description="The hash value."),
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Match one signal (a hash computed elsewhere) against every enabled bank."""
    matches = await svc.look_up_async(
        [Signal(*normalize_signal(signal_type, signal))], banks=readable_banks(key)
    )
    return MatchResult(matches=[MatchModel.of(m) for m in matches])


class LookupBody(BaseModel):
    signals: list[SignalModel] = Field(
        min_length=1,
        max_length=100,
        examples=[[{"type": "url", "value": "https://example.com/page"}]],
    )


@matching.post("/lookup", response_model=MatchResult)
async def lookup_many(
    body: LookupBody,
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Match up to 100 signals computed elsewhere at once (any type; a `text` value may be a
    whole message of up to 10,000 characters, too long for a query string)."""
    signals = [Signal(*normalize_signal(s.type, s.value), s.quality) for s in body.signals]
    matches = await svc.look_up_async(signals, banks=readable_banks(key))
    return MatchResult(matches=[MatchModel.of(m) for m in matches])


@matching.get("/index/status", response_model=IndexStatusModel)
def index_status(
    svc: Services = Depends(services),
    _key: ApiKey = Depends(require(Scope.MATCH)),
) -> IndexStatusModel:
    """How many signals this worker's index holds and how fresh it is."""
    status = svc.matcher.status()
    return IndexStatusModel(
        signals=status.signals, seq=status.seq, refreshed_seconds_ago=status.refreshed_seconds_ago
    )


def _result(checked: Checked) -> MatchResult:
    return MatchResult(
        content=HashResult.of(checked.content), matches=[MatchModel.of(m) for m in checked.matches]
    )
