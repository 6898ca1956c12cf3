"""`create_app(settings)`: the HTTP service, with role switches to split it across processes.

Roles: ``hash`` (compute signals), ``match`` (match content, look up signals, assess
conversations, submit content for review), ``curate`` (banks, entries, import/export,
exchanges), ``ui`` (the review desk: the console for people signed in with a session, and
its API for keys: queues, jobs, cases, decisions; and the transparency report) and
``worker`` (deliver queued webhooks, run scheduled exchange syncs and purge the evidence
vault in the background).
Health routes and the pages (`/`, `/docs`, `/redoc`) are always present and need no key; the
console's pages need a signed-in session (`bastion.web.console`); every other path needs an
API key, checked before a request's body is read, and each route a key with the right scope
(`bastion.web.security`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from contextlib import ExitStack, asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from bastion import __version__
from bastion.exchange.scheduler import SyncScheduler
from bastion.pipeline.housekeeping import Housekeeping
from bastion.pipeline.retroactive import Retroactive
from bastion.settings import Settings
from bastion.web.console import desk as console_desk
from bastion.web.console import people as console_people
from bastion.web.console import reports as console_reports
from bastion.web.console import scans as console_scans
from bastion.web.console import transparency as console_transparency
from bastion.web.console import triage as console_triage
from bastion.web.observability import RequestObserver
from bastion.web.pages import install_pages, landing
from bastion.web.problems import install_problem_handlers, problem
from bastion.web.routes import (
    banks,
    content,
    conversations,
    exchanges,
    federation,
    hma,
    hma_curation,
    hma_exchanges,
    private,
    reports,
    review,
    streams,
    transparency,
    triage,
)
from bastion.web.routes.metrics import router as metrics_router
from bastion.web.security import Authenticator
from bastion.web.services import Services

ROLES = frozenset({"hash", "match", "curate", "ui", "worker"})

#: Multipart and form overhead allowed on top of the media byte limit.
_UPLOAD_OVERHEAD = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def create_app(settings: Settings | None = None, *, roles: Iterable[str] | None = None) -> FastAPI:
    settings = settings or Settings.load()
    enabled = frozenset(roles) if roles is not None else ROLES
    unknown = enabled - ROLES
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as background:
            if "worker" in enabled:
                # Deliver queued webhooks in the background; several processes share the
                # outbox safely (each row is claimed before it is sent).
                deliverer = background.enter_context(services.deliverer())
                background.enter_context(deliverer.in_background(interval=1.0))
                # Periodic exchange syncs; a lease per exchange keeps processes apart.
                scheduler = SyncScheduler(services.syncer, services.exchanges, services.feedback)
                background.enter_context(scheduler.in_background(interval=2.0))
                # Evidence past its retention, and expired console sessions.
                housekeeping = Housekeeping(
                    services.vault,
                    services.sessions,
                    services.triage,
                    triage_retention=timedelta(days=settings.triage_retention_days),
                    checked=services.checked,
                    checked_retention=timedelta(days=settings.checked_retention_days),
                )
                background.enter_context(housekeeping.in_background(interval=60.0))
                if settings.checked_retention_days > 0:
                    # Content checked before matched against the entries banks gain.
                    retro = Retroactive(services)
                    background.enter_context(retro.in_background(interval=10.0))
                # Reports to hotlines, a step at a time; each report is leased.
                background.enter_context(services.reporting.in_background(interval=5.0))
            if "match" in enabled:
                # Run this process's share of the stream watches, and resume them after a
                # restart; on shutdown they are handed back for another process.
                background.enter_context(services.streams.in_background(interval=1.0))
            # Everything built so far (modules, the app, its routes and models) lives as long
            # as the process: keep it out of the garbage collector's full passes, which
            # otherwise stall every request for tens of milliseconds.
            gc.freeze()
            yield
        services.close()

    app = FastAPI(
        title="bastion",
        version=__version__,
        description="Find known harmful media: hash content, keep hash banks, match against them.",
        lifespan=lifespan,
        # Swagger UI and ReDoc come from the package, behind a key (`bastion.web.pages`).
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(hma.health)
    install_pages(app)
    if "ui" in enabled:
        app.include_router(console_people.router)
        app.include_router(console_desk.router)
        app.include_router(console_reports.router)
        app.include_router(console_transparency.router)
        app.include_router(console_triage.router)
        app.include_router(console_scans.router)
    else:
        app.include_router(landing)
    if "hash" in enabled:
        app.include_router(content.hashing)
        app.include_router(hma.hashing)
    if "match" in enabled:
        app.include_router(content.matching)
        app.include_router(hma.matching)
        app.include_router(streams.router)
        app.include_router(conversations.router)
        app.include_router(review.submitting)
        app.include_router(private.router)
    if "curate" in enabled:
        app.include_router(banks.router)
        app.include_router(hma_curation.curation)
        app.include_router(hma_exchanges.exchanges)
        app.include_router(exchanges.router)
        app.include_router(federation.router)
    if "ui" in enabled:
        app.include_router(review.router)
        app.include_router(reports.router)
        app.include_router(transparency.router)
        app.include_router(triage.router)
    app.include_router(metrics_router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_media_bytes + _UPLOAD_OVERHEAD)
    # Before anything reads a body; the console's paths are left to their session check.
    app.add_middleware(Authenticator, keys=services.keys, console="ui" in enabled)
    app.add_middleware(RequestObserver, metrics=services.metrics)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and worker processes: settings from BASTION_* vars."""
    import os

    roles = os.environ.get("BASTION_ROLES")
    return create_app(roles=roles.split(",") if roles else None)


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413) without reading them into memory."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        refused = False

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now: the framework would turn an exception raised while it
                    # parses the body into a generic 400.
                    refused = True
                    await self._refuse(scope, receive, send)
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            if not refused:  # drop whatever the app sends after the 413
                await send(message)

        with suppress(_TooLarge):
            await self.app(scope, limited, guarded)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "media-too-large",
            f"request body exceeds the limit of {self.max_bytes:,} bytes "
            "(setting max_media_bytes, plus 64 KiB for the form)",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
