"""The eight dihedral variants of a PDQ hash, derived from one 16x16 DCT.

Rotating or mirroring the image only permutes the 64x64 downsample, which in the
DCT domain is a transposition and/or a sign change of odd-index basis functions.
So all eight hashes come from the one DCT the hash was computed from, each one
thresholded at its own median, exactly as the reference does.

Names follow the reference.  In Pillow's terms (`PIL.Image.Transpose`):
``rotate90`` = ROTATE_90 (a quarter turn counter-clockwise), ``rotate270`` =
ROTATE_270 (clockwise), ``flipx`` = FLIP_TOP_BOTTOM (mirror about the x axis),
``flipy`` = FLIP_LEFT_RIGHT, ``flipplus1`` = TRANSPOSE (about the main diagonal)
and ``flipminus1`` = TRANSVERSE (about the anti-diagonal).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from bastion.pdq._bits import hash_from_dct

__all__ = ["DIHEDRAL_NAMES", "EXIF_ORIENTATION_TO_DIHEDRAL", "dihedral_hashes", "transform_dct"]

DIHEDRAL_NAMES: Final = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flipplus1",
    "flipminus1",
)

#: EXIF Orientation tag -> the variant that shows the stored pixels as displayed,
#: i.e. the transform `PIL.ImageOps.exif_transpose` applies for that tag.
EXIF_ORIENTATION_TO_DIHEDRAL: Final = {
    1: "original",
    2: "flipy",  # FLIP_LEFT_RIGHT
    3: "rotate180",  # ROTATE_180
    4: "flipx",  # FLIP_TOP_BOTTOM
    5: "flipplus1",  # TRANSPOSE
    6: "rotate270",  # ROTATE_270
    7: "flipminus1",  # TRANSVERSE
    8: "rotate90",  # ROTATE_90
}

_ROW = np.arange(16)[:, np.newaxis]
_COL = np.arange(16)[np.newaxis, :]
_EVEN_ROW = np.broadcast_to(_ROW % 2 == 0, (16, 16))
_EVEN_COL = np.broadcast_to(_COL % 2 == 0, (16, 16))
_ODD_SUM = (_ROW + _COL) % 2 == 1
_NONE = np.zeros((16, 16), dtype=np.bool_)

# name -> (cells of the original DCT whose sign flips, transpose afterwards?)
_TRANSFORMS: Final[dict[str, tuple[npt.NDArray[np.bool_], bool]]] = {
    "original": (_NONE, False),
    "rotate90": (_EVEN_COL, True),
    "rotate180": (_ODD_SUM, False),
    "rotate270": (_EVEN_ROW, True),
    "flipx": (_EVEN_ROW, False),
    "flipy": (_EVEN_COL, False),
    "flipplus1": (_NONE, True),
    "flipminus1": (_ODD_SUM, True),
}


def transform_dct(dct: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    """The 16x16 DCT of the named dihedral transform of the image."""
    negate, transpose = _TRANSFORMS[name]
    out = np.where(negate, -dct, dct)
    return out.T if transpose else out


def dihedral_hashes(dct: npt.NDArray[Any]) -> tuple[str, ...]:
    """The eight hashes, in `DIHEDRAL_NAMES` order."""
    return tuple(hash_from_dct(transform_dct(dct, name)) for name in DIHEDRAL_NAMES)
