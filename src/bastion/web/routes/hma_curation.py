"""HMA's curation routes: banks (`/c/banks`, `/c/bank/<name>`) and their content
(`/c/bank/<name>/content[/<id>]`, `/c/bank/<name>/signal`).

The mapping onto bastion's banks:

* a bank's ``matching_enabled_ratio`` is 1.0 when the bank is enabled and 0.0 when it is
  not (bastion has no partial sampling); creating or updating with a ratio above 0 enables;
* content ids are entry ids; ``disable_until_ts`` is 1 (enabled), 0 (disabled) or a Unix
  time, mapped onto the entry's `enabled` and `disabled_until`;
* photos and videos are hashed with the bank's match options, as API v1 hashes them, and
  are matchable at once (HMA waits for its next index build).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, Scope
from bastion.banks import Bank, BankEntry
from bastion.errors import BastionError
from bastion.signals import Signal, normalize_signal, signal_types
from bastion.web.inputs import api_router
from bastion.web.routes.hma import (
    HmaError,
    checked_body,
    fetched,
    hashes,
    hma_signals,
    json_body,
    selected_types,
    upload,
)
from bastion.web.schemas import MESSAGE_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services

curation = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
#: HMA's curation knows no per-bank permissions, so only keys for every bank may curate.
curate_key = every_bank(Scope.CURATE, "HMA's curation knows no per-bank permissions; use /api/v1")

_METADATA_KEYS = {"content_id", "content_uri", "json"}
#: Content ids are 64-bit signed integers in the database.
ContentId = Annotated[int, Path(ge=0, le=2**63 - 1)]
_FIVE_YEARS = timedelta(days=5 * 365)
#: HMA's own rule for bank names; bastion's (`bastion.banks.model`) allows every such name.
_HMA_BANK_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class BankCreate(BaseModel):
    """HMA's body for creating a bank (its fields, parsed as leniently as HMA parses them)."""

    name: str
    enabled_ratio: float | None = None
    enabled: bool | None = None


class BankChange(BaseModel):
    """HMA's body for changing a bank."""

    name: str | None = None
    enabled_ratio: float | None = None
    enabled: bool | None = None


def hma_bank(name: str, enabled: bool) -> dict[str, Any]:
    return {"matching_enabled_ratio": 1.0 if enabled else 0.0, "name": name}


def _check_hma_name(name: str) -> str:
    if not _HMA_BANK_NAME.fullmatch(name):
        raise HmaError(400, "Bank names must be UPPER_WITH_UNDERSCORE")
    return name


def _switch(enabled: bool | None, ratio: float | None) -> bool | None:
    """A bank's matching switch: on when `ratio` is above 0, else as `enabled` says (HMA
    applies `enabled` first, then `enabled_ratio`); None when neither is given."""
    return ratio > 0 if ratio is not None else enabled


@curation.get("/c/banks")
def hma_banks(
    svc: Services = Depends(services), _k: ApiKey = Depends(curate_key)
) -> list[dict[str, Any]]:
    banks = sorted(svc.store.banks_by_id().values(), key=lambda b: b.id)  # HMA: storage order
    return [hma_bank(b.name, b.enabled) for b in banks]


@curation.post("/c/banks", status_code=201)
async def hma_create_bank(
    request: Request, svc: Services = Depends(services), key: ApiKey = Depends(curate_key)
) -> dict[str, Any]:
    body = checked_body(BankCreate, await json_body(request, required=False))
    name = _check_hma_name(body.name)
    enabled = _switch(body.enabled, body.enabled_ratio)

    def create() -> dict[str, Any]:
        if svc.store.find_bank(name) is not None:
            raise HmaError(403, "Bank already exists")
        bank = svc.store.create_bank(name, enabled=enabled is not False, actor=f"key:{key.prefix}")
        return hma_bank(bank.name, bank.enabled)

    return await run_in_threadpool(create)


@curation.get("/c/bank/{bank_name}")
def hma_get_bank(
    bank_name: str, svc: Services = Depends(services), _k: ApiKey = Depends(curate_key)
) -> dict[str, Any]:
    return hma_bank(bank_name, find_bank(svc, bank_name))


@curation.put("/c/bank/{bank_name}")
async def hma_update_bank(
    bank_name: str,
    request: Request,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    raw = await json_body(request)
    if not isinstance(raw, dict):
        raise HmaError(422, "Input should be a valid dictionary")
    body = checked_body(BankChange, raw)

    def update() -> dict[str, Any]:
        if svc.store.find_bank(bank_name) is None:
            raise HmaError(404, "Bank not found")
        if body.name is not None and body.name != bank_name:
            raise HmaError(400, "renaming banks is not supported by bastion; create a new bank")
        bank = svc.store.update_bank(
            bank_name, enabled=_switch(body.enabled, body.enabled_ratio), actor=f"key:{key.prefix}"
        )
        return hma_bank(bank.name, bank.enabled)

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
    """Hash a photo or video (uploaded, or fetched from `url`) with the bank's options and
    add it to the bank: `{"id", "signals": {type: hash}}` with status 200."""
    options = (await run_in_threadpool(_require_bank, svc, bank_name)).matching
    selected = selected_types(types)
    if url:
        body = await json_body(request, required=False) or {}
        content, _data = await run_in_threadpool(
            lambda: fetched(svc, url, content_type, options=options)
        )
        metadata, note = _metadata(body.get("metadata")), _note(body.get("note"))
    elif "multipart/form-data" in request.headers.get("content-type", ""):
        content, fields, _data = await upload(request, svc, options=options)
        metadata, note = _metadata(fields.get("metadata")), _note(fields.get("note"))
    else:
        raise HmaError(400, "Neither `url` nor multipart file upload was received")
    signals = hma_signals(svc, content, selected)
    for name, signal in signals.items():
        if signal is None:  # HMA has no hash for it, and refuses the empty one
            raise HmaError(400, f"Invalid {name} signal: invalid {name.upper()} hash")
    kept = dataclasses.replace(
        content,
        signals=tuple(s for s in content.signals if s.type in signals),
        variants=tuple(d for d in content.variants if d.signal.type in signals),
    )
    entry_id = await run_in_threadpool(
        lambda: svc.add_to_bank(
            bank_name, kept, metadata=metadata, note=note, added_by=f"key:{key.prefix}"
        )
    )
    return {"id": entry_id, "signals": hashes(signals)}


@curation.post("/c/bank/{bank_name}/signal")
async def hma_add_signal(
    bank_name: str,
    request: Request,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate_key),
) -> dict[str, Any]:
    """Add hashes computed elsewhere as one entry: body `{signal_type: hash, "note": ...}`."""
    await run_in_threadpool(find_bank, svc, bank_name)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    note = _note(body.get("note"))
    signals = []
    for type_name, value in body.items():
        if type_name == "note":
            continue
        if type_name not in signal_types():
            raise HmaError(400, f"No such signal type {type_name}")
        try:
            signals.append(Signal(*normalize_signal(type_name, str(value))))
        except BastionError as e:
            raise HmaError(400, f"Invalid {type_name} signal: {e.message}") from None
    if not signals:
        raise HmaError(400, "No signals given")
    entry_id = await run_in_threadpool(
        lambda: svc.add_to_bank(bank_name, signals, note=note, added_by=f"key:{key.prefix}")
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
    find_bank(svc, bank_name)
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
        find_bank(svc, bank_name)
        _find_entry(svc, content_id)

    await run_in_threadpool(find)
    body = await json_body(request)
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
        changes["note"] = _note(body["note"])
    entry = await run_in_threadpool(lambda: svc.store.update_entry(content_id, **changes))
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
    find_bank(svc, bank_name)
    try:
        svc.store.delete_entry(content_id)
    except BastionError:
        return {"deleted": 0}
    return {"deleted": 1}


# Helpers --------------------------------------------------------------------------------


def find_bank(svc: Services, name: str) -> bool:
    """Whether bank `name` is enabled; HMA's 404 if it does not exist."""
    return _require_bank(svc, name).enabled


def _require_bank(svc: Services, name: str) -> Bank:
    bank = svc.store.find_bank(name)
    if bank is None:
        raise HmaError(404, f"bank '{name}' not found")
    return bank


def _entry_bank(svc: Services, entry: BankEntry) -> dict[str, Any]:
    """The HMA bank object of the bank that holds `entry` (HMA does not check that this is
    the bank named in the path)."""
    bank = svc.store.find_bank(entry.bank)
    return hma_bank(entry.bank, bank.enabled if bank is not None else False)


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
    """HMA's note: empty when falsy, else text of at most 255 characters."""
    if not raw:
        return ""
    if not isinstance(raw, str):
        raise HmaError(400, "note should be a string")
    if len(raw) > 255:
        raise HmaError(400, "note must be at most 255 characters")
    return raw


__all__ = ["curate_key", "curation", "find_bank", "hma_bank"]
