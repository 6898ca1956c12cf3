"""`video_md5`: MD5 of a video file's bytes, matched exactly (HMA's and NCMEC's video MD5)."""

from __future__ import annotations

from bastion.signals.base import Content, FileDigestSignalType


class VideoMd5Signal(FileDigestSignalType):
    name = "video_md5"
    description = "MD5 digest of a video file's bytes; matches byte-identical copies only."
    algorithm = "md5"
    hex_length = 32
    content = frozenset({Content.VIDEO_FILE})
