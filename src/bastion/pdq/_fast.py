"""Fast-mode PDQ: the reference's blur and sampling as precomputed weights on a
reduced image.

The reference's 64x64 block is linear in the luma: ``A = R L C^T``, where row ``j``
of ``C`` (64 x width) is the tent the two row box-filter passes put around sample
column ``j``, and ``R`` likewise for rows.  Fast mode computes those weights in
float64 for the image's full size, sums them over the pixel blocks of a reduced
image (JPEGs are decoded reduced by libjpeg's DCT scaling through Pillow's
``draft``; other images are box-reduced), and applies them to the reduced luma.
The reduction keeps at least two reduced pixels per box window, so the result
stays within a few bits of the reference (Meta's conformance rule asks for at most
10 bits on images of quality >= 80).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
from PIL import Image

from bastion.pdq._dct import dct16_fast
from bastion.pdq._reference import (
    MIN_HASHABLE_DIM,
    luma_reference,
    quality_from_block,
    sample_indices,
    window_size,
)

__all__ = [
    "AxisWeights",
    "axis_weights",
    "fast_dct",
    "fast_dct_from_image",
    "fast_dct_from_pixels",
    "reduction_factor",
]

#: Reduced pixels kept per box window along the shorter side.
_PIXELS_PER_WINDOW: Final = 2
#: Largest reduction libjpeg performs while decoding.
_MAX_DRAFT_SCALE: Final = 8


@dataclass(frozen=True)
class AxisWeights:
    """Banded weights along one axis: sample ``j`` is
    ``sum_k weights[j, k] * line[start[j] + k]``."""

    start: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]

    @property
    def indices(self) -> npt.NDArray[np.intp]:
        band = np.arange(self.weights.shape[1], dtype=np.intp)
        out: npt.NDArray[np.intp] = self.start[:, np.newaxis] + band
        return out


def reduction_factor(width: int, height: int) -> int:
    """How many pixels per side fast mode may merge into one."""
    return max(1, window_size(min(width, height)) // _PIXELS_PER_WINDOW)


def _box_transpose(rows: npt.NDArray[np.float64], window: int) -> npt.NDArray[np.float64]:
    """``rows @ B`` where ``B`` is the reference's box filter along a line."""
    length = rows.shape[1]
    half = (window + 2) // 2
    left, right = window - half, half - 1  # output i averages [i - left, i + right]
    pos = np.arange(length)
    count = np.minimum(pos + right, length - 1) - np.maximum(pos - left, 0) + 1
    csum = np.zeros((rows.shape[0], length + 1))
    np.cumsum(rows / count, axis=1, out=csum[:, 1:])
    # Input k feeds the outputs i in [k - right, k + left].
    hi = np.minimum(pos + left, length - 1) + 1
    lo = np.maximum(pos - right, 0)
    out: npt.NDArray[np.float64] = csum[:, hi] - csum[:, lo]
    return out


@lru_cache(maxsize=128)
def axis_weights(length: int, factor: int, identity: bool = False) -> AxisWeights:
    """Weights of the 64 samples along an axis of ``length`` full-size pixels,
    summed over blocks of ``factor`` pixels (the last block may be partial)."""
    full = np.zeros((64, length))
    full[np.arange(64), sample_indices(length)] = 1.0
    if not identity:
        window = window_size(length)
        full = _box_transpose(_box_transpose(full, window), window)
    reduced = np.add.reduceat(full, np.arange(0, length, factor), axis=1) if factor > 1 else full
    support = reduced > 0
    first = support.argmax(axis=1)
    last = reduced.shape[1] - support[:, ::-1].argmax(axis=1)
    band = int((last - first).max())
    start = np.minimum(first, reduced.shape[1] - band).astype(np.intp)
    weights = np.take_along_axis(reduced, start[:, np.newaxis] + np.arange(band), axis=1)
    start.setflags(write=False)
    weights.setflags(write=False)
    return AxisWeights(start, weights)


def _block64(
    luma: npt.NDArray[np.float64], height: int, width: int, factor: int
) -> npt.NDArray[np.float64]:
    """The 64x64 block of an image of ``height`` x ``width`` from its reduced luma."""
    identity = (height, width) == (64, 64)  # the reference skips the blur there
    rows = axis_weights(height, factor, identity)
    cols = axis_weights(width, factor, identity)
    across = np.einsum("hjk,jk->hj", luma[:, cols.indices], cols.weights)
    block: npt.NDArray[np.float64] = np.einsum("ikj,ik->ij", across[rows.indices], rows.weights)
    return block


def fast_dct(
    reduced: npt.NDArray[np.uint8], height: int, width: int, factor: int
) -> tuple[npt.NDArray[np.float64], int] | None:
    """16x16 DCT and quality from RGB pixels reduced ``factor`` times from
    ``height`` x ``width``; None if the full-size image is too small to hash."""
    if height < MIN_HASHABLE_DIM or width < MIN_HASHABLE_DIM:
        return None
    luma = luma_reference(reduced).astype(np.float64)
    block = _block64(luma, height, width, factor)
    return dct16_fast(block), quality_from_block(block.astype(np.float32))


def fast_dct_from_pixels(
    pixels: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.float64], int] | None:
    height, width = pixels.shape[:2]
    factor = reduction_factor(width, height)
    if factor > 1:
        pixels = np.asarray(Image.fromarray(pixels).reduce(factor))
    return fast_dct(pixels, height, width, factor)


def fast_dct_from_image(image: Image.Image) -> tuple[npt.NDArray[np.float64], int] | None:
    """Decode (reduced where possible) and hash an opened, not yet loaded image.

    For JPEGs, ``draft`` makes libjpeg decode at 1/2, 1/4 or 1/8 size; this changes
    ``image.size``.  Decoding errors propagate unchanged.
    """
    width, height = image.size
    factor = reduction_factor(width, height)
    decoded_scale = 1
    if factor > 1:
        request = min(_MAX_DRAFT_SCALE, 1 << (factor.bit_length() - 1))
        drafted = image.draft("RGB", (width // request, height // request))
        if drafted is not None:
            decoded_scale = max(1, round(width / drafted[1][2]))
    rgb = image.convert("RGB")
    extra = factor // decoded_scale
    if extra > 1:
        rgb = rgb.reduce(extra)
    return fast_dct(np.asarray(rgb), height, width, decoded_scale * max(extra, 1))
