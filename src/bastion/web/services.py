"""What the service's routes share, built once per process by `create_app`."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from bastion.actions import ActionStore
from bastion.auth import ApiKeyStore, RateLimiter
from bastion.banks import ALL_OFF, BankStore, MatchOptions
from bastion.conversations.store import ConversationStore
from bastion.exchange.feedback import FeedbackQueue
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.federation.publisher import CollabStore
from bastion.federation.signing import SigningKey
from bastion.hashing import ContentHasher, HashedContent
from bastion.matching import Match
from bastion.media import fetch
from bastion.pdq import PdqMode
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.private_files import make_owner_only
from bastion.streams import StreamRegistry
from bastion.web.live import LiveMatcher
from bastion.web.observability import ServiceMetrics


@dataclass
class Services:
    settings: Settings
    db: Database

    def __post_init__(self) -> None:
        # Start-up, once per process: the data directory owner-only whatever an older
        # version made it, and webhook secrets an older version kept in clear sealed.
        make_owner_only(self.settings.data_dir)
        self.actions.seal_clear_secrets()

    @cached_property
    def box(self) -> CredentialBox:
        """Seals and opens exchange credentials and webhook secrets (see `secret_key`)."""
        return self.settings.credential_box()

    @cached_property
    def store(self) -> BankStore:
        return BankStore(self.db)

    @cached_property
    def keys(self) -> ApiKeyStore:
        return ApiKeyStore(self.db, cache_seconds=self.settings.api_key_cache_seconds)

    @cached_property
    def _hasher(self) -> ContentHasher:
        return ContentHasher(self.settings.hashing_options())

    @cached_property
    def _hash_slots(self) -> threading.BoundedSemaphore:
        # Decoding and hashing are CPU- and memory-heavy: more at once than there are cores
        # only adds memory (each 12 MP image needs ~200 MB of buffers), not throughput.
        return threading.BoundedSemaphore(os.cpu_count() or 2)

    def hash_bytes(
        self, data: bytes, name: str, *, options: MatchOptions = ALL_OFF, variants: bool = False
    ) -> HashedContent:
        """`ContentHasher.hash_bytes` in a hashing slot: lookups for banks with `options`
        (`for_matching` for an upload to match), and with `variants` what an entry stores."""
        with self._hash_slots:
            return self._hasher.hash_bytes(data, name=name, options=options, variants=variants)

    def hash_url(
        self, url: str, *, options: MatchOptions = ALL_OFF, variants: bool = False
    ) -> HashedContent:
        content = fetch(url, self.settings.fetch_policy())  # network time holds no slot
        with self._hash_slots:
            return self._hasher.hash_bytes(
                content.data,
                name=urlsplit(content.url).hostname or "url",
                options=options,
                variants=variants,
            )

    def for_matching(self) -> MatchOptions:
        """The lookups an upload needs: those any enabled bank uses."""
        return self.matcher.options()

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
        return ActionStore(self.db, self.box)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.db, self.settings.conversation_scorer(), self.actions)

    @cached_property
    def exchanges(self) -> ExchangeStore:
        return ExchangeStore(
            self.db, self.box, access=self.settings.exchange_access(operator=False)
        )

    @cached_property
    def collabs(self) -> CollabStore:
        return CollabStore(self.db, self.keys)

    @cached_property
    def signing_key(self) -> SigningKey:
        return self.settings.signing_key()

    @cached_property
    def feedback(self) -> FeedbackQueue:
        return FeedbackQueue(
            self.db, self.box, access=self.settings.exchange_access(operator=False)
        )

    @cached_property
    def syncer(self) -> Syncer:
        return Syncer(self.store, self.exchanges)

    @cached_property
    def streams(self) -> StreamRegistry:
        """The service's live-stream watches, and this process's watchers; an alert runs the
        banks' actions."""
        return StreamRegistry(
            self.db,
            self.matcher.match_signals,
            self.act_on,
            self.settings.fetch_policy(),
            pdq_mode=PdqMode(self.settings.pdq_mode),
            limit=self.settings.max_stream_watches,
        )

    def act_on(self, matches: list[Match], content: dict[str, Any]) -> None:
        """Queue the matched banks' actions (webhooks, review items) in the outbox."""
        if matches:
            self.actions.record_matches(matches, content=content)

    async def act(self, matches: list[Match], content: dict[str, Any]) -> None:
        """`act_on` for an `async` route: in place when no bank of `matches` has a rule (no
        database write), else in a worker thread."""
        if matches and not self.actions.surely_idle(matches):
            await run_in_threadpool(self.act_on, matches, content)

    def close(self) -> None:
        """At shutdown: write the keys' last uses still noted, then close the database."""
        if "keys" in self.__dict__:
            self.keys.uses.flush()
        if "matcher" in self.__dict__:
            self.matcher.close()
        self.db.close()


async def services(request: Request) -> Services:
    """The routes' dependency (async: a plain function would cost every request a hop to a
    worker thread and back)."""
    found: Services = request.app.state.services
    return found
