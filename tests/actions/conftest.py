"""Fixtures for the actioner: a bank with an entry, a settable clock, a real HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bastion.actions import ActionStore
from bastion.banks import BankStore, NewEntry
from bastion.exchange.secrets import CredentialBox
from bastion.matching import Match
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database

PDQ_A, PDQ_B = PdqSignal.examples()
CONTENT = {"name": "upload.jpg", "size": 1234, "format": "JPEG", "signals": {"pdq": PDQ_A}}


class Clock:
    """A clock the test moves by hand, so retries need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(settings: Settings) -> CredentialBox:
    """The credential box a service built from `settings` uses too (its data directory's
    secret.key), which seals the webhook secrets."""
    return settings.credential_box()


@pytest.fixture
def actions(db: Database, box: CredentialBox, clock: Clock) -> ActionStore:
    return ActionStore(db, box, clock=clock)


@pytest.fixture
def entry_id(store: BankStore) -> int:
    """An entry in bank "known" (and an empty bank "other")."""
    store.create_bank("known")
    store.create_bank("other")
    (added,) = store.add_entries(
        "known", [NewEntry(signals=(Signal("pdq", PDQ_A, 100),))], source="test"
    )
    return added


def match(entry_id: int, bank: str = "known", signal_type: str = "pdq", distance: int = 3) -> Match:
    return Match(
        bank=bank,
        entry_id=entry_id,
        signal_type=signal_type,
        bank_value=PDQ_A,
        query_value=PDQ_B if signal_type == "pdq" else "0" * 32,
        distance=distance,
        quality=90 if signal_type == "pdq" else None,
        metadata={"case": "T-1"},
    )


# A real receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What a webhook receiver on 127.0.0.1 got, and how it answers.

    `statuses` are answered in turn (then 200). With `block` set, each request is recorded,
    `arrived` is set, and the answer waits until `release` is set.
    """

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    block: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.requests.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
            blocking = self.block
        if blocking:
            self.arrived.set()
            self.release.wait(timeout=30)
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-request leaves a broken pipe: expected here


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        status = self.server.receiver.answer(got)
        self.send_response(status)
        if status in (301, 302, 307, 308):
            self.send_header("Location", "/moved")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
