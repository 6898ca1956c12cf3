"""A match through the service queues the bank's actions; the service's own background
deliverer sends the signed webhook."""

from __future__ import annotations

import time

import httpx

from bastion.actions import ActionStore, verify_signature
from bastion.review import ReviewDesk
from bastion.settings import Settings
from bastion.store import Database
from tests.actions.conftest import Receiver, receiver  # noqa: F401 (fixture)


def test_match_sends_a_signed_webhook_and_queues_a_review(
    api: httpx.Client,
    db: Database,
    settings: Settings,
    receiver: Receiver,  # noqa: F811
) -> None:
    api.post("/api/v1/banks", json={"name": "watched"})
    value = "9f" * 32
    entry = api.post(
        "/api/v1/banks/watched/entries", json={"signals": [{"type": "pdq", "value": value}]}
    ).json()
    actions = ActionStore(db, settings.credential_box())  # the service's own box
    rule = actions.add_webhook("watched", receiver.url)
    actions.add_review("watched")
    assert rule.secret is not None

    found = api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": value}).json()
    assert [m["entry_id"] for m in found["matches"]] == [entry["id"]]

    deadline = time.monotonic() + 15
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    (delivered,) = receiver.requests
    headers = {k.lower(): v for k, v in delivered.headers.items()}
    assert verify_signature(
        rule.secret,
        headers["x-bastion-timestamp"],
        delivered.body,
        headers["x-bastion-signature"],
    )
    payload = delivered.json()
    assert (payload["bank"], payload["entry_id"], payload["distance"]) == (
        "watched",
        entry["id"],
        0,
    )
    (item,) = ReviewDesk(db).jobs()
    assert (item.bank, item.entry_id) == ("watched", entry["id"])
