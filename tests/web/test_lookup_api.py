"""Look-ups of signals computed elsewhere through the API: several at once by POST, a whole
message as `text`, a URL by its domain."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bastion.auth import Scope
from bastion.banks import BankStore, NewEntry
from bastion.signals import Signal, normalize_signal


@pytest.fixture
def banked(store: BankStore) -> BankStore:
    store.create_bank("lantern")
    store.add_entries(
        "lantern",
        [
            NewEntry(signals=(Signal(*normalize_signal("url", "bad.example")),)),
            NewEntry(signals=(Signal(*normalize_signal("url", "https://files.example.org/x/1")),)),
            NewEntry(signals=(Signal(*normalize_signal("text", "keep this between us")),)),
            NewEntry(signals=(Signal(*normalize_signal("text", "Snapcode")),)),
        ],
        source="api",
    )
    return store


def test_the_api_looks_up_long_texts_by_post(
    banked: BankStore, base_url: str, make_key: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    message = "hello " * 500 + "please keep this between us " + "bye " * 500
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        answer = api.post(
            "/api/v1/lookup",
            json={
                "signals": [
                    {"type": "text", "value": message},
                    {"type": "url", "value": "https://x.bad.example/"},
                ]
            },
        )
        assert answer.status_code == 200, answer.text
        assert sorted(m["signal_type"] for m in answer.json()["matches"]) == ["text", "url"]
        bad = api.post("/api/v1/lookup", json={"signals": [{"type": "url", "value": "ftp://x"}]})
        assert bad.status_code == 400
        assert api.post("/api/v1/lookup", json={"signals": []}).status_code == 422
