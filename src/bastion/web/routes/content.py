"""API v1: hash content, match content, look up signals, index status.

A key limited to some banks matches only in the banks it may read: the matches of others,
their values and metadata, are none of its business.
"""

from __future__ import annotations

from fastapi import Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from bastion.actions import content_info
from bastion.auth import ApiKey, BankPermission, Scope
from bastion.matching import Match
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
    return HashResult.of(svc.hash_bytes(data, name=file.filename or "upload"))


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
    content = svc.hash_url(url, options=svc.for_matching())
    matches = _readable(svc.matcher.match_content(content), key)
    svc.act_on(matches, content_info(content))
    return MatchResult(content=HashResult.of(content), matches=[MatchModel.of(m) for m in matches])


@matching.post("/match", response_model=MatchResult)
def match_content(
    file: UploadFile = File(..., description="An image to match against every enabled bank."),
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Hash an uploaded image and match it against every enabled bank."""
    data = read_upload(file, svc.settings.max_media_bytes)
    content = svc.hash_bytes(data, name=file.filename or "upload", options=svc.for_matching())
    matches = _readable(svc.matcher.match_content(content), key)
    svc.act_on(matches, content_info(content))
    return MatchResult(content=HashResult.of(content), matches=[MatchModel.of(m) for m in matches])


@matching.get("/lookup", response_model=MatchResult)
async def lookup(
    signal_type: str = Query(..., examples=["pdq"]),
    signal: str = Query(..., description="The hash value."),
    svc: Services = Depends(services),
    key: ApiKey = Depends(require(Scope.MATCH)),
) -> MatchResult:
    """Match one signal (a hash computed elsewhere) against every enabled bank."""
    type_name, value = normalize_signal(signal_type, signal)
    matches = await svc.matcher.match_signals_async(
        [Signal(type_name, value)], banks=readable_banks(key)
    )
    await svc.act(matches, {"signals": {type_name: value}})
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
    matches = await svc.matcher.match_signals_async(signals, banks=readable_banks(key))
    await svc.act(matches, {"signals": {s.type: s.key for s in signals}})
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


def _readable(matches: list[Match], key: ApiKey) -> list[Match]:
    """The matches in banks `key` may read (content is matched against every bank at once)."""
    return [m for m in matches if key.may(m.bank, BankPermission.READ)]
