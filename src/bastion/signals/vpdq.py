"""`vpdq`: Meta's video hash, the PDQ hashes of a video's sampled frames with their times.

A value is the exchange form python-threatexchange and HMA use: a JSON list with one string
per frame, ``"<pdq hex>,<quality>,<seconds>"``, in frame order. Any such list is read (their
writer rounds times to three significant digits); the canonical form written back gives
times to the millisecond and has no spaces.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.errors import InvalidSignalError
from bastion.signals.base import MatchKind, SignalType
from bastion.signals.pdq import PdqSignal

#: Most frames one vPDQ value may hold: 12 days at one frame a second.
MAX_FRAMES = 1 << 20
#: Frames below this PDQ quality are left out of matching, as in Meta's vPDQ.
DEFAULT_MIN_QUALITY = 50


@dataclass(frozen=True, slots=True)
class VpdqFeature:
    """One hashed frame: its PDQ hash, quality (0-100) and time in seconds."""

    hash: str
    quality: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.hash},{self.quality},{self.seconds:.3f}"


class VpdqSignal(SignalType):
    name = "vpdq"
    description = (
        "vPDQ video hash: PDQ hashes of frames sampled (by default) once a second; a video "
        "matches when enough of its frames match a bank video's frames, so clips match too."
    )
    match_kind = MatchKind.FRAMES
    #: Largest PDQ distance at which two frames match.
    default_threshold = 31
    max_distance = 256

    @classmethod
    def normalize(cls, value: str) -> str:
        return cls.serialize(cls.parse(value))

    @classmethod
    def parse(cls, value: str) -> list[VpdqFeature]:
        """The frames of a vPDQ value; raises `InvalidSignalError` on anything malformed."""
        if not isinstance(value, str):
            raise InvalidSignalError(f"vpdq: expected a JSON list, got {type(value).__name__}")
        try:
            items = json.loads(value)
        except (ValueError, RecursionError):
            raise InvalidSignalError("vpdq: the value is not JSON") from None
        if not isinstance(items, list):
            raise InvalidSignalError("vpdq: expected a JSON list of frame strings")
        if not items:
            raise InvalidSignalError("vpdq: the value holds no frames")
        if len(items) > MAX_FRAMES:
            raise InvalidSignalError(f"vpdq: more than {MAX_FRAMES:,} frames")
        return [_feature(item, number) for number, item in enumerate(items)]

    @classmethod
    def serialize(cls, features: Sequence[VpdqFeature]) -> str:
        return json.dumps([str(f) for f in features], separators=(",", ":"))

    @classmethod
    def examples(cls) -> list[str]:
        # Two short "videos" whose frames are the benign PDQ examples.
        bridge, pen = PdqSignal.examples()
        return [
            cls.serialize([VpdqFeature(bridge, 100, 0.0), VpdqFeature(pen, 100, 1.0)]),
            cls.serialize([VpdqFeature(pen, 100, 0.0), VpdqFeature(pen, 100, 1.0)]),
        ]


def _feature(item: object, number: int) -> VpdqFeature:
    where = f"vpdq frame {number}"
    if not isinstance(item, str):
        raise InvalidSignalError(f"{where}: expected a string 'hash,quality,seconds'")
    parts = item.split(",")
    if len(parts) != 3:
        raise InvalidSignalError(f"{where}: expected 'hash,quality,seconds', got {item[:80]!r}")
    try:
        digest = PdqSignal.normalize(parts[0])
    except InvalidSignalError as e:
        raise InvalidSignalError(f"{where}: {e}") from None
    try:
        quality, seconds = int(parts[1]), float(parts[2])
    except ValueError:
        raise InvalidSignalError(f"{where}: quality and seconds must be numbers") from None
    if not 0 <= quality <= 100:
        raise InvalidSignalError(f"{where}: quality must be 0-100, not {quality}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidSignalError(f"{where}: seconds must be a time of 0 or more")
    return VpdqFeature(digest, quality, seconds)
