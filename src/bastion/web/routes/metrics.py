"""`GET /metrics`: Prometheus metrics of this worker (scope `metrics`)."""

from __future__ import annotations

from fastapi import Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bastion.auth import ApiKey, Scope
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(tags=["status"], responses=PROBLEM_RESPONSES)


@router.get("/metrics", response_class=Response)
def metrics(
    svc: Services = Depends(services), _k: ApiKey = Depends(require(Scope.METRICS))
) -> Response:
    """Request counts and latencies by route, matches by signal type, index size."""
    status = svc.matcher.status()
    for signal_type, size in status.by_type.items():
        svc.metrics.index_signals.labels(signal_type).set(size)
    return Response(svc.metrics.render(), media_type=CONTENT_TYPE_LATEST)
