"""What checking content gives back, and what an action is told about the content checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.signals import Signal


@dataclass(frozen=True)
class Checked:
    """Content checked against the banks (`Bastion.check_content`)."""

    #: The content's signals, with the lookups the enabled banks use.
    content: HashedContent
    #: Its matches in every bank checked, nearest first.
    matches: list[Match]
    #: Actions queued for them (webhook deliveries, review items); 0 when not acting.
    queued: int = 0


def signals_info(signals: Iterable[Signal]) -> dict[str, Any]:
    """What a match event says about signals looked up (long values by their key)."""
    return {"signals": {s.type: s.key for s in signals}}


#: Media types of the containers bastion reads, by the name the decoder gives them.
_MEDIA_TYPES = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
    "bmp": "image/bmp", "tiff": "image/tiff", "heif": "image/heif", "avif": "image/avif",
    "mov": "video/mp4", "matroska": "video/webm", "avi": "video/x-msvideo",
    "mpegts": "video/mp2t", "flv": "video/x-flv",
}  # fmt: skip


def media_type_of(hashed: HashedContent) -> str:
    """The content's media type, for the vault and the reveal (the browser plays by it)."""
    name = hashed.format.lower()
    return _MEDIA_TYPES.get(name, f"{hashed.kind}/{name}")
