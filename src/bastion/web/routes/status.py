"""Health routes: the only ones that need no API key."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from bastion.errors import StorageError
from bastion.web.schemas import HealthModel
from bastion.web.services import Services, services

router = APIRouter(tags=["status"])


@router.get("/status/live", response_model=HealthModel)
def live() -> HealthModel:
    """Liveness: the process is up and answering."""
    return HealthModel(status="ok")


@router.get("/status", response_model=HealthModel)
def ready(svc: Services = Depends(services)) -> HealthModel:
    """Readiness: the database answers and the index is loaded."""
    try:
        with svc.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # any failure to reach the database means "not ready"
        raise StorageError("database unreachable") from e
    svc.matcher.status()
    return HealthModel(status="ok")
