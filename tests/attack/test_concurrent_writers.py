"""Concurrent writers on two workers while readers look up, on SQLite and PostgreSQL.

Six writer threads add, disable, re-enable, change and delete entries through the API of two
workers (each with its own index) while four reader threads look up entries through both.
Nothing may fail or answer 5xx, every look-up is answered, each writer reads its own write on
the worker it wrote through, and once the writing stops every worker's view equals the
database: each enabled entry matched, each disabled or deleted one not.

(Before issue 16, a worker caught up with changes under its index lock for as long as new
ones kept arriving: under six writers on PostgreSQL look-ups took 20-30 s.)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

import httpx
import pytest

from bastion.auth import Scope
from bastion.banks import BankStore, NewEntry
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store import Database
from tests.web.conftest import running_server

WRITERS = 6
READERS = 4
#: Entries in place before the writing starts, looked up throughout.
STABLE = 50


def pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


@dataclass
class Run:
    """What the threads share: the outcome of every request, and each entry's fate."""

    stop: threading.Event = field(default_factory=threading.Event)
    failures: list[str] = field(default_factory=list)
    lookups: int = 0
    writes: int = 0
    #: entry id -> (its PDQ value, whether it should match: enabled and not deleted).
    entries: dict[int, tuple[str, bool]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, response: httpx.Response, expected: int) -> httpx.Response:
        if response.status_code != expected:
            with self.lock:
                self.failures.append(
                    f"{response.request.method} {response.request.url.path}: "
                    f"{response.status_code} {response.text[:200]}"
                )
        return response


def matched(client: httpx.Client, run: Run, values: list[str]) -> set[int]:
    """The entries that `values` match through `client`'s worker."""
    found: set[int] = set()
    for start in range(0, len(values), 100):
        part = values[start : start + 100]
        response = run.check(
            client.post(
                "/api/v1/lookup", json={"signals": [{"type": "pdq", "value": v} for v in part]}
            ),
            200,
        )
        found |= {m["entry_id"] for m in response.json().get("matches", [])}
    return found


def writer(client: httpx.Client, run: Run, seed: int) -> None:
    """Add, disable, re-enable, change and delete entries; after each write, check that the
    worker it went through answers with it at once."""
    rng = random.Random(seed)
    mine: dict[int, tuple[str, bool]] = {}
    while not run.stop.is_set():
        action = rng.choice(["add", "add", "disable", "enable", "metadata", "delete"])
        if not mine:
            action = "add"
        if action == "add":
            value = pdq(rng)
            response = run.check(
                client.post(
                    "/api/v1/banks/busy/entries",
                    json={"signals": [{"type": "pdq", "value": value}]},
                ),
                201,
            )
            if response.status_code != 201:
                continue
            entry_id, state = response.json()["id"], (value, True)
        else:
            entry_id = rng.choice(sorted(mine))
            value, enabled = mine[entry_id]
            if action == "delete":
                run.check(client.delete(f"/api/v1/entries/{entry_id}"), 204)
                state = (value, False)
            else:
                if action != "metadata":
                    enabled = action == "enable"
                change = (
                    {"metadata": {"n": rng.randrange(1000)}}
                    if action == "metadata"
                    else {"enabled": enabled}
                )
                run.check(client.patch(f"/api/v1/entries/{entry_id}", json=change), 200)
                state = (value, enabled)
        if action == "delete":
            del mine[entry_id]
        else:
            mine[entry_id] = state
        with run.lock:
            run.entries[entry_id] = state
            run.writes += 1
        # Read-your-writes on the worker written through, whatever the others are doing.
        if (entry_id in matched(client, run, [state[0]])) != state[1]:
            with run.lock:
                run.failures.append(f"entry {entry_id} after {action}: not as written")


def reader(clients: list[httpx.Client], run: Run, seed: int, stable: list[str]) -> None:
    rng = random.Random(seed)
    while not run.stop.is_set():
        client = rng.choice(clients)
        with run.lock:
            written = [value for value, _ in run.entries.values()]
        values = rng.sample(stable, 5) + rng.sample(written, min(5, len(written)))
        matched(client, run, values)
        with run.lock:
            run.lookups += 1


@pytest.fixture
def workers(settings: Settings, make_key: Callable[..., str]) -> Iterator[list[httpx.Client]]:
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    with ExitStack() as stack:
        urls = [
            stack.enter_context(running_server(replace(settings, match_staleness=0.1)))
            for _ in range(2)
        ]
        yield [
            stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=60))
            for url in urls
        ]


def warm_up(client: httpx.Client, run: Run, rng: random.Random) -> None:
    """One request of each kind, one at a time. FastAPI prepares a route on its first request
    and hides a pydantic warning meanwhile with `warnings.catch_warnings`, which is not
    thread-safe: first requests at once can let the warning out, and pytest makes every
    warning an error (a 500 here; in service it is only a warning)."""
    value = pdq(rng)
    response = run.check(
        client.post(
            "/api/v1/banks/busy/entries", json={"signals": [{"type": "pdq", "value": value}]}
        ),
        201,
    )
    entry_id = response.json()["id"]
    run.check(client.patch(f"/api/v1/entries/{entry_id}", json={"enabled": False}), 200)
    assert matched(client, run, [value]) == set()
    run.check(client.delete(f"/api/v1/entries/{entry_id}"), 204)
    run.check(client.get("/api/v1/index/status"), 200)
    run.entries[entry_id] = (value, False)


def hammer(workers: list[httpx.Client], db: Database, seconds: float) -> None:
    store = BankStore(db)
    store.create_bank("busy")
    rng = random.Random(0)
    stable = [pdq(rng) for _ in range(STABLE)]
    stable_ids = store.add_entries(
        "busy", [NewEntry(signals=(Signal("pdq", v),)) for v in stable], source="test"
    )
    run = Run()
    run.entries.update({i: (v, True) for i, v in zip(stable_ids, stable, strict=True)})
    for client in workers:
        warm_up(client, run, rng)
    threads = [
        threading.Thread(target=writer, args=(workers[n % 2], run, n)) for n in range(WRITERS)
    ] + [
        threading.Thread(target=reader, args=(workers, run, 100 + n, stable))
        for n in range(READERS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    run.stop.set()
    for thread in threads:
        thread.join()
    assert run.failures == []
    assert run.writes > WRITERS
    assert run.lookups > READERS

    # Every worker's view equals the database: each one has caught up with the last change
    # within the staleness (its status waits for that after an idle spell) ...
    head = store.head_seq()
    for client in workers:
        deadline = time.monotonic() + 10
        while (status := client.get("/api/v1/index/status").json())["seq"] < head:
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
    # ... and matches exactly the entries that are enabled there; it holds the signals of
    # every entry there, switched off or not (HMA's raw look-up reports those), one each.
    in_database = {e.id: e for e in store.iter_entries("busy")}
    expected = {i for i, (_, should) in run.entries.items() if should}
    assert {i for i, e in in_database.items() if e.enabled} == expected
    values = [value for value, _ in run.entries.values()]
    for client in workers:
        assert matched(client, run, values) == expected
        assert client.get("/api/v1/index/status").json()["signals"] == len(in_database)
    assert run.failures == []


def test_concurrent_writers_and_readers(workers: list[httpx.Client], db: Database) -> None:
    hammer(workers, db, seconds=4)


@pytest.mark.slow
def test_concurrent_writers_and_readers_for_a_minute(
    workers: list[httpx.Client], db: Database
) -> None:
    hammer(workers, db, seconds=60)
