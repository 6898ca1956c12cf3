"""A real bastion HTTP server on 127.0.0.1 (uvicorn in a thread) and clients for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from bastion.auth import ApiKeyStore, Scope
from bastion.settings import Settings
from bastion.store import Database
from bastion.web.app import create_app


@contextmanager
def running_server(settings: Settings, roles: list[str] | None = None) -> Iterator[str]:
    """Serve `create_app(settings)` on a free loopback port; yields the base URL."""
    app = create_app(settings, roles=roles)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def make_key(db: Database) -> Callable[..., str]:
    keys = ApiKeyStore(db)

    def make(*scopes: Scope, rate_limit: int | None = None) -> str:
        return keys.create("test", list(scopes or (Scope.ADMIN,)), rate_limit=rate_limit).secret

    return make


@pytest.fixture
def api(base_url: str, make_key: Callable[..., str]) -> Iterator[httpx.Client]:
    """A client authenticated with an admin key."""
    headers = {"Authorization": f"Bearer {make_key(Scope.ADMIN)}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client
