"""Message franking: verifiable reports of end-to-end encrypted messages.

1. The sender's app commits to the message: a random franking key `fk` and the commitment
   c = HMAC-SHA256(fk, message). `fk` travels inside the encrypted message; c beside it.
2. The service, which sees only c, tags the delivery: tag = HMAC-SHA256(K, c, sender,
   recipient, sent_at) with a key K only it holds, and hands the tag to the recipient.
3. To report, the recipient reveals the message, fk, c, the tag and the delivery's
   metadata. The service checks the tag (it delivered c from this sender to this
   recipient at that time) and the commitment (c commits to exactly this message): the
   sender really sent these words, and the service read nothing else.

The tag is stateless: the service keeps no record per message, only K (rotated by key id).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct

from bastion.errors import ValidationError

KEY_BYTES = 32
COMMITMENT_BYTES = 32
TAG_BYTES = 32
MAX_MESSAGE = 64 * 1024


class FrankingError(ValidationError):
    """A report whose tag or commitment does not verify."""

    code = "franking"


def commit(message: bytes) -> tuple[bytes, bytes]:
    """(franking key, commitment) for `message`, made by the sender's app."""
    if len(message) > MAX_MESSAGE:
        raise ValidationError(f"a franked message is at most {MAX_MESSAGE} bytes")
    key = secrets.token_bytes(KEY_BYTES)
    return key, commitment(key, message)


def commitment(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, b"bastion-franking-v1|" + message, hashlib.sha256).digest()


def opens(key: bytes, message: bytes, committed: bytes) -> bool:
    """Whether `committed` is the commitment to `message` under `key`."""
    return len(key) == KEY_BYTES and hmac.compare_digest(commitment(key, message), committed)


def tag(server_key: bytes, committed: bytes, sender: str, recipient: str, sent_at: int) -> bytes:
    """The service's tag on one delivery of `committed`."""
    if len(committed) != COMMITMENT_BYTES:
        raise ValidationError(f"a commitment is {COMMITMENT_BYTES} bytes")
    fields = b"".join(
        struct.pack(">I", len(f)) + f for f in (committed, sender.encode(), recipient.encode())
    )
    return hmac.new(server_key, fields + struct.pack(">q", sent_at), hashlib.sha256).digest()


def tag_holds(
    server_key: bytes, tagged: bytes, committed: bytes, sender: str, recipient: str, sent_at: int
) -> bool:
    return len(tagged) == TAG_BYTES and hmac.compare_digest(
        tag(server_key, committed, sender, recipient, sent_at), tagged
    )
