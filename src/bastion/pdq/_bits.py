"""From a 16x16 DCT to the 256-bit hash, and the reference's hex layout.

Bit ``k = 16 * i + j`` is set when coefficient ``(i, j)`` is above the median of the
256 coefficients.  The hex text is 16 words of 16 bits, word ``i`` holding row ``i``
(bit ``j`` = column ``j``), printed most significant word (row 15) first.
"""

from __future__ import annotations

import string
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "HASH_HEX_LENGTH",
    "ZERO_HASH",
    "bits_from_hex",
    "dct_median",
    "hamming_distance",
    "hash_from_dct",
    "hex_from_bits",
]

HASH_HEX_LENGTH: Final = 64
ZERO_HASH: Final = "0" * HASH_HEX_LENGTH
_HEX_DIGITS: Final = frozenset(string.hexdigits)
_BIT_WEIGHTS: Final = (1 << np.arange(16, dtype=np.int64)).astype(np.int64)


def dct_median(values: npt.NDArray[Any]) -> Any:
    """The median the reference thresholds at: the 128th smallest of the 256 values.

    The reference uses Torben Mogensen's selection algorithm, which for 256 values
    always returns the element of rank ``(n + 1) // 2`` (1-based), i.e. the lower
    median; a partial sort finds the same element faster.
    """
    flat = np.ravel(values)
    k = (flat.size + 1) // 2 - 1
    return np.partition(flat, k)[k]


def hex_from_bits(bits: npt.NDArray[np.bool_]) -> str:
    """Hex text of a 16x16 boolean matrix, in the reference's word order."""
    words = (bits.astype(np.int64) * _BIT_WEIGHTS).sum(axis=1)
    return "".join(f"{int(word):04x}" for word in words[::-1])


def bits_from_hex(text: str) -> npt.NDArray[np.bool_]:
    """Inverse of `hex_from_bits`: a 16x16 boolean matrix."""
    value = _parse(text)
    flat = np.array([(value >> k) & 1 for k in range(256)], dtype=np.bool_)
    return flat.reshape(16, 16)


def hash_from_dct(dct: npt.NDArray[Any]) -> str:
    """Threshold a 16x16 DCT at its own median and format the bits."""
    median = dct_median(dct)
    return hex_from_bits(np.asarray(dct > median, dtype=np.bool_))


def hamming_distance(a: str, b: str) -> int:
    """Number of differing bits between two 64-hex-digit PDQ hashes."""
    return (_parse(a) ^ _parse(b)).bit_count()


def _parse(text: str) -> int:
    if len(text) != HASH_HEX_LENGTH or not _HEX_DIGITS.issuperset(text):
        raise ValueError(f"not a PDQ hash (64 hex digits): {text!r}")
    return int(text, 16)
