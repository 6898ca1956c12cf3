"""Shared output helpers: JSON documents and one-line error reports per file."""

from __future__ import annotations

import json
from typing import Any

from bastion.hashing import HashedContent
from bastion.matching import Match


def content_json(content: HashedContent) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "file": content.name,
        "format": content.format,
        "width": content.width,
        "height": content.height,
        "bytes": content.size,
        "exif_orientation": content.orientation,
        "signals": [
            {
                "type": s.type,
                "value": s.value,
                **({"quality": s.quality} if s.quality is not None else {}),
            }
            for s in content.signals
        ],
    }
    if content.displayed_pdq is not None:
        doc["displayed_pdq"] = content.displayed_pdq.value
    return doc


def match_json(match: Match) -> dict[str, Any]:
    return {
        "bank": match.bank,
        "entry_id": match.entry_id,
        "signal_type": match.signal_type,
        "distance": match.distance,
        "quality": match.quality,
        "bank_value": match.bank_value,
        "query_value": match.query_value,
        "metadata": match.metadata,
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False)
