"""Conversations as bastion reads them: messages with a sender, a text and a time, and what
is declared about the participants (an age, a role). Every input is checked and bounded
before any work is done on it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bastion.errors import ValidationError

#: A conversation of more messages than this is refused (assess it in parts, or stream it).
MAX_MESSAGES = 20_000
#: A message longer than this is refused.
MAX_TEXT = 4_000
#: At most this many senders in one conversation.
MAX_SENDERS = 64
#: A JSON Lines file larger than this is refused before it is read.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Roles that declare a participant a child or an adult.
MINOR_ROLES = frozenset({"minor", "child", "teen", "student"})
ADULT_ROLES = frozenset(
    {"adult", "parent", "grandparent", "guardian", "teacher", "coach", "staff", "aunt", "uncle"}
)
#: Roles that declare a participant family of the others (siblings and cousins may be of
#: any age, so they declare neither a child nor an adult).
FAMILY_ROLES = frozenset(
    {"parent", "grandparent", "guardian", "sibling", "relative", "aunt", "uncle", "cousin"}
)
#: Roles whose contact with a child is expected to include the child's parents.
EDUCATOR_ROLES = frozenset({"teacher", "coach", "staff"})
#: At most this many addressees named in one message's ``to``.
MAX_ADDRESSEES = 64
#: What no database stores in text: NUL, and halves of surrogate pairs (JSON can carry both).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean(text: str) -> str:
    """`text` without NUL characters, and with lone surrogates as U+FFFD."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


@dataclass(frozen=True)
class Message:
    sender: str
    text: str
    at: datetime | None = None
    #: Whom the platform says the message is for (a group chat's direct address), if known.
    to: tuple[str, ...] = ()
    #: The participant whose message this one answers, if the platform says.
    reply_to: str | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    age: int | None = None
    role: str | None = None

    @property
    def declared_minor(self) -> bool:
        return (self.age is not None and self.age < 18) or self.role in MINOR_ROLES

    @property
    def declared_adult(self) -> bool:
        return (self.age is not None and self.age >= 18) or self.role in ADULT_ROLES


@dataclass(frozen=True)
class Conversation:
    messages: tuple[Message, ...]
    participants: dict[str, Participant] = field(default_factory=dict)

    def participant(self, sender: str) -> Participant:
        return self.participants.get(sender) or Participant(sender)


def message_of(item: Any, where: str) -> Message:
    """A message from a JSON object {"sender", "text", "timestamp"?, "to"?, "reply_to"?};
    `where` names it in errors. ``to`` is a participant id or a list of them, ``reply_to``
    the id of the participant answered: in a group chat they say whom a message is for."""
    if not isinstance(item, Mapping):
        raise ValidationError(f"{where}: expected an object with sender and text")
    sender, text = item.get("sender"), item.get("text")
    if not isinstance(sender, str | int) or isinstance(sender, bool) or not str(sender).strip():
        raise ValidationError(f"{where}: sender must be a non-empty string")
    if not isinstance(text, str):
        raise ValidationError(f"{where}: text must be a string")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"{where}: text is {len(text):,} characters (limit {MAX_TEXT:,})")
    return Message(
        clean(str(sender))[:128],
        clean(text),
        _time(item.get("timestamp"), where),
        _addressees(item.get("to"), where),
        _reply_to(item.get("reply_to"), where),
    )


def _is_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and bool(str(value).strip())


def _addressees(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ADDRESSEES or not all(_is_id(v) for v in items):
        raise ValidationError(
            f"{where}: to must be a participant id or a list of at most "
            f"{MAX_ADDRESSEES} participant ids"
        )
    return tuple(dict.fromkeys(clean(str(v))[:128] for v in items))


def _reply_to(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not _is_id(value):
        raise ValidationError(f"{where}: reply_to must be the id of the participant answered")
    return clean(str(value))[:128]


def participant_of(item: Any, where: str) -> Participant:
    """A participant from {"participant"|"id", "age"?, "role"?}."""
    if not isinstance(item, Mapping):
        raise ValidationError(f"{where}: expected an object with an id")
    ident = item.get("participant", item.get("id"))
    if not isinstance(ident, str | int) or isinstance(ident, bool) or not str(ident).strip():
        raise ValidationError(f"{where}: a participant needs an id")
    age, role = item.get("age"), item.get("role")
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120
    ):
        raise ValidationError(f"{where}: age must be a whole number of years, 0-120")
    if role is not None and (not isinstance(role, str) or len(role) > 32):
        raise ValidationError(f"{where}: role must be a short string (e.g. minor, adult)")
    return Participant(clean(str(ident))[:128], age, clean(role.strip().lower()) if role else None)


def conversation_of(
    messages: Iterable[Message], participants: Iterable[Participant]
) -> Conversation:
    kept = tuple(messages)
    if not kept:
        raise ValidationError("the conversation has no messages")
    if len(kept) > MAX_MESSAGES:
        raise ValidationError(
            f"the conversation has {len(kept):,} messages (limit {MAX_MESSAGES:,}); "
            "assess it in parts or stream it"
        )
    senders = {m.sender for m in kept}
    if len(senders) > MAX_SENDERS:
        raise ValidationError(f"the conversation has {len(senders)} senders (limit {MAX_SENDERS})")
    return Conversation(kept, {p.id: p for p in participants})


def from_json(doc: Any) -> Conversation:
    """A conversation from {"messages": [...], "participants": [...]?}."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("messages"), list):
        raise ValidationError("expected an object with a list of messages")
    if len(doc["messages"]) > MAX_MESSAGES:
        raise ValidationError(f"the conversation has over {MAX_MESSAGES:,} messages")
    people = doc.get("participants") or []
    if not isinstance(people, list):
        raise ValidationError("participants must be a list")
    return conversation_of(
        (message_of(m, f"message {i}") for i, m in enumerate(doc["messages"])),
        (participant_of(p, f"participant {i}") for i, p in enumerate(people)),
    )


def from_jsonl(data: bytes, name: str = "conversation") -> Conversation:
    """A conversation from JSON Lines: one message object per line, and optionally lines
    declaring participants ({"participant": "u1", "age": 13}). UTF-8 only."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(f"{name}: {len(data):,} bytes (limit {MAX_FILE_BYTES:,})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"{name}: UTF-16 text; save it as UTF-8")
    messages: list[Message] = []
    participants: list[Participant] = []
    for number, item in json_lines(data, name):
        where = f"{name}: line {number}"
        if isinstance(item, Mapping) and ("participant" in item):
            participants.append(participant_of(item, where))
        else:
            messages.append(message_of(item, where))
        if len(messages) > MAX_MESSAGES:
            raise ValidationError(f"{name}: over {MAX_MESSAGES:,} messages; split it or stream it")
    if not messages:
        raise ValidationError(f"{name}: no messages")
    return conversation_of(messages, participants)


def json_lines(data: bytes, name: str) -> Iterator[tuple[int, Any]]:
    """(line number, JSON value) of each non-blank line of UTF-8 JSON Lines; errors name the
    line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[: e.start].count(b"\n") + 1
        raise ValidationError(f"{name}: line {bad} is not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as e:
            raise ValidationError(f"{name}: line {number} is not JSON ({e.msg})") from None


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{where}: timestamp must be ISO 8601 text or seconds")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValidationError(f"{where}: timestamp {value} is out of range") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{where}: timestamp {value[:40]!r} is not ISO 8601") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValidationError(f"{where}: timestamp must be ISO 8601 text or seconds")
