"""`pdq`: Meta's 256-bit perceptual image hash, compared by Hamming distance."""

from __future__ import annotations

from PIL import Image

from bastion.pdq import PdqDigest, PdqMode, hamming_distance, hash_image, hash_rgb
from bastion.signals.base import (
    Content,
    HexDigestSignalType,
    ImageHash,
    MatchKind,
    RgbPixels,
    Signal,
)
from bastion.signals.options import HashingOptions, MatchingOptions


class PdqSignal(HexDigestSignalType):
    name = "pdq"
    description = (
        "PDQ perceptual hash of an image (256 bits) with a quality score 0-100; "
        "matches visually similar copies (re-encoded, resized, lightly edited)."
    )
    match_kind = MatchKind.HAMMING
    default_threshold = 31
    max_distance = 256
    hex_length = 64
    content = frozenset({Content.IMAGE})
    #: Hashes of lower quality describe nearly featureless images and match too broadly.
    default_min_quality = 50

    @classmethod
    def hash_pixels(cls, pixels: RgbPixels, options: HashingOptions) -> ImageHash:
        return _image_hash(hash_rgb(pixels, options.pdq_mode))

    @classmethod
    def hash_image(cls, image: Image.Image, options: HashingOptions) -> ImageHash | None:
        if options.pdq_mode is not PdqMode.FAST:
            return None
        return _image_hash(hash_image(image, options.pdq_mode))  # a reduced decode (JPEG draft)

    @classmethod
    def matchable(cls, quality: int | None, options: MatchingOptions) -> bool:
        return quality is None or quality >= options.pdq_min_quality

    @classmethod
    def configured_threshold(cls, options: MatchingOptions) -> int:
        return options.pdq_threshold

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        return hamming_distance(a, b)

    @classmethod
    def examples(cls) -> list[str]:
        # PDQ hashes of benign test photos (a bridge, a pen and a coaster) from Meta's PDQ tests.
        return [
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "1f811b9d267fbc6693c0c7f30e041f9df49b836303e10f067fcdfc12c02d01f9",
        ]


def _image_hash(digest: PdqDigest) -> ImageHash:
    """PDQ gives the hashes of the image turned and mirrored with its own (one pass)."""
    return ImageHash(Signal(PdqSignal.name, digest.hash, digest.quality), digest.dihedral())
