"""`sha1`: SHA-1 of the file's bytes, matched exactly (one of NCMEC's fingerprints)."""

from __future__ import annotations

from bastion.signals.base import FileDigestSignalType


class Sha1Signal(FileDigestSignalType):
    name = "sha1"
    description = "SHA-1 digest of the file's bytes; matches byte-identical copies only."
    algorithm = "sha1"
    hex_length = 40
