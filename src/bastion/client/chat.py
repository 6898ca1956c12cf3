"""`ChatGuard`: the conversation detector on the device, and verifiable reports.

The detector reads every message of one chat on the device. When the chat's level first
becomes high, `receive` returns an `Alert`: its score and the evidence excerpts, which is
all that leaves the device, and only if the user reports. `report()` builds the report the
service verifies: the franked messages that hold the evidence, each with its franking key,
commitment and the service's tag, and the excerpts.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bastion.conversations.assess import Assessment, Tracker
from bastion.conversations.model import Message
from bastion.conversations.scoring import Model, default_model
from bastion.errors import ValidationError
from bastion.private import franking


@dataclass(frozen=True)
class Delivery:
    """A message as the recipient's app has it: its text and franking key (from inside the
    encrypted message), the commitment and tag (from the service), and the metadata."""

    text: str
    franking_key: bytes
    commitment: bytes
    tag: bytes
    sender: str
    recipient: str
    sent_at: int


@dataclass(frozen=True)
class Alert:
    score: float
    level: str
    evidence: list[dict[str, Any]]


class ChatGuard:
    """One chat, seen by its participant `me`."""

    def __init__(self, me: str, model: Model | None = None) -> None:
        self.me = me
        self._tracker = Tracker(model or default_model())
        self._messages: list[Delivery | None] = []  # None: a message `me` sent
        self._alerted = False

    def sent(self, text: str) -> None:
        """A message `me` sent (part of the conversation; never reported)."""
        self._add(Message(self.me, text), None)

    def receive(self, delivery: Delivery) -> Alert | None:
        """A message received; its commitment is checked first (a message that does not open
        its commitment could never be reported). Returns the alert the first time the chat
        becomes high."""
        if delivery.recipient != self.me:
            raise ValidationError("a delivery to someone else")
        if not franking.opens(delivery.franking_key, delivery.text.encode(), delivery.commitment):
            raise franking.FrankingError("the message does not open its commitment")
        at = datetime.fromtimestamp(delivery.sent_at, UTC)
        self._add(Message(delivery.sender, delivery.text, at), delivery)
        assessment = self._tracker.assessment()
        if assessment.level == "high" and not self._alerted:
            self._alerted = True
            return _alert(assessment)
        return None

    def _add(self, message: Message, delivery: Delivery | None) -> None:
        self._tracker.add(message)
        self._messages.append(delivery)

    def report(self, reason: str = "", conversation: str | None = None) -> dict[str, Any]:
        """The body of ``POST /api/v1/franking/reports``: the received messages that hold
        evidence (or, with none, every received message), franked, with the excerpts."""
        evidence = self._tracker.assessment().evidence
        chosen = sorted({e.message for e in evidence if self._messages[e.message] is not None})
        if not chosen:
            chosen = [i for i, d in enumerate(self._messages) if d is not None]
        if not chosen:
            raise ValidationError("nothing received to report")
        deliveries = [self._messages[i] for i in chosen]
        where = {index: n for n, index in enumerate(chosen)}
        return {
            "reporter": self.me,
            "reason": reason,
            "conversation": conversation,
            "messages": [_franked(d) for d in deliveries if d is not None],
            "excerpts": [
                {
                    "message": where[e.message],
                    "indicator": e.indicator,
                    "stage": e.stage,
                    "excerpt": e.excerpt,
                }
                for e in evidence
                if e.message in where
            ],
        }


def _alert(assessment: Assessment) -> Alert:
    return Alert(
        score=assessment.score,
        level=assessment.level,
        evidence=[
            {"sender": e.sender, "indicator": e.indicator, "stage": e.stage, "excerpt": e.excerpt}
            for e in assessment.evidence
        ],
    )


def _franked(d: Delivery) -> dict[str, Any]:
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "message": d.text, "franking_key": b64(d.franking_key), "commitment": b64(d.commitment),
        "tag": b64(d.tag), "sender": d.sender, "recipient": d.recipient, "sent_at": d.sent_at,
    }  # fmt: skip
