"""Conversations streamed a message at a time into the database, on SQLite and PostgreSQL:
state carried across calls and processes, one alert, its review item and webhook."""

from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet

from bastion.actions import ActionStore
from bastion.actions.rules import RuleKind
from bastion.conversations.model import Message, Participant
from bastion.conversations.scoring import default_model
from bastion.conversations.store import ConversationStore
from bastion.errors import NotFoundError, ValidationError
from bastion.exchange.secrets import CredentialBox
from bastion.review import ReviewDesk
from bastion.store import Database
from bastion.store.models import OutboxRow
from tests.conversations.test_assess import GROOMING

#: Seals the webhook rules' secrets (nothing here delivers them).
BOX = CredentialBox(Fernet.generate_key())


@pytest.fixture
def conversations(db: Database) -> ConversationStore:
    return ConversationStore(db, default_model(), ActionStore(db, BOX))


def test_an_alert_fires_once_with_its_review_item_and_webhook(
    db: Database, conversations: ConversationStore
) -> None:
    actions = ActionStore(db, BOX)
    actions.add_conversation_rule(RuleKind.REVIEW)
    hook = actions.add_conversation_rule(RuleKind.WEBHOOK, "https://hooks.example/alerts")
    fired = []
    conversations.add("chat-1", [], [Participant("kid", age=12)])
    for sender, text in GROOMING:
        progress = conversations.add("chat-1", [Message(sender, text)])
        if progress.alerted:
            fired.append(progress)
    assert len(fired) == 1
    assert fired[0].actions == 2
    assert fired[0].assessment.likely_groomer == "max"
    (item,) = ReviewDesk(db).jobs()
    assert (item.kind, item.conversation, item.bank, item.entry_id) == (
        "conversation", "chat-1", None, None
    )  # fmt: skip
    assert item.evidence["event_type"] == "conversation_alert"
    assert item.evidence["likely_groomer"] == "max"
    # The warning fires early: before the last cues were written.
    assert {e["indicator"] for e in item.evidence["evidence"]} >= {"age_question"}
    assert item.evidence["messages"] < len(GROOMING)
    with db.session() as s:
        (delivery,) = s.query(OutboxRow).all()
        assert delivery.rule_id == hook.id
        assert delivery.payload["event_id"] == item.evidence["event_id"]
    # Another process (a new store on the same database) carries on from the saved state.
    again = ConversationStore(db, default_model(), ActionStore(db, BOX))
    later = again.add("chat-1", [Message("max", "lets meet this weekend")])
    assert (later.alerted, later.actions) == (False, 0)
    assert later.assessment.messages == len(GROOMING) + 1
    assessment, alerted_at = again.get("chat-1")
    assert alerted_at == fired[0].alerted_at
    assert assessment.level == "high"


def test_conversations_are_kept_apart_and_forgotten(conversations: ConversationStore) -> None:
    conversations.add("a", [Message("x", "how old are you")])
    conversations.add("b", [Message("y", "nice match today")])
    assert conversations.get("a")[0].evidence[0].indicator == "age_question"
    assert conversations.get("b")[0].evidence == []
    conversations.delete("a")
    with pytest.raises(NotFoundError):
        conversations.get("a")
    with pytest.raises(NotFoundError):
        conversations.delete("a")


def test_bad_calls_are_refused(conversations: ConversationStore) -> None:
    with pytest.raises(ValidationError, match="nothing to add"):
        conversations.add("a", [])
    with pytest.raises(ValidationError, match="1-128 characters"):
        conversations.add("x" * 129, [Message("a", "hi")])
    with pytest.raises(ValidationError, match="limit 1,000"):
        conversations.add("a", [Message("a", "hi")] * 1001)


def test_concurrent_messages_to_one_conversation_are_all_counted(
    db: Database, conversations: ConversationStore
) -> None:
    errors: list[BaseException] = []

    def send(n: int) -> None:
        store = ConversationStore(db, default_model(), ActionStore(db, BOX))
        try:
            for i in range(10):
                store.add("busy", [Message(f"s{n}", f"message {i}")])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert conversations.get("busy")[0].messages == 30


def test_text_no_database_can_store_is_cleaned_or_refused(conversations: ConversationStore) -> None:
    from bastion.conversations.model import message_of, participant_of

    message = message_of({"sender": "a\x00b", "text": "hi\x00 \ud800there"}, "message 0")
    assert (message.sender, message.text) == ("ab", "hi \ufffdthere")
    person = participant_of({"id": "p\ud83d", "role": "mi\x00nor"}, "participant 0")
    assert (person.id, person.role) == ("p\ufffd", "minor")
    progress = conversations.add("ok", [message], [person])
    assert progress.assessment.messages == 1
    with pytest.raises(ValidationError, match="NUL or unpaired surrogates"):
        conversations.add("bad\x00key", [message])
