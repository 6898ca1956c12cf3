"""`VpdqFeature`: one hashed frame of a vPDQ value, as it is stored and exchanged."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VpdqFeature:
    """One hashed frame: its PDQ hash, quality (0-100) and time in seconds."""

    hash: str
    quality: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.hash},{self.quality},{self.seconds:.3f}"
