"""Reference-mode PDQ: the C++/Java reference's arithmetic, reproduced exactly.

Pipeline (Meta's ``pdqhashing.cpp``): float32 luma; two rounds of a row box filter
and a column box filter (Jarosz: two box passes per axis make a tent); keep 64x64
samples; quality from the gradients of those samples; 16x16 DCT; bits above the
median.  Every float operation below is float32 and happens in the same order as
in the reference, so the result is bit-identical for the same RGB pixels.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from bastion.pdq._box import box_along_columns, box_along_rows
from bastion.pdq._dct import dct16_reference

__all__ = [
    "MIN_HASHABLE_DIM",
    "downsample_reference",
    "luma_reference",
    "quality_from_block",
    "reference_dct",
    "sample_indices",
    "validate_pixels",
    "window_size",
]

F32 = np.float32
#: Images with fewer rows or columns than this hash to all zeros with quality 0.
MIN_HASHABLE_DIM: Final = 5
_LUMA_COEFFS: Final = (F32(0.299), F32(0.587), F32(0.114))
#: Rows of pixels converted to luma at once (keeps temporaries cache-sized).
_LUMA_CHUNK_PIXELS: Final = 1 << 18
#: Rows converted to luma and row-filtered together.
_FUSED_ROWS: Final = 32


def validate_pixels(pixels: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """Check for an HxWx3 uint8 array and return it typed as such."""
    if not isinstance(pixels, np.ndarray):
        raise TypeError(f"expected a numpy array, got {type(pixels).__name__}")
    if pixels.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {pixels.dtype}")
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB array, got shape {pixels.shape}")
    return pixels.view(np.uint8)


def luma_reference(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """``0.299 R + 0.587 G + 0.114 B`` with float32 coefficients and arithmetic.

    Each product is rounded to float32, then ``(R + G) + B`` is summed in float32,
    as the C++ and Java references do.  (pdqhash's Python binding computes the sum
    in float64 and rounds once; the two differ by one ulp on about a third of the
    RGB triples, which almost never changes a hash bit.)
    """
    rows, cols = pixels.shape[:2]
    out = np.empty((rows, cols), dtype=F32)
    coeffs = np.array(_LUMA_COEFFS, dtype=F32)
    step = max(1, _LUMA_CHUNK_PIXELS // max(cols, 1))
    for start in range(0, rows, step):
        products = pixels[start : start + step] * coeffs  # uint8 * float32 -> float32
        target = out[start : start + step]
        np.add(products[..., 0], products[..., 1], out=target)
        target += products[..., 2]
    return out


def window_size(length: int) -> int:
    """Box-filter window along an axis of ``length`` pixels: ceil(length / 128)."""
    return (length + 2 * 64 - 1) // (2 * 64)


@lru_cache(maxsize=64)
def sample_indices(length: int) -> npt.NDArray[np.intp]:
    """The 64 pixel positions the reference samples along an axis (pixel centres)."""
    idx = np.array([int(((i + 0.5) * length) / 64) for i in range(64)], dtype=np.intp)
    idx.setflags(write=False)
    return idx


def downsample_reference(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Luma, blurred and decimated to the reference's 64x64 float32 block.

    A 64x64 image is used as is (the reference skips the blur for that size).  Only
    what the 64x64 samples depend on is computed: the last row pass keeps 64
    columns and the last column pass runs on those columns only.  The luma of a
    few rows at a time goes straight into the first row pass, while it is in cache.
    """
    rows, cols = pixels.shape[:2]
    if (rows, cols) == (64, 64):
        return luma_reference(pixels)
    along_rows, along_cols = window_size(cols), window_size(rows)
    row_idx, col_idx = sample_indices(rows), sample_indices(cols)
    # Round 1: rows, then columns; round 2: rows (64 columns kept), then columns.
    first = np.empty((rows, cols), dtype=F32)
    for start in range(0, rows, _FUSED_ROWS):
        stop = start + _FUSED_ROWS
        box_along_rows(luma_reference(pixels[start:stop]), along_rows, out=first[start:stop])
    blurred = box_along_columns(first, along_cols)
    kept = box_along_rows(blurred, along_rows, keep=col_idx)
    # Filter the kept columns as rows of the transposed array: same recurrence.
    columns = box_along_rows(np.ascontiguousarray(kept.T), along_cols, keep=row_idx)
    return np.ascontiguousarray(columns.T)


def quality_from_block(block: npt.NDArray[np.float32]) -> int:
    """The reference's quality metric: sum of quantised gradients / 90, at most 100."""
    block = np.asarray(block, dtype=F32)
    hundred, scale = F32(100), F32(255)
    down = ((block[:-1, :] - block[1:, :]) * hundred) / scale
    across = ((block[:, :-1] - block[:, 1:]) * hundred) / scale
    # C truncates float to int toward zero, as astype does.
    gradient_sum = int(np.abs(down.astype(np.int64)).sum() + np.abs(across.astype(np.int64)).sum())
    return min(gradient_sum // 90, 100)


def reference_dct(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], int] | None:
    """The 16x16 float32 DCT and quality of an RGB image; None if too small to hash."""
    rows, cols = pixels.shape[:2]
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return None
    block = downsample_reference(pixels)
    return dct16_reference(block), quality_from_block(block)
