"""Several workers on one database: a write through one is matched by the others within
`match_staleness` (and by itself at once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from bastion.actions import ActionStore, Outbox
from bastion.auth import Scope
from bastion.banks import BankStore, NewEntry
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from tests.actions.conftest import Receiver
from tests.actions.conftest import receiver as receiver  # a fixture, used by name
from tests.web.conftest import running_server

PDQ_A = PdqSignal.examples()[0]


@pytest.mark.parametrize("staleness", [0.0, 0.1], ids=["staleness-0", "staleness-default"])
def test_signal_added_through_one_worker_is_matched_by_another(
    settings: Settings, make_key: Callable[..., str], staleness: float
) -> None:
    settings = replace(settings, match_staleness=staleness)
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    with (
        running_server(settings) as first,
        running_server(settings) as second,
        httpx.Client(base_url=first, headers=headers) as a,
        httpx.Client(base_url=second, headers=headers) as b,
    ):
        value = "ab" * 32
        lookup = {"signal_type": "pdq", "signal": value}

        def matched() -> list[int]:
            return [m["entry_id"] for m in b.get("/api/v1/lookup", params=lookup).json()["matches"]]

        def within_staleness(expected: list[int]) -> None:
            """The other worker answers `expected` within 1 s of the write (it checks for
            changes every `staleness` seconds); with 0, on the very next query."""
            written = time.monotonic()
            while (found := matched()) != expected:
                assert time.monotonic() - written < 1.0, found
                assert staleness > 0, "with match_staleness 0 the next query must see it"
                time.sleep(0.01)

        assert matched() == []  # b's index is loaded
        a.post("/api/v1/banks", json={"name": "shared"})
        entry = a.post(
            "/api/v1/banks/shared/entries", json={"signals": [{"type": "pdq", "value": value}]}
        ).json()
        assert [
            m["entry_id"] for m in a.get("/api/v1/lookup", params=lookup).json()["matches"]
        ] == [entry["id"]]  # the writing worker sees its own write at once
        within_staleness([entry["id"]])
        before = b.get("/api/v1/index/status").json()
        a.delete(f"/api/v1/entries/{entry['id']}")
        within_staleness([])
        after = b.get("/api/v1/index/status").json()
        assert after["seq"] > before["seq"]
        assert after["signals"] == before["signals"] - 1


def test_roles_split_the_routes(settings: Settings, make_key: Callable[..., str]) -> None:
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    with (
        running_server(settings, roles=["match"]) as url,
        httpx.Client(base_url=url, headers=headers) as c,
    ):
        assert (
            c.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": "0" * 64}).status_code
            == 200
        )
        assert c.post("/api/v1/hash", files={"file": ("a.jpg", b"x")}).status_code == 404
        assert c.get("/api/v1/banks").status_code == 404
        assert c.get("/c/banks").status_code == 404
        assert c.get("/status").text == "I-AM-ALIVE"


def test_only_the_worker_role_delivers_webhooks(
    settings: Settings, make_key: Callable[..., str], db: Database, receiver: Receiver
) -> None:
    store = BankStore(db)
    store.create_bank("watched")
    store.add_entries("watched", [NewEntry(signals=(Signal("pdq", PDQ_A),))], source="test")
    ActionStore(db, settings.credential_box()).add_webhook("watched", receiver.url)
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    lookup = {"signal_type": "pdq", "signal": PDQ_A}
    with (
        running_server(settings, roles=["match"]) as url,
        httpx.Client(base_url=url, headers=headers) as c,
    ):
        assert len(c.get("/api/v1/lookup", params=lookup).json()["matches"]) == 1
        time.sleep(1.5)  # longer than the deliverer's interval, had it been running
        assert receiver.requests == []
        assert [i.status for i in Outbox(db).list()] == ["pending"]
    with running_server(settings, roles=["worker"]) as url:
        assert httpx.get(f"{url}/api/v1/lookup", params=lookup, headers=headers).status_code == 404
        deadline = time.monotonic() + 10
        while not receiver.requests:
            assert time.monotonic() < deadline, "the worker role delivered nothing"
            time.sleep(0.05)
    assert receiver.requests[0].json()["bank"] == "watched"
