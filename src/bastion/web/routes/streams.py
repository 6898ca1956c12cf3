"""API v1: live-stream watches, started, listed and stopped (scope `match`).

Watches are kept in the database, so any service process answers for all of them; each
runs in one process (see `bastion.streams.registry`).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Path
from pydantic import BaseModel, Field

from bastion.auth import ApiKey, Scope
from bastion.streams import WatchState, WatchStatus
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["streams"], responses=PROBLEM_RESPONSES)
#: A watch matches frames against every bank and shows its match counts to any match key.
watch = every_bank(Scope.MATCH, "a stream watch matches against every bank")
WatchId = Path(ge=1, le=2**31)


class StartWatch(BaseModel):
    url: str = Field(
        max_length=2048,
        examples=["https://live.example/stream/index.m3u8"],
        description="HLS (http/https) or RTMP(S) URL; only public addresses.",
    )
    name: str = Field(default="", max_length=200)


class WatchModel(BaseModel):
    id: int
    url: str = Field(description="The stream URL without its query (which may hold a token).")
    name: str
    started_by: str | None
    started_at: datetime
    state: WatchState = Field(
        description="waiting (for a service process to run it), running, or ended (the "
        "stream finished or failed for good; see last_error)."
    )
    running: bool
    connected: bool
    frames: int
    matched_frames: int
    alerts: int
    lag_seconds: float = Field(description="How far behind real time the watcher is.")
    reconnects: int
    last_error: str | None

    @classmethod
    def of(cls, status: WatchStatus) -> WatchModel:
        return cls(**vars(status))


@router.post("/streams", response_model=WatchModel, status_code=201)
def start_watch(
    body: StartWatch, svc: Services = Depends(services), key: ApiKey = Depends(watch)
) -> WatchModel:
    """Start watching a live stream: frames are sampled twice a second, matched against
    image and video banks, and an entry matched by two frames within 10 s of stream time
    runs its bank's actions. The watch runs in the process that took the request when it
    has room, else in another within a second."""
    return WatchModel.of(
        svc.streams.start(body.url, name=body.name, started_by=f"key:{key.prefix}")
    )


@router.get("/streams", response_model=list[WatchModel])
def list_watches(
    svc: Services = Depends(services), _key: ApiKey = Depends(watch)
) -> list[WatchModel]:
    return [WatchModel.of(s) for s in svc.streams.list()]


@router.get("/streams/{watch_id}", response_model=WatchModel)
def get_watch(
    watch_id: int = WatchId, svc: Services = Depends(services), _key: ApiKey = Depends(watch)
) -> WatchModel:
    return WatchModel.of(svc.streams.status(watch_id))


@router.delete("/streams/{watch_id}", response_model=WatchModel)
def stop_watch(
    watch_id: int = WatchId, svc: Services = Depends(services), _key: ApiKey = Depends(watch)
) -> WatchModel:
    """Stop a watcher; returns its last figures."""
    return WatchModel.of(svc.streams.stop(watch_id))
