"""What the service's routes share: the process's `Bastion`, and what only HTTP needs."""

from __future__ import annotations

from functools import cached_property

from fastapi import Request

from bastion.auth import RateLimiter
from bastion.matching import Match
from bastion.pipeline import Bastion
from bastion.settings import Settings
from bastion.web.observability import ServiceMetrics


class Services(Bastion):
    """The service's `Bastion` (built once per process by `create_app`), with the rate
    limiter and the request metrics; every check and look-up counts its matches."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, on_matches=self._count_matches)
        self.open()

    @cached_property
    def limiter(self) -> RateLimiter:
        return RateLimiter()

    @cached_property
    def metrics(self) -> ServiceMetrics:
        return ServiceMetrics()

    def _count_matches(self, matches: list[Match]) -> None:
        for match in matches:
            self.metrics.matches.labels(match.signal_type).inc()


async def services(request: Request) -> Services:
    """The routes' dependency (async: a plain function would cost every request a hop to a
    worker thread and back)."""
    found: Services = request.app.state.services
    return found
