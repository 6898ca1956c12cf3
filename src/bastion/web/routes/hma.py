"""HMA (OpenMediaMatch 1.1.x) compatible routes: hashing (`/h`) and matching (`/m`), and
what every HMA route shares: its errors, content types, signal type selection and uploads.
Curation (`/c/banks`, `/c/bank/...`) is in `hma_curation`; exchanges, signal types and
content types (`/c/exchange...`, `/c/signal_type`, `/c/content_type`) in `hma_exchanges`.

A script written against HMA works by changing its base URL and adding an API key. Where
bastion's model differs, the mapping is:

* HMA's content types are ``photo`` (bastion's images) and ``video``; each is hashed with
  every signal type bastion computes for it, plugins' included;
* a PDQ hash too poor to match (quality under `pdq_min_quality`) is HMA's empty hash: ``""``
  from `/h/hash`, refused by look-ups and by banks;
* look-ups of uploads and URLs go through `Bastion.check_content`, the API's own check: the
  same robust lookups (rotations, the picture inside borders), the same bank options;
* errors keep HMA's ``{"message": ...}`` body (see `problems.py`).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bastion.actions import content_info
from bastion.auth import ApiKey, Scope
from bastion.banks import MatchOptions
from bastion.errors import BastionError, UnknownSignalTypeError
from bastion.hashing import HashedContent
from bastion.matching import Match, threshold_for
from bastion.pipeline.triage import TriageItem
from bastion.signals import MatchKind, Signal, SignalType, normalize_signal, signal_types
from bastion.web.inputs import api_router
from bastion.web.routes.uploads import read_upload
from bastion.web.schemas import MESSAGE_RESPONSES
from bastion.web.security import readable_banks, require
from bastion.web.services import Services, services

hashing = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
matching = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
hash_key = require(Scope.HASH)
match_key = require(Scope.MATCH)

#: HMA's content types, by name, to the kind of content bastion hashes for each.
CONTENT_TYPES = {"photo": "image", "video": "video"}


_Body = TypeVar("_Body", bound=BaseModel)


class HmaError(BastionError):
    """An error with HMA's exact status and message."""

    code = "hma"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def checked_body(model: type[_Body], body: Any) -> _Body:
    """`body` read as HMA reads its JSON bodies: with pydantic's lax parsing of the same
    fields (``"0.5"`` is a number, ``"false"`` and ``"0"`` are false), refused as HMA
    refuses them: 422, here with one message naming the first field at fault."""
    try:
        return model.model_validate(body if isinstance(body, dict) else {})
    except PydanticError as e:
        first = e.errors()[0]
        raise HmaError(422, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The request's JSON body (None when it has none and none is `required`)."""
    if "application/json" not in request.headers.get("content-type", ""):
        if not required:
            return None
        raise HmaError(
            415,
            "Did not attempt to load JSON data because the request Content-Type was not "
            "'application/json'.",
        )
    try:
        return await request.json()
    except ValueError:
        raise HmaError(400, "Failed to decode JSON object") from None


# Signal types and content types ----------------------------------------------------------


def selected_types(types: str | None) -> set[str] | None:
    """HMA's `types` parameter: comma-separated signal type names (None: every type)."""
    if types is None:
        return None
    names = {t.strip() for t in types.split(",") if t.strip()}
    if not names:
        raise HmaError(400, "empty signal type selection")
    for name in sorted(names - signal_types().keys()):
        raise _not_a_type_of_it(name)
    return names


def _not_a_type_of_it(name: str) -> HmaError:
    return HmaError(400, f"signal type '{name}' doesn't exist or is disabled")


def content_kind(content_type: str) -> str:
    """The kind of content bastion hashes for HMA's `content_type`."""
    try:
        return CONTENT_TYPES[content_type]
    except KeyError:
        raise HmaError(400, f"no such content_type: '{content_type}'") from None


def _of_kind(content: HashedContent, content_type: str | None) -> HashedContent:
    """`content`, if it is what `content_type` names (None: whatever it is)."""
    if content_type is not None and content.kind != content_kind(content_type):
        raise HmaError(400, f"{content.name}: not a {content_type} (content_type {content_type})")
    return content


def too_poor(svc: Services, signal: Signal) -> bool:
    """Whether `signal` is too poor to match (a PDQ hash under `pdq_min_quality`): HMA has
    no hash for it."""
    return (
        signal.quality is not None
        and signal.quality < svc.settings.matching_options().pdq_min_quality
    )


def hma_signals(
    svc: Services, content: HashedContent, types: set[str] | None
) -> dict[str, Signal | None]:
    """The signals of `content` HMA answers with, by type: those of `types` (each of them
    a type of this content), None for a hash too poor to match."""
    produced = {s.type: s for s in content.signals}
    for name in sorted((types or set()) - produced.keys()):
        raise _not_a_type_of_it(name)
    return {
        name: None if too_poor(svc, s) else s
        for name, s in produced.items()
        if types is None or name in types
    }


def matchable(signals: Mapping[str, Signal | None]) -> list[Signal]:
    """`signals` to look up; as in HMA, a hash too poor to match cannot be looked up."""
    for name, signal in signals.items():
        if signal is None:
            raise HmaError(400, f"invalid signal: invalid {name.upper()} hash")
    return [s for s in signals.values() if s is not None]


async def upload(
    request: Request,
    svc: Services,
    *,
    for_matching: bool = False,
    options: MatchOptions | None = None,
) -> tuple[HashedContent, dict[str, str], bytes]:
    """The one file HMA clients upload, in a multipart field named for its content type,
    hashed (for matching, or for a bank with `options`), the form's text fields, and the
    file's bytes."""
    async with request.form() as form:
        items = form.multi_items()
        files = [(name, value) for name, value in items if isinstance(value, UploadFile)]
        fields = {name: value for name, value in items if isinstance(value, str)}
        if not files:
            raise HmaError(400, "Missing multipart/form-data file upload")
        if len(files) > 1:
            raise HmaError(400, "Only one file allowed per request")
        content_type, file = files[0]
        content_kind(content_type)
        data = read_upload(file, svc.settings.max_media_bytes)
    content = await run_in_threadpool(
        lambda: svc.hash_content(
            data,
            file.filename or "upload",
            for_matching=for_matching,
            options=options,
            variants=options is not None and options.variants,
        )
    )
    return _of_kind(content, content_type), fields, data


def fetched(
    svc: Services,
    url: str,
    content_type: str | None,
    *,
    for_matching: bool = False,
    options: MatchOptions | None = None,
) -> tuple[HashedContent, bytes]:
    """What `url` serves, hashed (public addresses only), and its bytes."""
    if content_type is not None:
        content_kind(content_type)
    data, content = svc.fetch_and_hash(
        url,
        for_matching=for_matching,
        options=options,
        variants=options is not None and options.variants,
    )
    return _of_kind(content, content_type), data


def hashes(signals: Mapping[str, Signal | None]) -> dict[str, str]:
    return {name: "" if s is None else s.value for name, s in signals.items()}


# Hashing --------------------------------------------------------------------------------


@hashing.get("/h/hash")
async def hma_hash_url(
    url: str = Query(...),
    content_type: str | None = Query(None),
    types: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(hash_key),
) -> dict[str, str]:
    """Fetch and hash the photo or video at `url` (public addresses only):
    `{signal_type: hash}`."""
    selected = selected_types(types)
    content, _data = await run_in_threadpool(fetched, svc, url, content_type)
    return hashes(hma_signals(svc, content, selected))


@hashing.post("/h/hash")
async def hma_hash(
    request: Request,
    types: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(hash_key),
) -> dict[str, str]:
    """Hash one uploaded file (multipart field `photo` or `video`): `{signal_type: hash}`."""
    selected = selected_types(types)
    content, _fields, _data = await upload(request, svc)
    return hashes(hma_signals(svc, content, selected))


# Matching -------------------------------------------------------------------------------


def _distance(match: Match) -> str:
    if signal_types()[match.signal_type].match_kind is MatchKind.EXACT:
        return "-"
    return str(match.distance)


def _by_bank(matches: list[Match]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for m in matches:
        grouped.setdefault(m.bank, []).append(
            {"bank_content_id": m.entry_id, "distance": _distance(m)}
        )
    return grouped


def _query_signal(signal_type: str, signal: str) -> Signal:
    """A looked-up signal, validated, with HMA's error messages."""
    try:
        return Signal(*normalize_signal(signal_type, signal))
    except UnknownSignalTypeError:
        raise HmaError(400, f"No such SignalType '{signal_type}'") from None
    except BastionError as e:
        raise HmaError(400, f"invalid signal: {e.message}") from None


def _bank_filter(banks: str | None) -> set[str] | None:
    return {b.strip() for b in banks.split(",") if b.strip()} if banks else None


def _coinflip_banks(seed: str | None, bypass: bool) -> bool:
    """HMA draws one number per request and matches banks whose ratio is at least it. With
    ratios of 1.0 (enabled) or 0.0 (disabled) that means: disabled banks are left out, unless
    the caller bypasses the coinflip, or the draw is exactly 0."""
    return bypass or random.Random(seed).random() == 0.0


async def _check(
    svc: Services,
    content: HashedContent,
    types: set[str] | None,
    banks: Collection[str] | None,
    *,
    include_disabled_banks: bool,
    media: bytes,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Content checked as `/api/v1/match` checks it (the same lookups and bank options),
    acted on, answered per signal type as HMA answers: `{signal_type: {bank: [...]}}`."""
    looked_up = matchable(hma_signals(svc, content, types))
    names = {s.type for s in looked_up}
    checked = await run_in_threadpool(
        lambda: svc.check_content(
            dataclasses.replace(content, signals=tuple(looked_up)),
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            act=False,
            door="hma",
        )
    )
    matches = [m for m in checked.matches if m.signal_type in names]
    await svc.act_async(matches, content_info(content))
    svc.triage.submit(TriageItem(media, content))  # after the answer's work, never before
    return {name: _by_bank([m for m in matches if m.signal_type == name]) for name in names}


@matching.get("/m/lookup")
async def hma_lookup(
    signal: str | None = Query(None),
    signal_type: str | None = Query(None),
    url: str | None = Query(None),
    content_type: str | None = Query(None),
    types: str | None = Query(None),
    banks: str | None = Query(None),
    seed: str | None = Query(None),
    svc: Services = Depends(services),
    key: ApiKey = Depends(match_key),
) -> dict[str, Any]:
    """Look up one signal: `{bank: [{"bank_content_id", "distance"}]}`; or, with `url`, fetch
    and check the content: `{signal_type: {bank: [...]}}` (only that type's map with
    `signal_type`)."""
    looked_in = readable_banks(key, _bank_filter(banks))
    include_disabled = _coinflip_banks(seed, bypass=False)
    if url:
        selected = selected_types(types)
        content, data = await run_in_threadpool(
            lambda: fetched(svc, url, content_type, for_matching=True)
        )
        by_type = await _check(
            svc, content, selected, looked_in, include_disabled_banks=include_disabled, media=data
        )
        return by_type.get(signal_type, {}) if signal_type else by_type
    if not signal or not signal_type:
        raise HmaError(400, "Either url or both signal and signal_type are required")
    matches = await svc.look_up_async(
        [_query_signal(signal_type, signal)],
        banks=looked_in,
        include_disabled_banks=include_disabled,
        door="hma",
    )
    return _by_bank(matches)


@matching.post("/m/lookup")
async def hma_lookup_upload(
    request: Request,
    types: str | None = Query(None),
    banks: str | None = Query(None),
    seed: str | None = Query(None),
    bypass_coinflip: str | None = Query(None),
    svc: Services = Depends(services),
    key: ApiKey = Depends(match_key),
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Check an upload (field `photo` or `video`) as `/api/v1/match` does:
    `{signal_type: {bank: [matches]}}`."""
    selected = selected_types(types)
    looked_in = readable_banks(key, _bank_filter(banks))
    content, _fields, data = await upload(request, svc, for_matching=True)
    return await _check(
        svc,
        content,
        selected,
        looked_in,
        include_disabled_banks=_coinflip_banks(seed, bypass=bypass_coinflip == "true"),
        media=data,
    )


@matching.get("/m/raw_lookup")
async def hma_raw_lookup(
    signal: str = Query(...),
    signal_type: str = Query(...),
    banks: str | None = Query(None),
    include_distance: bool = Query(False),
    svc: Services = Depends(services),
    key: ApiKey = Depends(match_key),
) -> dict[str, list[Any]]:
    """Ids of every match in any bank the key may read, as HMA's index answers: banks and
    content switched off included, no coinflip, no action."""
    matches = await svc.look_up_async(
        [_query_signal(signal_type, signal)],
        banks=readable_banks(key, _bank_filter(banks)),
        include_disabled_banks=True,
        include_disabled_entries=True,
        act=False,
        door="hma",
    )
    if include_distance:
        return {
            "matches": [{"bank_content_id": m.entry_id, "distance": _distance(m)} for m in matches]
        }
    return {"matches": [m.entry_id for m in matches]}


@matching.post("/m/compare")
async def hma_compare(
    request: Request, svc: Services = Depends(services), _k: ApiKey = Depends(match_key)
) -> dict[str, list[Any]]:
    """Compare pairs of hashes: `{signal_type: [matched, {"distance": n}]}`, matched at
    the configured threshold of the type (as a bank without its own threshold)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    result: dict[str, list[Any]] = {}
    for type_name, pair in body.items():
        if not isinstance(pair, list):
            raise HmaError(400, f"Comparison hashes for {type_name} was not a list")
        if len(pair) != 2:
            raise HmaError(400, "Comparison hash list length must be exactly 2")
        signal_type = _known_type(type_name)
        try:
            a, b = (signal_type.normalize(str(v)) for v in pair)
        except BastionError as e:
            raise HmaError(400, f"Invalid {type_name} hash: {e.message}") from None
        distance = signal_type.distance(a, b)
        threshold = threshold_for(None, signal_type, svc.settings.matching_options())
        matched = distance is not None and distance <= threshold
        result[type_name] = [matched, {"distance": distance} if distance is not None else {}]
    return result


def _known_type(name: str) -> type[SignalType]:
    try:
        return signal_types()[name]
    except KeyError:
        raise HmaError(400, f"No such SignalType '{name}'") from None


@matching.get("/m/index/status")
def hma_index_status(
    signal_type: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(match_key),
) -> dict[str, dict[str, Any]]:
    """Per signal type: `{"built_to", "present", "size"}`: bastion's index is always built,
    and `size` counts the hashes banked (not those derived from them for robust matching)."""
    names, built_to, counts = index_view(svc, signal_type)
    return {n: {"built_to": built_to, "present": True, "size": counts.get(n, 0)} for n in names}


def index_view(svc: Services, signal_type: str | None) -> tuple[list[str], int, dict[str, int]]:
    """What HMA's index routes report: the signal types asked for (every one, or the one
    named: HMA's 400 for an unknown one), when the index was last current (a Unix time), and
    the hashes banked per type."""
    names = sorted(signal_types())
    if signal_type is not None:
        if signal_type not in names:
            raise HmaError(400, f"No such signal type '{signal_type}'")
        names = [signal_type]
    built_to = int(time.time() - svc.matcher.status().refreshed_seconds_ago)
    return names, built_to, svc.store.signal_counts()


# Health ---------------------------------------------------------------------------------

health = api_router(tags=["status"])


@health.get("/status", response_class=PlainTextResponse)
def ready(svc: Services = Depends(services)) -> PlainTextResponse:
    """Readiness, as HMA answers it: `I-AM-ALIVE` once the database answers and the index
    is loaded; 503 otherwise."""
    try:
        svc.matcher.status()
    except Exception:  # any failure to reach the database or load the index: not ready
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@health.get("/status/live", response_class=PlainTextResponse)
def live() -> PlainTextResponse:
    """Liveness: the process answers."""
    return PlainTextResponse("I-AM-ALIVE")


__all__ = [
    "CONTENT_TYPES",
    "HmaError",
    "checked_body",
    "content_kind",
    "fetched",
    "hashes",
    "hashing",
    "health",
    "hma_signals",
    "json_body",
    "matching",
    "selected_types",
    "upload",
]
