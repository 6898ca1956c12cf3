"""API v1: exchanges, the sources of shared signals (scope `admin`: they hold credentials),
and feedback on the entries they fetched (scope `curate`).

Credentials are write-only: they are accepted on create and update, stored encrypted, and
never returned. A sync asked for through the API is queued for the service's scheduler
(which runs in `worker` processes) rather than run inside the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field

from bastion.audit import AuditLog
from bastion.auth import ApiKey, BankPermission, Scope
from bastion.banks.model import BANK_NAME_PATTERN
from bastion.exchange.api import Opinion
from bastion.exchange.feedback import Feedback, FeedbackStatus
from bastion.exchange.store import ExchangeStatus
from bastion.web.inputs import api_router
from bastion.web.routes.banks import MAX_ID, EntryId
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["exchanges"], responses=PROBLEM_RESPONSES)
admin = require(Scope.ADMIN)
curate = require(Scope.CURATE)
Name = Annotated[str, Path(pattern=BANK_NAME_PATTERN)]


class ExchangeCreate(BaseModel):
    name: str = Field(pattern=BANK_NAME_PATTERN)
    kind: str = Field(max_length=32, examples=["local_file", "ncmec"])
    bank: str = Field(pattern=BANK_NAME_PATTERN)
    config: dict[str, Any] = Field(default_factory=dict, examples=[{"filename": "/lists/a.csv"}])
    credentials: dict[str, str] | None = Field(
        default=None, description="Stored encrypted; never returned."
    )
    interval_seconds: int = Field(default=3600, ge=10, le=7 * 24 * 3600)
    enabled: bool = True


class ExchangeUpdate(BaseModel):
    enabled: bool | None = None
    interval_seconds: int | None = Field(default=None, ge=10, le=7 * 24 * 3600)
    credentials: dict[str, str] | None = Field(
        default=None, description="Replaces the stored credentials; never returned."
    )


class ExchangeModel(BaseModel):
    name: str
    kind: str
    bank: str
    enabled: bool
    interval_seconds: int
    config: dict[str, Any]
    has_credentials: bool
    created_at: datetime
    checkpoint: dict[str, Any] | None
    runs: int
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_sync_at: datetime | None
    fetched: int
    syncing: bool

    @classmethod
    def of(cls, status: ExchangeStatus) -> ExchangeModel:
        return cls(**{k: v for k, v in vars(status).items() if k != "id"})


@router.get("/exchanges", response_model=list[ExchangeModel])
def list_exchanges(
    svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> list[ExchangeModel]:
    return [ExchangeModel.of(s) for s in svc.exchanges.list()]


@router.post("/exchanges", response_model=ExchangeModel, status_code=201)
def create_exchange(
    body: ExchangeCreate, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> ExchangeModel:
    return ExchangeModel.of(
        svc.exchanges.add(
            body.name,
            kind=body.kind,
            bank=body.bank,
            config=body.config,
            credentials=body.credentials,
            interval_seconds=body.interval_seconds,
            enabled=body.enabled,
            actor=f"key:{key.prefix}",
        )
    )


@router.get("/exchanges/{name}", response_model=ExchangeModel)
def get_exchange(
    name: Name, svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> ExchangeModel:
    return ExchangeModel.of(svc.exchanges.get(name))


@router.patch("/exchanges/{name}", response_model=ExchangeModel)
def update_exchange(
    name: Name,
    body: ExchangeUpdate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(admin),
) -> ExchangeModel:
    return ExchangeModel.of(
        svc.exchanges.update(
            name,
            enabled=body.enabled,
            interval_seconds=body.interval_seconds,
            credentials=body.credentials,
            actor=f"key:{key.prefix}",
        )
    )


@router.post("/exchanges/{name}/sync", response_model=ExchangeModel, status_code=202)
def queue_sync(
    name: Name, svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> ExchangeModel:
    """Sync as soon as the scheduler can (within seconds); poll the exchange for its status."""
    return ExchangeModel.of(svc.exchanges.sync_soon(name))


class FeedbackCreate(BaseModel):
    opinion: Opinion
    note: str = Field(default="", max_length=2000)


class FeedbackModel(BaseModel):
    id: int
    exchange: str
    entry_id: int
    upstream_id: str
    opinion: Opinion
    note: str
    given_by: str | None
    status: FeedbackStatus = Field(
        description="pending (queued, or to be retried), sending, sent, failed (gave up), "
        "or unsupported (the source takes no such feedback)"
    )
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, feedback: Feedback) -> FeedbackModel:
        return cls(**vars(feedback))


@router.post("/entries/{entry_id}/feedback", response_model=FeedbackModel, status_code=202)
def give_feedback(
    entry_id: EntryId,
    body: FeedbackCreate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> FeedbackModel:
    """Tell the source of an entry fetched from an exchange what review concluded. It is
    queued, and sent by the scheduler in a `worker` process (retried while the source is
    unreachable)."""
    key.check_bank(svc.store.get_entry(entry_id).bank, BankPermission.READ)
    return FeedbackModel.of(
        svc.feedback.give(entry_id, body.opinion, note=body.note, given_by=f"key:{key.prefix}")
    )


@router.get("/entries/{entry_id}/feedback", response_model=list[FeedbackModel])
def list_feedback(
    entry_id: EntryId,
    svc: Services = Depends(services),
    key: ApiKey = Depends(curate),
) -> list[FeedbackModel]:
    key.check_bank(svc.store.get_entry(entry_id).bank, BankPermission.READ)
    return [FeedbackModel.of(f) for f in svc.feedback.list(entry_id=entry_id)]


class AuditEventModel(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


@router.get("/audit", response_model=list[AuditEventModel])
def audit_log(
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    svc: Services = Depends(services),
    _k: ApiKey = Depends(admin),
) -> list[AuditEventModel]:
    """The audit log, newest first: exports, syncs, partners' full reads, and changes to
    credentials, keys and sharing. Pass the last id as `before` for the next page."""
    events = AuditLog(svc.db).list(action=action, limit=limit, before=before)
    return [AuditEventModel(**vars(e)) for e in events]


@router.delete("/exchanges/{name}", status_code=204)
def delete_exchange(
    name: Name, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> None:
    svc.exchanges.remove(name, actor=f"key:{key.prefix}")
