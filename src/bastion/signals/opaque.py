"""Fingerprints bastion keeps but does not compute: PhotoDNA and the other proprietary
hashes a source such as NCMEC shares. They are stored as they came and matched only exactly
(a look-up of a value computed elsewhere), so a list fetched with them loses nothing and a
platform that has the algorithm can still use them.
"""

from __future__ import annotations

import re
from typing import ClassVar

from bastion.errors import InvalidSignalError
from bastion.signals.base import MatchKind, SignalType

#: Longest opaque value accepted (PhotoDNA is 144 bytes, about 200 characters in base64).
MAX_LENGTH = 16 * 1024
_PRINTABLE = re.compile(r"[\x21-\x7e]+")


class OpaqueSignalType(SignalType):
    """A value kept verbatim (printable ASCII without spaces), matched exactly."""

    match_kind = MatchKind.EXACT
    example: ClassVar[str]

    @classmethod
    def normalize(cls, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignalError(f"{cls.name}: expected a string, got {type(value).__name__}")
        text = value.strip()
        if not text or len(text) > MAX_LENGTH or not _PRINTABLE.fullmatch(text):
            raise InvalidSignalError(
                f"{cls.name}: expected 1-{MAX_LENGTH:,} printable characters without spaces"
            )
        return text

    @classmethod
    def examples(cls) -> list[str]:
        return [cls.example]


class PhotoDnaSignal(OpaqueSignalType):
    name = "photodna"  # python-threatexchange's name
    description = "Microsoft PhotoDNA hash (kept as shared; bastion does not compute it)."
    example = "ZXhhbXBsZSBwaG90b2RuYSB2YWx1ZQ=="


class NetCleanSignal(OpaqueSignalType):
    name = "netclean"
    description = "NetClean hash (kept as shared; bastion does not compute it)."
    example = "6e6574636c65616e2d6578616d706c65"


class VidentifierSignal(OpaqueSignalType):
    name = "videntifier"
    description = "Videntifier video fingerprint (kept as shared; bastion does not compute it)."
    example = "dmlkZW50aWZpZXItZXhhbXBsZQ=="
