"""API v1: banks and their entries, bulk import and export (scope `curate`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Depends, File, Form, Query, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from bastion.auth import ApiKey, BankPermission, PermissionDeniedError, Scope
from bastion.banks import MatchOptions
from bastion.exchange.formats import HashListFormat
from bastion.exchange.transfer import export_bank, import_file
from bastion.signals import Signal, normalize_signal
from bastion.web.inputs import api_router
from bastion.web.routes.uploads import read_upload
from bastion.web.schemas import (
    PROBLEM_RESPONSES,
    BankCreate,
    BankModel,
    BankUpdate,
    EntryCreate,
    EntryModel,
    EntryPage,
    EntryUpdate,
    ImportResultModel,
    RowErrorModel,
)
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["banks"], responses=PROBLEM_RESPONSES)
#: Ids are 64-bit signed integers in the database; larger numbers cannot name anything.
MAX_ID = 2**63 - 1
EntryId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
curate = require(Scope.CURATE)


@router.get("/banks", response_model=list[BankModel])
def list_banks(svc: Services = Depends(services), key: ApiKey = Depends(curate)) -> list[BankModel]:
    """The banks this key may read."""
    return [BankModel.of(b) for b in svc.store.list_banks() if key.may(b.name, BankPermission.READ)]


@router.post("/banks", response_model=BankModel, status_code=201)
def create_bank(
    body: BankCreate, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> BankModel:
    if key.bank_grants is not None:
        raise PermissionDeniedError("a key limited to some banks cannot create banks")
    return BankModel.of(
        svc.store.create_bank(
            body.name,
            description=body.description,
            enabled=body.enabled,
            thresholds=body.thresholds,
            matching=MatchOptions.of(body.matching),
            actor=f"key:{key.prefix}",
        )
    )


@router.get("/banks/{name}", response_model=BankModel)
def get_bank(
    name: str, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> BankModel:
    key.check_bank(name, BankPermission.READ)
    return BankModel.of(svc.store.get_bank(name))


@router.patch("/banks/{name}", response_model=BankModel)
def update_bank(
    name: str, body: BankUpdate, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> BankModel:
    key.check_bank(name, BankPermission.WRITE)
    matching = None
    if body.matching is not None:
        matching = MatchOptions.of(body.matching, base=svc.store.require_bank(name).matching)
    svc.store.update_bank(
        name,
        description=body.description,
        enabled=body.enabled,
        thresholds=body.thresholds,
        matching=matching,
        actor=f"key:{key.prefix}",
    )
    return BankModel.of(svc.store.get_bank(name))


@router.delete("/banks/{name}", status_code=204)
def delete_bank(
    name: str, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> Response:
    key.check_bank(name, BankPermission.WRITE)
    svc.store.delete_bank(name, actor=f"key:{key.prefix}")
    return Response(status_code=204)


@router.get("/banks/{name}/entries", response_model=EntryPage)
def list_entries(
    name: str,
    after: int = Query(0, ge=0, le=MAX_ID, description="Return entries with ids above this."),
    limit: int = Query(100, ge=1, le=1000),
    enabled: bool | None = Query(None, description="Only enabled (true) or disabled (false)."),
    signal_type: str | None = Query(None, description="Only entries with a signal of this type."),
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> EntryPage:
    key.check_bank(name, BankPermission.READ)
    entries = svc.store.list_entries(
        name, after=after, limit=limit, enabled=enabled, signal_type=signal_type
    )
    return EntryPage(
        entries=[EntryModel.of(e) for e in entries],
        next_after=entries[-1].id if len(entries) == limit else None,
    )


@router.post("/banks/{name}/entries", response_model=EntryModel, status_code=201)
def add_signal_entry(
    name: str, body: EntryCreate, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> EntryModel:
    """Add an entry from signals computed elsewhere (e.g. a hash from a partner)."""
    key.check_bank(name, BankPermission.WRITE)
    signals = tuple(
        Signal(*normalize_signal(s.type, s.value), quality=s.quality) for s in body.signals
    )
    entry_id = svc.add_to_bank(
        name, signals, metadata=body.metadata, note=body.note, added_by=f"key:{key.prefix}"
    )
    return EntryModel.of(svc.store.get_entry(entry_id))


@router.post("/banks/{name}/media", response_model=EntryModel, status_code=201)
def add_media_entry(
    name: str,
    file: UploadFile = File(...),
    note: str = Form(""),
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> EntryModel:
    """Hash an uploaded image and add it as an entry with its PDQ, MD5 and SHA-256."""
    key.check_bank(name, BankPermission.WRITE)
    svc.store.require_bank(name)  # before reading the upload
    entry_id = svc.add_to_bank(
        name,
        read_upload(file, svc.settings.max_media_bytes),
        file.filename or "upload",
        metadata={"filename": file.filename or ""},
        note=note,
        added_by=f"key:{key.prefix}",
    )
    return EntryModel.of(svc.store.get_entry(entry_id))


@router.get("/entries/{entry_id}", response_model=EntryModel)
def get_entry(
    entry_id: EntryId, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> EntryModel:
    entry = svc.store.get_entry(entry_id)
    key.check_bank(entry.bank, BankPermission.READ)
    return EntryModel.of(entry)


@router.patch("/entries/{entry_id}", response_model=EntryModel)
def update_entry(
    entry_id: EntryId,
    body: EntryUpdate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> EntryModel:
    """Disable or re-enable an entry, set `disabled_until`, change its note or metadata."""
    key.check_bank(svc.store.get_entry(entry_id).bank, BankPermission.WRITE)
    fields = body.model_fields_set
    return EntryModel.of(
        svc.store.update_entry(
            entry_id,
            enabled=body.enabled,
            disabled_until=body.disabled_until if "disabled_until" in fields else False,
            note=body.note,
            metadata=body.metadata,
        )
    )


@router.delete("/entries/{entry_id}", status_code=204)
def delete_entry(
    entry_id: EntryId, svc: Services = Depends(services), key: ApiKey = Depends(curate)
) -> Response:
    key.check_bank(svc.store.get_entry(entry_id).bank, BankPermission.WRITE)
    svc.store.delete_entry(entry_id)
    return Response(status_code=204)


@router.post("/banks/{name}/import", response_model=ImportResultModel)
def import_hash_list(
    name: str,
    file: UploadFile = File(..., description="ThreatExchange CSV or local_file hash list."),
    format: HashListFormat | None = Form(None),
    signal_type: str | None = Form(None),
    skip_invalid: bool = Form(False),
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> ImportResultModel:
    """Import a hash list; all or nothing unless `skip_invalid` (see docs/formats.md)."""
    key.check_bank(name, BankPermission.WRITE)
    svc.store.require_bank(name)
    with tempfile.TemporaryDirectory(prefix="bastion-import-") as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        result = import_file(
            svc.store,
            name,
            path,
            fmt=format,
            default_type=signal_type,
            skip_invalid=skip_invalid,
            added_by=f"key:{key.prefix}",
            name=file.filename or "upload",
        )
    return ImportResultModel(
        rows=result.rows,
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        errors=[RowErrorModel(line=e.line, message=e.message) for e in result.errors],
    )


@router.get("/banks/{name}/export", response_class=FileResponse)
def export_hash_list(
    name: str,
    format: HashListFormat = Query(HashListFormat.TE_CSV),
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> FileResponse:
    """The bank as a ThreatExchange CSV or local_file hash list (recorded in the audit log)."""
    key.check_bank(name, BankPermission.EXPORT)
    svc.store.require_bank(name)
    fd, tmp = tempfile.mkstemp(prefix="bastion-export-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            export_bank(svc.store, name, out, format, actor=f"key:{key.prefix}")
    except BaseException:
        os.unlink(tmp)
        raise
    suffix = "csv" if format is HashListFormat.TE_CSV else "txt"
    return FileResponse(
        tmp,
        media_type="text/csv" if suffix == "csv" else "text/plain",
        filename=f"{name}.{suffix}",
        background=BackgroundTask(os.unlink, tmp),
    )


__all__ = ["router"]
