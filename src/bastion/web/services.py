"""What the service's routes share, built once per process by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from fastapi import Request

from bastion.auth import ApiKeyStore, RateLimiter
from bastion.banks import BankStore
from bastion.hashing import ContentHasher
from bastion.settings import Settings
from bastion.store import Database
from bastion.web.live import LiveMatcher


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
        return LiveMatcher(self.store, self.settings)

    @cached_property
    def limiter(self) -> RateLimiter:
        return RateLimiter()


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
