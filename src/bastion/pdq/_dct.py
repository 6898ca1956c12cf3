"""The 16x64 DCT-II basis that PDQ uses, and the two products that apply it.

PDQ keeps only the 16x16 lowest non-DC frequencies of the 64x64 downsample, so it
computes ``B = D A D^T`` with ``D`` of shape 16x64 rather than a full 2-D DCT.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["DCT_MATRIX", "DCT_MATRIX_F64", "dct16_fast", "dct16_reference"]


def _build_matrix() -> npt.NDArray[np.float32]:
    # The reference stores sqrt(2/64) as a float32, multiplies it by a float64
    # cosine and rounds each product to float32.  math.cos is the C library's cos,
    # the same one the C++ reference calls.
    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    step = math.pi / 2.0 / 64.0
    rows = [[scale * math.cos(step * (i + 1) * (2 * j + 1)) for j in range(64)] for i in range(16)]
    matrix = np.array(rows, dtype=np.float64).astype(np.float32)
    matrix.setflags(write=False)
    return matrix


#: Row ``i`` holds DCT-II basis function ``i + 1`` sampled at 64 points (float32).
DCT_MATRIX: Final[npt.NDArray[np.float32]] = _build_matrix()
#: The same values widened to float64, for fast mode.
DCT_MATRIX_F64: Final[npt.NDArray[np.float64]] = DCT_MATRIX.astype(np.float64)
DCT_MATRIX_F64.setflags(write=False)


def dct16_reference(block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``D A D^T`` for a 64x64 float32 block, rounded exactly as the reference does.

    Both products accumulate in float32, one product term at a time in increasing
    ``k``: every product is rounded to float32 before it is added (no fused
    multiply-add).  Each step is vectorised over the whole output instead of
    looping over output cells, which does not change any rounding.
    """
    d = DCT_MATRIX
    temp = np.zeros((16, 64), dtype=np.float32)
    for k in range(64):
        temp += d[:, k : k + 1] * block[k : k + 1, :]
    out = np.zeros((16, 16), dtype=np.float32)
    for k in range(64):
        out += temp[:, k : k + 1] * d[np.newaxis, :, k]
    return out


def dct16_fast(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``D A D^T`` for a 64x64 float64 block.

    einsum's own loops are used rather than BLAS: the matrices are tiny, and a
    threaded BLAS can cost far more in start-up than the arithmetic on small hosts.
    """
    d = DCT_MATRIX_F64
    temp = np.einsum("ik,kj->ij", d, block)
    out: npt.NDArray[np.float64] = np.einsum("ik,jk->ij", temp, d)
    return out
