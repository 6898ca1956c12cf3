"""`dhash`: a 64-bit difference hash of an image, compared by Hamming distance.

The image is reduced to 9x8 grey pixels; each of the 64 bits says whether a pixel is
brighter than its left neighbour. A bastion signal-type plugin: the entry point
``dhash = "bastion_dhash:DhashSignal"`` in the group ``bastion.signal_types`` is all it takes
for bastion to compute it for every image, bank it, match it, exchange it and list it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from bastion.signals import (
    Content,
    HashingOptions,
    HexDigestSignalType,
    ImageHash,
    MatchKind,
    RgbPixels,
    Signal,
)

#: The grey image the bits are read from: 9 columns give 8 differences per row.
WIDTH, HEIGHT = 9, 8


class DhashSignal(HexDigestSignalType):
    name = "dhash"
    description = (
        "Difference hash of an image (64 bits): whether each pixel of a 9x8 grey reduction "
        "is brighter than its left neighbour; matches resized and re-encoded copies."
    )
    match_kind = MatchKind.HAMMING
    default_threshold = 10
    max_distance = 64
    hex_length = 16
    content = frozenset({Content.IMAGE})

    @classmethod
    def hash_pixels(cls, pixels: RgbPixels, options: HashingOptions) -> ImageHash:
        grey = Image.fromarray(pixels).convert("L").resize((WIDTH, HEIGHT), Image.Resampling.BOX)
        values = np.asarray(grey, dtype=np.int16)
        bits = (values[:, 1:] > values[:, :-1]).flatten()
        number = int.from_bytes(np.packbits(bits).tobytes(), "big")
        return ImageHash(Signal(cls.name, f"{number:016x}"))

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    @classmethod
    def examples(cls) -> list[str]:
        # Difference hashes of bastion's synthetic sample pictures 1 and 2 (bastion.samples).
        return ["e78c4ad293cbcbcb", "674c32e460200839"]
