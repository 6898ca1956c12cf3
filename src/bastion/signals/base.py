"""The signal-type interface: what every hash algorithm provides to banks, indexes and matching."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bastion.errors import InvalidSignalError
from bastion.signals.options import MatchingOptions


class MatchKind(StrEnum):
    """How values of a signal type are compared, which decides the index that holds them."""

    EXACT = "exact"  # equal or not: distance is 0 or "no match"
    HAMMING = "hamming"  # fixed-width bit strings compared by Hamming distance
    FRAMES = "frames"  # a video's frame hashes, each matched by Hamming distance (vPDQ)
    SIMILARITY = "similarity"  # descriptors scored by similarity, 1.0 the same (TMK)


#: Values longer than this are stored and shown under their `Signal.key`.
KEY_LENGTH = 512


@dataclass(frozen=True, slots=True)
class Signal:
    """One hash of one piece of content: its type's short name, normalised value and quality."""

    type: str
    value: str
    quality: int | None = None

    @property
    def key(self) -> str:
        """The value, or for a long one (a video's frame hashes, a TMK descriptor) a short
        stand-in, ``sha256:`` and the digest of the value: what duplicate checks compare and
        what match results show."""
        if len(self.value) <= KEY_LENGTH:
            return self.value
        return "sha256:" + hashlib.sha256(self.value.encode()).hexdigest()


class SignalType(ABC):
    """A hash algorithm. Subclasses are stateless; everything is a class attribute or method.

    `name` is stable forever: it is the key under which values are stored and exchanged.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    match_kind: ClassVar[MatchKind]
    #: Largest distance counted as a match by default (0 for exact types).
    default_threshold: ClassVar[int] = 0
    #: Largest possible distance (the bit width for Hamming and frame types, 0 otherwise).
    max_distance: ClassVar[int] = 0

    @classmethod
    def configured_threshold(cls, options: MatchingOptions) -> int:
        """The threshold used where a bank sets none: the configured one, for a type that
        has a setting, else `default_threshold` (see `bastion.matching.threshold_for`)."""
        return cls.default_threshold

    @classmethod
    @abstractmethod
    def normalize(cls, value: str) -> str:
        """Return the canonical form of `value`, or raise `InvalidSignalError`."""

    @classmethod
    def distance(cls, a: str, b: str) -> int | None:
        """Distance between two normalised values; None means "cannot match" for exact types."""
        return 0 if a == b else None

    @classmethod
    def lookup_keys(cls, value: str) -> list[str]:
        """For an exact type: the bank values a normalised query value matches (itself; a
        URL also its domains, a text its phrases)."""
        return [value]

    @classmethod
    @abstractmethod
    def examples(cls) -> list[str]:
        """Benign example values, for documentation, demos and an offline sample exchange."""


class HexDigestSignalType(SignalType):
    """Base for signal types whose values are fixed-length lowercase hex strings."""

    hex_length: ClassVar[int]

    @classmethod
    def normalize(cls, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignalError(
                f"{cls.name}: expected a hex string, got {type(value).__name__}"
            )
        text = value.strip().lower()
        if len(text) != cls.hex_length or not _HEX.fullmatch(text):
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise InvalidSignalError(
                f"{cls.name}: expected {cls.hex_length} hex characters, got {shown!r}"
            )
        return text


class FileDigestSignalType(HexDigestSignalType):
    """Base for cryptographic digests of a file's bytes, matched exactly."""

    match_kind = MatchKind.EXACT
    #: The `hashlib` algorithm name.
    algorithm: ClassVar[str]

    @classmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        return Signal(cls.name, hashlib.new(cls.algorithm, data, usedforsecurity=False).hexdigest())

    @classmethod
    def examples(cls) -> list[str]:
        # Digests of the ASCII strings "bastion example 1" and "bastion example 2".
        return [cls.hash_bytes(f"bastion example {i}".encode()).value for i in (1, 2)]


_HEX = re.compile(r"[0-9a-f]+")
