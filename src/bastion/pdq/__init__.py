"""PDQ, Meta's 256-bit perceptual image hash, in numpy.

Two modes:

* ``PdqMode.REFERENCE`` reproduces Meta's C++/Java reference bit for bit for the
  same RGB pixels (hash and quality), including its float32 rounding.
* ``PdqMode.FAST`` decodes JPEGs at reduced size and applies the reference's blur
  as precomputed weights; it stays within a few bits of the reference on images of
  quality >= 80 (Meta's conformance rule allows 10) and is many times faster on
  large photos.

Every digest also carries the hashes of the image's eight rotations and mirror
images, computed from the same DCT as the reference does (`PdqDigest.dihedral`),
and the hash of the image as displayed for an EXIF orientation
(`PdqDigest.oriented`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from bastion.pdq._bits import ZERO_HASH, hamming_distance, hash_from_dct
from bastion.pdq._dihedral import DIHEDRAL_NAMES, EXIF_ORIENTATION_TO_DIHEDRAL, dihedral_hashes
from bastion.pdq._fast import fast_dct_from_image, fast_dct_from_pixels
from bastion.pdq._reference import reference_dct, validate_pixels

__all__ = [
    "DIHEDRAL_NAMES",
    "EXIF_ORIENTATION_TO_DIHEDRAL",
    "PdqDigest",
    "PdqMode",
    "hamming_distance",
    "hash_image",
    "hash_rgb",
    "pdq_float",
]


class PdqMode(StrEnum):
    """How to compute PDQ: bit-exact with the reference, or fast and close to it."""

    REFERENCE = "reference"
    FAST = "fast"


@dataclass(frozen=True)
class PdqDigest:
    """A PDQ hash (64 lowercase hex digits, reference layout) and its quality (0..100)."""

    hash: str
    quality: int
    #: The eight dihedral hashes in `DIHEDRAL_NAMES` order (computed with the hash).
    _dihedral: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def dihedral(self) -> dict[str, str]:
        """The hashes of the eight rotations/mirror images, by the reference's names.

        ``rotate90`` is a quarter turn counter-clockwise (Pillow's ROTATE_90),
        ``flipx`` mirrors top to bottom, ``flipy`` left to right, ``flipplus1``
        transposes and ``flipminus1`` transposes about the anti-diagonal.
        ``"original"`` is `hash`.
        """
        if len(self._dihedral) != len(DIHEDRAL_NAMES):
            raise ValueError("this digest was not computed here, so it has no dihedral hashes")
        return dict(zip(DIHEDRAL_NAMES, self._dihedral, strict=True))

    def oriented(self, orientation: int) -> str:
        """The hash of the image as displayed when its pixels carry EXIF Orientation
        ``orientation`` (1..8): what hashing ``PIL.ImageOps.exif_transpose(image)``
        would give, without hashing again.  1 gives `hash`."""
        valid = isinstance(orientation, int | np.integer) and not isinstance(orientation, bool)
        if not valid or int(orientation) not in EXIF_ORIENTATION_TO_DIHEDRAL:
            raise ValueError(f"EXIF orientation must be an integer 1..8, got {orientation!r}")
        if orientation == 1:
            return self.hash
        return self.dihedral()[EXIF_ORIENTATION_TO_DIHEDRAL[int(orientation)]]


def _digest(result: tuple[npt.NDArray[Any], int] | None) -> PdqDigest:
    if result is None:  # smaller than the reference's minimum: all zeros, quality 0
        return PdqDigest(ZERO_HASH, 0, (ZERO_HASH,) * len(DIHEDRAL_NAMES))
    dct, quality = result
    return PdqDigest(hash_from_dct(dct), quality, dihedral_hashes(dct))


def hash_rgb(pixels: npt.NDArray[np.uint8], mode: PdqMode = PdqMode.REFERENCE) -> PdqDigest:
    """PDQ of an HxWx3 uint8 RGB array.

    Raises TypeError for a non-uint8 array and ValueError for another shape.
    """
    pixels = validate_pixels(pixels)
    if PdqMode(mode) is PdqMode.FAST:
        return _digest(fast_dct_from_pixels(pixels))
    return _digest(reference_dct(pixels))


def pdq_float(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32] | None:
    """The 16x16 float DCT that PDQ thresholds into its 256 bits (Meta's "PDQF", the frame
    feature of TMK), from the reference computation; None for an image too small to hash."""
    found = reference_dct(validate_pixels(pixels))
    return None if found is None else found[0]


def hash_image(image: Image.Image, mode: PdqMode = PdqMode.REFERENCE) -> PdqDigest:
    """PDQ of an opened Pillow image, of its pixels as stored (EXIF orientation is
    not applied; use `PdqDigest.oriented` for the displayed image).

    The image should not be loaded yet: fast mode asks the JPEG decoder for a
    reduced size (``draft``), which changes ``image.size``.  Reference mode hashes
    ``image.convert("RGB")``, like pdqhash fed Pillow's pixels.  Decoding errors
    (OSError, SyntaxError, ValueError from truncated or corrupt data) propagate.
    """
    if PdqMode(mode) is PdqMode.FAST:
        return _digest(fast_dct_from_image(image))
    return _digest(reference_dct(np.asarray(image.convert("RGB"))))
