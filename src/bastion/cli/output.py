"""Shared output helpers: JSON documents and one-line error reports per file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bastion.banks import BankEntry
    from bastion.hashing import HashedContent
    from bastion.matching import Match
    from bastion.vpdq import VideoComparison


def content_json(content: HashedContent) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "file": content.name,
        "kind": content.kind,
        "format": content.format,
        "width": content.width,
        "height": content.height,
        "bytes": content.size,
        "exif_orientation": content.orientation,
        **({"seconds": content.seconds} if content.seconds is not None else {}),
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


def entry_json(entry: BankEntry) -> dict[str, Any]:
    """An entry as `bank show --json` and `entry show --json` print it."""
    return {
        "id": entry.id,
        "bank": entry.bank,
        "signals": [
            {"type": s.type, "value": s.value, "quality": s.quality} for s in entry.signals
        ],
        "metadata": entry.metadata,
        "note": entry.note,
        "source": entry.provenance.source,
        "imported_from": entry.provenance.imported_from,
        "upstream_id": entry.provenance.upstream_id,
        "added_by": entry.provenance.added_by,
        "added_at": entry.provenance.added_at.isoformat(),
        "enabled": entry.enabled,
        "disabled_until": entry.disabled_until.isoformat() if entry.disabled_until else None,
        "derived": [
            {"type": d.signal.type, "value": d.signal.value, "how": d.how} for d in entry.derived
        ],
    }


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
        **({"score": match.score} if match.score is not None else {}),
        **({"video": video_json(match.video)} if match.video is not None else {}),
        **({"query_how": match.query_how} if match.query_how is not None else {}),
        **({"bank_how": match.bank_how} if match.bank_how is not None else {}),
    }


def video_json(video: VideoComparison) -> dict[str, Any]:
    return {
        "query_share": video.query_share,
        "bank_share": video.bank_share,
        "segments": [vars(s) for s in video.segments],
    }


def describe_match(match: Match) -> str:
    """One line about a match for people: bank, entry, how close, and for video where."""
    line = f"bank {match.bank}  entry {match.entry_id}  {match.signal_type}"
    if match.score is not None:
        line += f" score {match.score:.3f}"
    else:
        line += f" distance {match.distance}"
    if match.quality is not None:
        line += f"  quality {match.quality}"
    if match.query_how is not None:
        line += f"  upload {match.query_how}"
    if match.bank_how is not None:
        line += f"  entry {match.bank_how}"
    if match.video is not None:
        line += (
            f"  {match.video.query_share:.0%} of the query's frames, "
            f"{match.video.bank_share:.0%} of the bank video's"
        )
        line += "".join(f"\n    {s}" for s in match.video.segments)
    return line


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False)
