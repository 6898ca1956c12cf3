"""API v1: exchanges, the sources of shared signals (scope `admin`: they hold credentials).

Credentials are write-only: they are accepted on create and update, stored encrypted, and
never returned. A sync asked for through the API is queued for the service's scheduler
(which runs in `worker` processes) rather than run inside the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from bastion.auth import ApiKey, Scope
from bastion.banks.model import BANK_NAME_PATTERN
from bastion.exchange.store import ExchangeStatus
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = APIRouter(prefix="/api/v1", tags=["exchanges"], responses=PROBLEM_RESPONSES)
admin = require(Scope.ADMIN)
Name = Annotated[str, Path(pattern=BANK_NAME_PATTERN)]


class ExchangeCreate(BaseModel):
    name: str = Field(pattern=BANK_NAME_PATTERN)
    kind: str = Field(max_length=32, examples=["local_file", "ncmec"])
    bank: str = Field(pattern=BANK_NAME_PATTERN)
    config: dict[str, Any] = Field(default_factory=dict, examples=[{"filename": "/lists/a.csv"}])
    credentials: dict[str, str] | None = Field(
        default=None, description="Stored encrypted; never returned."
    )
    interval_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    enabled: bool = True


class ExchangeUpdate(BaseModel):
    enabled: bool | None = None
    interval_seconds: int | None = Field(default=None, ge=60, le=7 * 24 * 3600)
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
    body: ExchangeCreate, svc: Services = Depends(services), _k: ApiKey = Depends(admin)
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
    _k: ApiKey = Depends(admin),
) -> ExchangeModel:
    return ExchangeModel.of(
        svc.exchanges.update(
            name,
            enabled=body.enabled,
            interval_seconds=body.interval_seconds,
            credentials=body.credentials,
        )
    )


@router.post("/exchanges/{name}/sync", response_model=ExchangeModel, status_code=202)
def queue_sync(
    name: Name, svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> ExchangeModel:
    """Sync as soon as the scheduler can (within seconds); poll the exchange for its status."""
    return ExchangeModel.of(svc.exchanges.sync_soon(name))


@router.delete("/exchanges/{name}", status_code=204)
def delete_exchange(
    name: Name, svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> None:
    svc.exchanges.remove(name)
