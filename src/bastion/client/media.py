"""Hashing on the device: the signals a voucher is made of."""

from __future__ import annotations

import hashlib

from bastion.media.image import decoding, open_image
from bastion.media.video import looks_like_video
from bastion.pdq import hash_image

#: The largest image hashed (pixels): a decompression bomb is refused before decoding.
MAX_PIXELS = 50_000_000


def signals_of(data: bytes, *, max_pixels: int = MAX_PIXELS) -> dict[str, str]:
    """MD5 and SHA-256 of the bytes; for a video its MD5 as `video_md5`, for an image its
    PDQ hash. Raises bastion's MediaError for what is neither, corrupt or too large."""
    signals = {
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if looks_like_video(data):
        signals["video_md5"] = signals["md5"]
        return signals
    opened = open_image(data, max_pixels=max_pixels)
    with decoding("image"):
        signals["pdq"] = hash_image(opened.image).hash
    return signals
