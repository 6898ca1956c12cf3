"""What the service's routes share, built once per process by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fastapi import Request

from bastion.actions import ActionStore
from bastion.auth import ApiKeyStore, RateLimiter
from bastion.banks import BankStore
from bastion.hashing import ContentHasher
from bastion.matching import Match
from bastion.settings import Settings
from bastion.store import Database
from bastion.web.live import LiveMatcher
from bastion.web.observability import ServiceMetrics


@dataclass
class Services:
    settings: Settings
    db: Database

    @cached_property
    def store(self) -> BankStore:
        return BankStore(self.db)

    @cached_property
    def keys(self) -> ApiKeyStore:
        return ApiKeyStore(self.db)

    @cached_property
    def hasher(self) -> ContentHasher:
        return ContentHasher(self.settings)

    @cached_property
    def matcher(self) -> LiveMatcher:
        matcher = LiveMatcher(self.store, self.settings)
        matcher.on_matches = self._count_matches
        return matcher

    def _count_matches(self, matches: list[Match]) -> None:
        for match in matches:
            self.metrics.matches.labels(match.signal_type).inc()

    @cached_property
    def limiter(self) -> RateLimiter:
        return RateLimiter()

    @cached_property
    def metrics(self) -> ServiceMetrics:
        return ServiceMetrics()

    @cached_property
    def actions(self) -> ActionStore:
        return ActionStore(self.db)

    def act_on(self, matches: list[Match], content: dict[str, Any]) -> None:
        """Queue the matched banks' actions (webhooks, review items) in the outbox."""
        if matches:
            self.actions.record_matches(matches, content=content)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
