"""`sha256`: SHA-256 of the file's bytes, matched exactly."""

from __future__ import annotations

import hashlib

from bastion.signals.base import HexDigestSignalType, MatchKind, Signal


class Sha256Signal(HexDigestSignalType):
    name = "sha256"
    description = "SHA-256 digest of the file's bytes; matches byte-identical copies only."
    match_kind = MatchKind.EXACT
    hex_length = 64

    @classmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        return Signal(cls.name, hashlib.sha256(data).hexdigest())

    @classmethod
    def examples(cls) -> list[str]:
        # Digests of the ASCII strings "bastion example 1" and "bastion example 2".
        return [cls.hash_bytes(f"bastion example {i}".encode()).value for i in (1, 2)]
