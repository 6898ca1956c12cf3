"""When each API key was last used: recorded off the request's path, once a minute per key and
process, and shown wherever keys are listed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bastion.auth import ApiKeyStore, Scope
from bastion.auth.last_use import INTERVAL_SECONDS, UseRecorder
from bastion.store import Database


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_writes(db: Database) -> Iterator[list[str]]:
    """The name of the thread that ran each UPDATE of the key table."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            seen.append(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", before)
    yield seen
    event.remove(db.engine, "before_cursor_execute", before)


def test_a_key_records_its_last_use_once_a_minute_off_the_request_thread(
    db: Database, key_writes: list[str]
) -> None:
    ticks = Ticks()
    keys = ApiKeyStore(db, clock=ticks)
    new = keys.create("pipeline", [Scope.MATCH])
    assert keys.list()[0].last_used_at is None

    before = datetime.now(UTC)
    for _ in range(50):  # a busy minute
        keys.authenticate(new.secret)
    keys.uses.flush()
    (first,) = (k.last_used_at for k in keys.list())
    assert first is not None
    assert before - timedelta(seconds=1) <= first <= datetime.now(UTC)
    assert key_writes == ["bastion-key-uses"]  # one write, by the writer thread

    ticks.now += INTERVAL_SECONDS - 1
    keys.authenticate(new.secret)
    keys.uses.flush()
    assert len(key_writes) == 1  # still within the minute

    ticks.now += 1
    keys.authenticate(new.secret)
    keys.uses.flush()
    assert key_writes == ["bastion-key-uses"] * 2
    (second,) = (k.last_used_at for k in keys.list())
    assert second is not None
    assert second >= first


def test_keys_recalled_from_memory_are_recorded_too(db: Database, key_writes: list[str]) -> None:
    ticks = Ticks()
    keys = ApiKeyStore(db, cache_seconds=300, clock=ticks)
    one, two = (keys.create(name, [Scope.MATCH]) for name in ("one", "two"))
    keys.authenticate(one.secret)
    keys.authenticate(two.secret)
    keys.uses.flush()
    assert len(key_writes) == 2  # one row each
    ticks.now += INTERVAL_SECONDS
    for _ in range(10):
        assert keys.recall(one.secret) is not None  # from memory: no read, and no write here
    keys.uses.flush()
    assert len(key_writes) == 3  # key one's use, once
    assert all(name == "bastion-key-uses" for name in key_writes)


def test_a_later_use_recorded_elsewhere_is_never_overwritten(db: Database) -> None:
    key = ApiKeyStore(db).create("shared", [Scope.MATCH]).key
    later = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    for when in (later, later - timedelta(minutes=5)):  # two processes, the slower one last
        recorder = UseRecorder(db, wall_clock=lambda when=when: when)
        recorder.note(key.id)
        recorder.flush()
    assert ApiKeyStore(db).list()[0].last_used_at == later


def test_requests_to_the_service_record_the_key_s_last_use(api: httpx.Client, db: Database) -> None:
    keys = ApiKeyStore(db)
    assert [k.last_used_at for k in keys.list()] == [None]
    for _ in range(5):
        assert api.get("/api/v1/banks").status_code == 200
    deadline = time.monotonic() + 10
    while keys.list()[0].last_used_at is None:
        assert time.monotonic() < deadline, "the service never recorded the key's use"
        time.sleep(0.05)
