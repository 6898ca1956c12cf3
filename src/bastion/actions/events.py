"""The match event: the JSON document a webhook receives and a review item keeps.

An event describes what matched (bank, entry, signal, distance) and the content it matched,
by its hashes and dimensions only: never the media bytes, never a credential. The content
dict a caller passes is checked for that (`check_content`); `content_info` builds a safe one
from hashed content.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.hashing import HashedContent
    from bastion.matching import Match

EVENT_TYPE = "match"

#: The largest content dict accepted, as JSON: room for hashes and names, not for media.
MAX_CONTENT_BYTES = 16 * 1024

#: Keys that name credentials; a content dict holding one (at any depth) is refused.
_SECRET_WORDS = ("authorization", "api_key", "apikey", "password", "secret", "token", "cookie")


def content_info(content: HashedContent) -> dict[str, Any]:
    """What an event says about hashed content: name, size, format, dimensions, hashes."""
    info: dict[str, Any] = {
        "name": content.name,
        "size": content.size,
        "format": content.format,
        "width": content.width,
        "height": content.height,
        # Long values (video hashes) by their key: an event is a notice, not a hash list.
        "signals": {s.type: s.key for s in content.signals},
    }
    if content.displayed_pdq is not None:
        info["displayed_pdq"] = content.displayed_pdq.value
    return info


def check_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of `content`; raises `ValidationError` for media or credentials."""
    _check_keys(content)
    try:
        encoded = json.dumps(content, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"content info must be plain JSON (no bytes): {e}") from None
    if len(encoded.encode()) > MAX_CONTENT_BYTES:
        raise ValidationError(
            f"content info is over {MAX_CONTENT_BYTES:,} bytes of JSON; send hashes, not media"
        )
    copied: dict[str, Any] = json.loads(encoded)
    return copied


def _check_keys(value: object) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            lowered = str(key).lower().replace("-", "_")
            if any(word in lowered for word in _SECRET_WORDS):
                raise ValidationError(f"content info may not carry credentials (key {key!r})")
            _check_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item)


def match_event(
    match: Match, content: dict[str, Any], *, occurred_at: datetime, event_id: str | None = None
) -> dict[str, Any]:
    """The event for one match; `content` must already have passed `check_content`."""
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": EVENT_TYPE,
        "occurred_at": occurred_at.isoformat(),
        "bank": match.bank,
        "entry_id": match.entry_id,
        "signal_type": match.signal_type,
        "distance": match.distance,
        "quality": match.quality,
        "query_value": match.query_value,
        # How the match was made when a derived hash made it (robust matching), else null.
        "query_how": match.query_how,
        "bank_how": match.bank_how,
        # Video matches: TMK+PDQF's score, and vPDQ's shares and where the videos agree.
        "score": match.score,
        "video": None if match.video is None else _video(match),
        "content": content,
    }


def _video(match: Match) -> dict[str, Any]:
    video = match.video
    assert video is not None
    return {
        "query_share": round(video.query_share, 4),
        "bank_share": round(video.bank_share, 4),
        "segments": [
            {
                "query_start": s.query_start,
                "query_end": s.query_end,
                "bank_start": s.bank_start,
                "bank_end": s.bank_end,
                "frames": s.frames,
            }
            for s in video.segments
        ],
    }
