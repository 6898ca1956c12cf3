"""Conversations over HTTP: assessing a chat, streaming one with an alert, and the checks on
input and keys."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bastion.actions import ActionStore
from bastion.actions.rules import RuleKind
from bastion.auth import Scope
from bastion.review import ReviewDesk
from bastion.settings import Settings
from bastion.store import Database
from tests.conversations.test_assess import GROOMING

MESSAGES = [{"sender": s, "text": t} for s, t in GROOMING]


def test_assess_a_whole_conversation(api: httpx.Client) -> None:
    answer = api.post(
        "/api/v1/conversations/assess",
        json={"messages": MESSAGES, "participants": [{"id": "kid", "age": 12}]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["level"], body["likely_groomer"]) == ("high", "max")
    assert body["first_warning"] is not None
    evidence = body["evidence"][0]
    assert (
        evidence["excerpt"]
        == MESSAGES[evidence["message"]]["text"][evidence["start"] : evidence["end"]]
    )
    assert (evidence["source"], evidence["reads_like"]) == ("phrase", "")
    calm = api.post(
        "/api/v1/conversations/assess", json={"messages": [{"sender": "a", "text": "hi there"}]}
    ).json()
    assert (calm["level"], calm["evidence"], calm["first_warning"]) == ("low", [], None)


def test_the_meaning_layer_s_evidence_and_group_chat_addressees_come_through_the_api(
    api: httpx.Client,
) -> None:
    group = [
        {"sender": "sam", "text": "who is coming to practice"},
        {"sender": "ana", "text": "me!"},
        {"sender": "max", "text": "wipe everything we said today ok", "to": "ana"},
        {"sender": "ana", "text": "ok", "reply_to": "max"},
    ]
    body = api.post("/api/v1/conversations/assess", json={"messages": group}).json()
    (evidence,) = body["evidence"]
    assert (evidence["source"], evidence["sender"]) == ("meaning", "max")
    assert evidence["reads_like"]
    for bad in ({"to": 5}, {"to": ["ana", 7]}, {"reply_to": ["ana"]}):
        message = {"sender": "max", "text": "hi", **bad}
        answer = api.post("/api/v1/conversations/assess", json={"messages": [message]})
        assert answer.status_code == 422, answer.text


def test_stream_a_conversation_until_its_alert(
    api: httpx.Client, db: Database, settings: Settings
) -> None:
    ActionStore(db, settings.credential_box()).add_conversation_rule(RuleKind.REVIEW)
    first = api.post(
        "/api/v1/conversations/room-42/messages",
        json={"participants": [{"id": "kid", "age": 12}], "messages": MESSAGES[:2]},
    )
    assert first.status_code == 200, first.text
    assert (first.json()["level"], first.json()["alerted"]) == ("low", False)
    alerts = []
    for message in MESSAGES[2:]:
        body = api.post(
            "/api/v1/conversations/room-42/messages", json={"messages": [message]}
        ).json()
        alerts += [body] if body["alerted"] else []
    assert len(alerts) == 1
    assert alerts[0]["actions"] == 1
    assert alerts[0]["conversation"] == "room-42"
    (item,) = ReviewDesk(db).jobs()
    assert (item.kind, item.conversation) == ("conversation", "room-42")
    state = api.get("/api/v1/conversations/room-42").json()
    assert (state["messages"], state["level"]) == (len(MESSAGES), "high")
    assert state["alerted_at"] == alerts[0]["alerted_at"]
    assert api.delete("/api/v1/conversations/room-42").status_code == 204
    assert api.get("/api/v1/conversations/room-42").status_code == 404


def test_bad_input_and_keys_are_refused(
    api: httpx.Client, base_url: str, make_key: Callable[..., str]
) -> None:
    for body in (
        {"messages": []},
        {"messages": [{"sender": "", "text": "hi"}]},
        {"messages": [{"sender": "a", "text": "x" * 4001}]},
        {"messages": [{"sender": "a", "text": "hi"}], "participants": [{"id": "a", "age": 500}]},
        {"messages": [{"sender": "a", "text": "hi", "timestamp": "not a time"}]},
        {"messages": "hello"},
    ):
        answer = api.post("/api/v1/conversations/assess", json=body)
        assert answer.status_code in (400, 422), (body, answer.text)
    too_long = "k" * 129
    assert api.post(
        f"/api/v1/conversations/{too_long}/messages", json={"messages": MESSAGES}
    ).status_code in (400, 422)
    assert api.post("/api/v1/conversations/c/messages", json={}).status_code in (400, 422)
    with httpx.Client(base_url=base_url) as anonymous:
        assert (
            anonymous.post("/api/v1/conversations/assess", json={"messages": MESSAGES}).status_code
            == 401
        )
    hasher = {"Authorization": f"Bearer {make_key(Scope.HASH)}"}
    with httpx.Client(base_url=base_url, headers=hasher) as client:
        assert (
            client.post("/api/v1/conversations/assess", json={"messages": MESSAGES}).status_code
            == 403
        )
