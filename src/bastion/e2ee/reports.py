"""Franked reports: messages a recipient reports from an end-to-end encrypted chat,
verified without the service reading anything else (`bastion.private.franking`).

The service tags each delivery's commitment (`Franker.tag`); a report carries the messages
with their franking keys, commitments, tags and delivery metadata, and `Franker.verify`
checks every one: a report with any message that does not verify is refused whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.errors import ValidationError
from bastion.private import franking

#: Messages one report may carry.
MAX_MESSAGES = 50
_ID = 200


@dataclass(frozen=True)
class FrankedMessage:
    message: bytes
    franking_key: bytes
    commitment: bytes
    tag: bytes
    sender: str
    recipient: str
    sent_at: int


@dataclass(frozen=True)
class Excerpt:
    """What the detector on the reporter's device found in message `message` of a report."""

    message: int
    indicator: str
    stage: str
    excerpt: str


class Franker:
    """Tags deliveries and verifies reports with a key derived from the deployment's secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.blake2b(secret, digest_size=32, person=b"bastion-franking").digest()

    def tag(self, commitment: bytes, sender: str, recipient: str, sent_at: int) -> bytes:
        _check_party(sender, "sender")
        _check_party(recipient, "recipient")
        return franking.tag(self._key, commitment, sender, recipient, sent_at)

    def verify(
        self, messages: list[FrankedMessage], reporter: str, excerpts: Sequence[Excerpt] = ()
    ) -> None:
        """Raise FrankingError unless every message was delivered to `reporter` as tagged
        and its commitment opens to its text, and every excerpt is in its message."""
        if not 1 <= len(messages) <= MAX_MESSAGES:
            raise ValidationError(f"a report carries 1-{MAX_MESSAGES} messages")
        for i, m in enumerate(messages):
            if m.recipient != reporter:
                raise franking.FrankingError(
                    f"message {i} was delivered to {m.recipient!r}, not to the reporter"
                )
            if not franking.tag_holds(
                self._key, m.tag, m.commitment, m.sender, m.recipient, m.sent_at
            ):
                raise franking.FrankingError(
                    f"message {i}: the tag does not match this delivery (sender, recipient, "
                    "time and commitment)"
                )
            if not franking.opens(m.franking_key, m.message, m.commitment):
                raise franking.FrankingError(
                    f"message {i}: the commitment does not open to this text"
                )
        for j, e in enumerate(excerpts):
            if not 0 <= e.message < len(messages) or (
                e.excerpt.encode() not in messages[e.message].message
            ):
                raise franking.FrankingError(f"excerpt {j} is not in message {e.message}")


def _check_party(value: str, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > _ID:
        raise ValidationError(f"a {what} id is 1-{_ID} characters")
