"""Several workers on one database: a write through one is seen by the next query in another."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bastion.auth import Scope
from bastion.settings import Settings
from tests.web.conftest import running_server


def test_signal_added_through_one_worker_is_matched_by_another(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    with (
        running_server(settings) as first,
        running_server(settings) as second,
        httpx.Client(base_url=first, headers=headers) as a,
        httpx.Client(base_url=second, headers=headers) as b,
    ):
        value = "ab" * 32
        lookup = {"signal_type": "pdq", "signal": value}
        assert b.get("/api/v1/lookup", params=lookup).json()["matches"] == []  # b's index loaded
        a.post("/api/v1/banks", json={"name": "shared"})
        entry = a.post(
            "/api/v1/banks/shared/entries", json={"signals": [{"type": "pdq", "value": value}]}
        ).json()
        # The very next query through the other worker sees it: no rebuild, no waiting.
        matches = b.get("/api/v1/lookup", params=lookup).json()["matches"]
        assert [m["entry_id"] for m in matches] == [entry["id"]]
        before = b.get("/api/v1/index/status").json()
        a.delete(f"/api/v1/entries/{entry['id']}")
        assert b.get("/api/v1/lookup", params=lookup).json()["matches"] == []
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
