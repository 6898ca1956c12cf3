"""HMA (OpenMediaMatch 1.1.x) compatible routes: `/h`, `/m` and `/c`, shapes and status codes.

A script written against HMA works by changing its base URL and adding an API key. Where
bastion's model differs, the mapping is:

* a bank's ``matching_enabled_ratio`` is 1.0 when the bank is enabled and 0.0 when it is
  not (bastion has no partial sampling); creating or updating with a ratio above 0 enables;
* content ids are entry ids; ``disable_until_ts`` is 1 (enabled), 0 (disabled) or a Unix
  time, mapped onto the entry's `enabled` and `disabled_until`;
* content is hashed as HMA's ``photo`` content type with every image signal type (pdq, md5,
  sha256); ``video`` arrives with video support;
* new content is matchable at once (HMA waits for its next index build);
* errors keep HMA's ``{"message": ...}`` body (see `problems.py`).
"""

from __future__ import annotations

import functools
import json
import random
import re
import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bastion.actions import content_info
from bastion.auth import ApiKey, Scope
from bastion.banks import ALL_OFF, BankEntry, MatchOptions, NewEntry
from bastion.errors import BastionError, UnknownSignalTypeError
from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.signals import MatchKind, Signal, get_signal_type, normalize_signal
from bastion.web.inputs import api_router
from bastion.web.routes.uploads import read_upload
from bastion.web.schemas import MESSAGE_RESPONSES
from bastion.web.security import every_bank, readable_banks, require
from bastion.web.services import Services, services

hashing = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
matching = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
curation = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
hash_key = require(Scope.HASH)
match_key = require(Scope.MATCH)
#: HMA's look-ups take a bank filter, so a key limited to some banks may match through them
#: (in the banks it may read); its curation routes know no per-bank permissions.
curate_key = every_bank(Scope.CURATE, "HMA's curation knows no per-bank permissions; use /api/v1")


_METADATA_KEYS = {"content_id", "content_uri", "json"}
#: Content ids are 64-bit signed integers in the database.
ContentId = Annotated[int, Path(ge=0, le=2**63 - 1)]
_FIVE_YEARS = timedelta(days=5 * 365)


class HmaError(BastionError):
    """An error with HMA's exact status and message."""

    code = "hma"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _types(types: str | None) -> set[str] | None:
    if types is None:
        return None
    names = {t.strip() for t in types.split(",") if t.strip()}
    if not names:
        raise HmaError(400, "empty signal type selection")
    for name in names:
        try:
            get_signal_type(name)
        except BastionError:
            raise HmaError(400, f"signal type '{name}' doesn't exist or is disabled") from None
    return names


async def _upload(
    request: Request, svc: Services, options: MatchOptions = ALL_OFF
) -> tuple[HashedContent, dict[str, str]]:
    """The single `photo` file part HMA clients upload, hashed (for a bank with `options`),
    and the form's text fields."""
    async with request.form() as form:
        items = form.multi_items()
        files = [(name, value) for name, value in items if isinstance(value, UploadFile)]
        fields = {name: value for name, value in items if isinstance(value, str)}
        if not files:
            raise HmaError(400, "Missing multipart/form-data file upload")
        if len(files) > 1:
            raise HmaError(400, "Only one file allowed per request")
        field, upload = files[0]
        if field == "video":
            raise HmaError(400, "content_type video is disabled")
        if field != "photo":
            raise HmaError(400, f"no such content_type: '{field}'")
        content = await run_in_threadpool(
            lambda: svc.hash_content(
                read_upload(upload, svc.settings.max_media_bytes),
                name=upload.filename or "upload",
                options=options,
                variants=options.variants,
            )
        )
    return content, fields


def _signals(content: HashedContent, types: set[str] | None) -> list[Signal]:
    return [s for s in content.signals if types is None or s.type in types]


def _distance(match: Match) -> str:
    return (
        "-"
        if get_signal_type(match.signal_type).match_kind is MatchKind.EXACT
        else str(match.distance)
    )


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


# Hashing --------------------------------------------------------------------------------


def _fetch_photo(
    svc: Services, url: str, content_type: str | None, options: MatchOptions = ALL_OFF
) -> HashedContent:
    if content_type not in (None, "photo"):
        raise HmaError(400, f"no such content_type: '{content_type}'")
    return svc.hash_url(url, options=options, variants=options.variants)


@hashing.get("/h/hash")
def hma_hash_url(
    url: str = Query(...),
    content_type: str | None = Query(None),
    types: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(hash_key),
) -> dict[str, str]:
    """Fetch and hash the image at `url` (public addresses only): `{signal_type: hash}`."""
    selected = _types(types)
    content = _fetch_photo(svc, url, content_type)
    return {s.type: s.value for s in _signals(content, selected)}


@hashing.post("/h/hash")
async def hma_hash(
    request: Request,
    types: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(hash_key),
) -> dict[str, str]:
    """Hash one uploaded file (multipart field `photo`): `{signal_type: hash}`."""
    selected = _types(types)
    content, _fields = await _upload(request, svc)
    return {s.type: s.value for s in _signals(content, selected)}


# Matching -------------------------------------------------------------------------------


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
    and hash the image: `{signal_type: {bank: [...]}}` (only that type's map with
    `signal_type`)."""
    looked_in = readable_banks(key, _bank_filter(banks))
    if url:
        content = await run_in_threadpool(_fetch_photo, svc, url, content_type)
        found = await _match_each(
            svc, _signals(content, _types(types)), looked_in, seed, bypass=False
        )
        await svc.act_async([m for ms in found.values() for m in ms], content_info(content))
        by_type = {type_name: _by_bank(ms) for type_name, ms in found.items()}
        return by_type.get(signal_type, {}) if signal_type else by_type
    if not signal or not signal_type:
        raise HmaError(400, "Either url or both signal and signal_type are required")
    query = _query_signal(signal_type, signal)
    matches = await svc.matcher.match_signals_async(
        [query], banks=looked_in, include_disabled_banks=_coinflip_banks(seed, bypass=False)
    )
    await svc.act_async(matches, {"signals": {query.type: query.value}})
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
    """Hash an upload and look it up: `{signal_type: {bank: [matches]}}`."""
    selected = _types(types)
    looked_in = readable_banks(key, _bank_filter(banks))
    content, _fields = await _upload(request, svc)
    found = await _match_each(
        svc, _signals(content, selected), looked_in, seed, bypass=bypass_coinflip == "true"
    )
    await svc.act_async([m for ms in found.values() for m in ms], content_info(content))
    return {type_name: _by_bank(ms) for type_name, ms in found.items()}


async def _match_each(
    svc: Services,
    signals: list[Signal],
    banks: Collection[str] | None,
    seed: str | None,
    *,
    bypass: bool,
) -> dict[str, list[Match]]:
    """Each signal's matches in `banks` (None: every bank), by signal type (HMA answers per
    type)."""
    include_disabled = _coinflip_banks(seed, bypass=bypass)
    return {
        s.type: await svc.matcher.match_signals_async(
            [s], banks=banks, include_disabled_banks=include_disabled
        )
        for s in signals
    }


@matching.get("/m/raw_lookup")
async def hma_raw_lookup(
    signal: str = Query(...),
    signal_type: str = Query(...),
    banks: str | None = Query(None),
    include_distance: bool = Query(False),
    svc: Services = Depends(services),
    key: ApiKey = Depends(match_key),
) -> dict[str, list[Any]]:
    """Ids of every match, in any bank the key may read, enabled or not (no coinflip)."""
    matches = await svc.matcher.match_signals_async(
        [_query_signal(signal_type, signal)],
        banks=readable_banks(key, _bank_filter(banks)),
        include_disabled_banks=True,
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
    """Compare pairs of hashes: `{signal_type: [matched, {"distance": n}]}`."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    result: dict[str, list[Any]] = {}
    for type_name, pair in body.items():
        if not isinstance(pair, list):
            raise HmaError(400, f"Comparison hashes for {type_name} was not a list")
        if len(pair) != 2:
            raise HmaError(400, "Comparison hash list length must be exactly 2")
        try:
            signal_type = get_signal_type(type_name)
        except BastionError:
            raise HmaError(400, f"No such SignalType '{type_name}'") from None
        try:
            a, b = (signal_type.normalize(str(v)) for v in pair)
        except BastionError as e:
            raise HmaError(400, f"Invalid {type_name} hash: {e.message}") from None
        distance = signal_type.distance(a, b)
        threshold = svc.settings.pdq_threshold if type_name == "pdq" else 0
        matched = distance is not None and distance <= threshold
        result[type_name] = [matched, {"distance": distance} if distance is not None else {}]
    return result


@matching.get("/m/index/status")
def hma_index_status(
    signal_type: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(match_key),
) -> dict[str, dict[str, Any]]:
    """Per signal type: `{"built_to", "present", "size"}` (bastion's index is always built)."""
    status = svc.matcher.status()
    names = sorted({"pdq", "md5", "sha256"} | set(status.by_type))
    if signal_type is not None:
        if signal_type not in names:
            raise HmaError(400, f"No such signal type '{signal_type}'")
        names = [signal_type]
    built_to = int(time.time() - status.refreshed_seconds_ago)
    return {
        n: {"built_to": built_to, "present": True, "size": status.by_type.get(n, 0)} for n in names
    }


# Curation -------------------------------------------------------------------------------


def _hma_bank(name: str, enabled: bool) -> dict[str, Any]:
    return {"matching_enabled_ratio": 1.0 if enabled else 0.0, "name": name}


def _enabled(body: dict[str, Any]) -> bool | None:
    """A bank's matching switch from HMA's `enabled_ratio` (a number; above 0 is on) or
    `enabled`; None when the body sets neither."""
    ratio = body.get("enabled_ratio")
    if ratio is not None:
        if isinstance(ratio, bool) or not isinstance(ratio, int | float):
            raise HmaError(422, "enabled_ratio: Input should be a valid number")
        return ratio > 0
    if body.get("enabled") is not None:
        return bool(body["enabled"])
    return None


def _check_hma_name(name: Any) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
        raise HmaError(400, "Bank names must be UPPER_WITH_UNDERSCORE")
    return name


@curation.get("/c/banks")
def hma_banks(
    svc: Services = Depends(services), _k: ApiKey = Depends(curate_key)
) -> list[dict[str, Any]]:
    banks = sorted(svc.store.banks_by_id().values(), key=lambda b: b.id)  # HMA: storage order
    return [_hma_bank(b.name, b.enabled) for b in banks]


@curation.post("/c/banks", status_code=201)
async def hma_create_bank(
    request: Request, svc: Services = Depends(services), key: ApiKey = Depends(curate_key)
) -> dict[str, Any]:
    body = await _json_body(request, required=False)
    if not isinstance(body, dict) or "name" not in body:
        raise HmaError(422, "name: Field required")
    name = _check_hma_name(body["name"])
    enabled = _enabled(body)

    def create() -> dict[str, Any]:
        if svc.store.find_bank(name) is not None:
            raise HmaError(403, "Bank already exists")
        bank = svc.store.create_bank(name, enabled=enabled is not False, actor=f"key:{key.prefix}")
        return _hma_bank(bank.name, bank.enabled)

    return await run_in_threadpool(create)


@curation.get("/c/bank/{bank_name}")
def hma_get_bank(
    bank_name: str, svc: Services = Depends(services), _k: ApiKey = Depends(curate_key)
) -> dict[str, Any]:
    bank = _find_bank(svc, bank_name)
    return _hma_bank(bank_name, bank)


@curation.put("/c/bank/{bank_name}")
async def hma_update_bank(
    bank_name: str,
    request: Request,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise HmaError(422, "Input should be a valid dictionary")
    enabled = _enabled(body)

    def update() -> dict[str, Any]:
        if svc.store.find_bank(bank_name) is None:
            raise HmaError(404, "Bank not found")
        if "name" in body and body["name"] != bank_name:
            raise HmaError(400, "renaming banks is not supported by bastion; create a new bank")
        bank = svc.store.update_bank(bank_name, enabled=enabled, actor=f"key:{key.prefix}")
        return _hma_bank(bank.name, bank.enabled)

    return await run_in_threadpool(update)


@curation.delete("/c/bank/{bank_name}")
def hma_delete_bank(
    bank_name: str, svc: Services = Depends(services), key: ApiKey = Depends(curate_key)
) -> dict[str, str]:
    if svc.store.find_bank(bank_name) is not None:
        svc.store.delete_bank(bank_name, actor=f"key:{key.prefix}")
    return {"message": "Done"}


@curation.post("/c/bank/{bank_name}/content")
async def hma_add_content(
    bank_name: str,
    request: Request,
    url: str | None = Query(None),
    content_type: str | None = Query(None),
    types: str | None = Query(None),
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    """Hash a `photo` (uploaded, or fetched from `url`) and add it to the bank:
    `{"id", "signals": {type: hash}}` with status 200."""
    await run_in_threadpool(_find_bank, svc, bank_name)
    options = (await run_in_threadpool(svc.store.require_bank, bank_name)).matching
    selected = _types(types)
    if url:
        body = await _json_body(request, required=False) or {}
        content = await run_in_threadpool(_fetch_photo, svc, url, content_type, options)
        metadata, note = _metadata(body.get("metadata")), _note(body.get("note"))
    elif "multipart/form-data" in request.headers.get("content-type", ""):
        content, fields = await _upload(request, svc, options)
        metadata, note = _metadata(fields.get("metadata")), _note(fields.get("note"))
    else:
        raise HmaError(400, "Neither `url` nor multipart file upload was received")
    signals = tuple(_signals(content, selected))
    entry = content.entry(options, metadata=metadata, note=note)
    derived = tuple(d for d in entry.derived if selected is None or d.signal.type in selected)
    (entry_id,) = await run_in_threadpool(
        functools.partial(
            svc.store.add_entries,
            bank_name,
            [NewEntry(signals=signals, metadata=metadata, note=note, derived=derived)],
            source="media",
            added_by=f"key:{key.prefix}",
        )
    )
    return {"id": entry_id, "signals": {s.type: s.value for s in signals}}


@curation.post("/c/bank/{bank_name}/signal")
async def hma_add_signal(
    bank_name: str,
    request: Request,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    """Add hashes computed elsewhere as one entry: body `{signal_type: hash, "note": ...}`."""
    await run_in_threadpool(_find_bank, svc, bank_name)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    note = _note(body.get("note"))
    signals = []
    for type_name, value in body.items():
        if type_name == "note":
            continue
        try:
            get_signal_type(type_name)
        except BastionError:
            raise HmaError(400, f"No such signal type {type_name}") from None
        try:
            signals.append(Signal(*normalize_signal(type_name, str(value))))
        except BastionError as e:
            raise HmaError(400, f"Invalid {type_name} signal: {e.message}") from None
    if not signals:
        raise HmaError(400, "No signals given")
    (entry_id,) = await run_in_threadpool(
        functools.partial(
            svc.store.add_entries,
            bank_name,
            [NewEntry(signals=tuple(signals), note=note)],
            source="api",
            added_by=f"key:{key.prefix}",
        )
    )
    return {"id": entry_id, "signals": {s.type: s.value for s in signals}}


@curation.get("/c/bank/{bank_name}/content/{content_id}")
def hma_get_content(
    bank_name: str,
    content_id: ContentId,
    include_signals: str | None = Query(None),
    include_metadata: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    _find_bank(svc, bank_name)
    entry = _find_entry(svc, content_id)
    doc: dict[str, Any] = {
        "bank": _entry_bank(svc, entry),
        "disable_until_ts": _disable_until_ts(entry),
        "id": entry.id,
        "original_media_uri": None,
    }
    user = {k: v for k, v in entry.metadata.items() if k in _METADATA_KEYS}
    if user and (include_metadata is None or include_metadata.lower() == "true"):
        doc["metadata"] = {"collab": None, **{k: user.get(k) for k in sorted(_METADATA_KEYS)}}
    if entry.note:
        doc["note"] = entry.note
    if include_signals is not None and include_signals.lower() == "true" and entry.signals:
        doc["signals"] = {s.type: s.value for s in entry.signals}
    return doc


@curation.put("/c/bank/{bank_name}/content/{content_id}")
async def hma_update_content(
    bank_name: str,
    content_id: ContentId,
    request: Request,
    svc: Services = Depends(services),
    _k: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    """Change `disable_until_ts` (1 enabled, 0 disabled, or a Unix time) and `note`."""

    def find() -> None:
        _find_bank(svc, bank_name)
        _find_entry(svc, content_id)

    await run_in_threadpool(find)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    changes: dict[str, Any] = {}
    if "disable_until_ts" in body:
        try:
            ts = int(body["disable_until_ts"])
        except (TypeError, ValueError):
            raise HmaError(400, f"Invalid int: {body['disable_until_ts']!r}") from None
        if ts < 0:
            raise HmaError(400, "disable_until_ts must be a non-negative integer")
        # Compared as numbers: a date past year 9999 cannot be made to compare.
        if ts > 1 and ts > time.time() + _FIVE_YEARS.total_seconds():
            raise HmaError(400, "disable_until_ts must be less than 5 years in the future")
        changes["enabled"] = ts != 0
        changes["disabled_until"] = datetime.fromtimestamp(ts, UTC) if ts > 1 else None
    if "note" in body:
        changes["note"] = _note(body["note"]) or ""
    entry = await run_in_threadpool(
        functools.partial(svc.store.update_entry, content_id, **changes)
    )
    user = {k: v for k, v in entry.metadata.items() if k in _METADATA_KEYS}
    return {
        "bank": await run_in_threadpool(_entry_bank, svc, entry),
        "collab_metadata": {},
        "disable_until_ts": _disable_until_ts(entry),
        "id": entry.id,
        "note": entry.note or None,
        "original_media_uri": None,
        "user_metadata": user or None,
    }


@curation.delete("/c/bank/{bank_name}/content/{content_id}")
def hma_delete_content(
    bank_name: str,
    content_id: ContentId,
    svc: Services = Depends(services),
    _k: ApiKey = Depends(curate_key),
) -> dict[str, int]:
    _find_bank(svc, bank_name)
    try:
        svc.store.delete_entry(content_id)
    except BastionError:
        return {"deleted": 0}
    return {"deleted": 1}


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


# Helpers --------------------------------------------------------------------------------


def _find_bank(svc: Services, name: str) -> bool:
    """Whether bank `name` is enabled; HMA's 404 if it does not exist."""
    bank = svc.store.find_bank(name)
    if bank is None:
        raise HmaError(404, f"bank '{name}' not found")
    return bank.enabled


def _entry_bank(svc: Services, entry: BankEntry) -> dict[str, Any]:
    """The HMA bank object of the bank that holds `entry` (HMA does not check that this is
    the bank named in the path)."""
    bank = svc.store.find_bank(entry.bank)
    return _hma_bank(entry.bank, bank.enabled if bank is not None else False)


def _find_entry(svc: Services, entry_id: int) -> BankEntry:
    try:
        return svc.store.get_entry(entry_id)
    except BastionError:
        raise HmaError(404, f"content '{entry_id}' not found") from None


def _disable_until_ts(entry: BankEntry) -> int:
    if not entry.enabled:
        return 0
    if entry.disabled_until is None:
        return 1
    return int(entry.disabled_until.timestamp())


def _metadata(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise HmaError(400, "metadata form field must be valid JSON") from None
    if not isinstance(value, dict):
        raise HmaError(400, "metadata should be a json object")
    value.pop("collab", None)
    extra = set(value) - _METADATA_KEYS
    if extra:
        raise HmaError(400, f"Invalid metadata: unexpected keys {sorted(extra)}")
    return value


def _note(raw: Any) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise HmaError(400, "note should be a string")
    if len(raw) > 255:
        raise HmaError(400, "note must be at most 255 characters")
    return raw


async def _json_body(request: Request, *, required: bool = True) -> Any:
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


__all__ = ["HmaError", "curation", "hashing", "health", "matching"]
