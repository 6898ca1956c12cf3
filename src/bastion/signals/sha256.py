"""`sha256`: SHA-256 of the file's bytes, matched exactly."""

from __future__ import annotations

from bastion.signals.base import Content, FileDigestSignalType


class Sha256Signal(FileDigestSignalType):
    name = "sha256"
    description = "SHA-256 digest of the file's bytes; matches byte-identical copies only."
    algorithm = "sha256"
    hex_length = 64
    content = frozenset({Content.IMAGE_FILE, Content.VIDEO_FILE})
