"""`md5`: MD5 of the file's bytes, matched exactly."""

from __future__ import annotations

from bastion.signals.base import Content, FileDigestSignalType


class Md5Signal(FileDigestSignalType):
    name = "md5"
    description = "MD5 digest of the file's bytes; matches byte-identical copies only."
    algorithm = "md5"
    hex_length = 32
    content = frozenset({Content.IMAGE_FILE})
