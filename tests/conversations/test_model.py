"""Reading conversations: clear errors and bounded work for bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from bastion.conversations import model
from bastion.conversations.model import Participant, from_json, from_jsonl
from bastion.errors import ValidationError


def lines(*docs: object) -> bytes:
    return "\n".join(json.dumps(d) for d in docs).encode()


def test_jsonl_with_participants_and_timestamps() -> None:
    conversation = from_jsonl(
        lines(
            {"participant": "kid", "age": 12},
            {"participant": "coach", "role": "Adult"},
            {"sender": "coach", "text": "hi", "timestamp": "2026-11-30T18:00:00Z"},
            {"sender": "kid", "text": "hello", "timestamp": 1764525600},
            {"sender": 7, "text": "numeric senders are names"},
        )
        + b"\n\n"
    )
    assert [m.sender for m in conversation.messages] == ["coach", "kid", "7"]
    assert conversation.messages[0].at == datetime(2026, 11, 30, 18, tzinfo=UTC)
    assert conversation.messages[1].at is not None
    assert conversation.participant("kid") == Participant("kid", 12, None)
    assert conversation.participant("kid").declared_minor
    assert conversation.participant("coach").declared_adult
    assert not conversation.participant("stranger").declared_minor


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no messages"),
        (b"\xff\xfe{\x00", "UTF-16 text; save it as UTF-8"),
        (
            b'{"sender": "a", "text": "ok"}\n{"sender": "a", "text": "caf\xe9"}',
            "line 2 is not UTF-8",
        ),
        (b'{"sender": "a", "text": "ok"}\n{oops', "line 2 is not JSON"),
        (lines({"text": "no sender"}), "line 1: sender must be a non-empty string"),
        (lines({"sender": "a", "text": 5}), "line 1: text must be a string"),
        (lines({"sender": "a", "text": "x" * 5000}), "5,000 characters (limit 4,000)"),
        (lines({"sender": "a", "text": "hi", "timestamp": "yesterday"}), "is not ISO 8601"),
        (lines({"sender": "a", "text": "hi", "timestamp": 1e20}), "out of range"),
        (lines({"participant": "a", "age": 300}, {"sender": "a", "text": "hi"}), "age must be"),
        (lines(["a", "list"]), "line 1: expected an object"),
    ],
)
def test_bad_input_is_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        from_jsonl(data, "chat.jsonl")


def test_enormous_conversations_are_refused_before_work(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="65 senders"):
        from_json({"messages": [{"sender": f"s{i}", "text": "hi"} for i in range(65)]})
    monkeypatch.setattr(model, "MAX_MESSAGES", 10)
    with pytest.raises(ValidationError, match="over 10 messages"):
        from_jsonl(lines(*({"sender": "a", "text": "hi"} for _ in range(11))))
    with pytest.raises(ValidationError, match="over 10 messages"):
        from_json({"messages": [{"sender": "a", "text": "hi"}] * 11})
    monkeypatch.setattr(model, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError, match="limit 100"):
        from_jsonl(b"x" * 101)


def test_mixed_languages_and_unusual_text_are_read() -> None:
    conversation = from_json(
        {"messages": [{"sender": "a", "text": "salut 😀 how are you? \u202e\u0000"}]}
    )
    assert conversation.messages[0].text.startswith("salut")
