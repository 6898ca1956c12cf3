"""Binary codes as rows of 64-bit words: conversion, Hamming distance and substrings.

A code of `bits` bits is a row of `bits // 64` uint64 words, most significant word first, so
that bit 0 of the code is the top bit of word 0, as in the hex form.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.uint64]
Ids = npt.NDArray[np.int64]


def check_bits(bits: int) -> int:
    if bits <= 0 or bits % 64:
        raise ValueError("bits must be a positive multiple of 64")
    return bits


def hex_to_words(values: Sequence[str], bits: int) -> Codes:
    """Hex strings of `bits` bits as rows of big-endian 64-bit words."""
    words = bits // 64
    if any(len(v) != bits // 4 for v in values):
        raise ValueError(f"every value must be {bits // 4} hex characters")
    raw = b"".join(bytes.fromhex(v) for v in values)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), words)


def words_to_hex(code: Codes) -> str:
    """One code row back to its hex form."""
    return code.astype(">u8").tobytes().hex()


def distances(codes: Codes, probe: Codes) -> npt.NDArray[np.int64]:
    """Hamming distance from `probe` (one row) to every row of `codes`."""
    counts = np.bitwise_count(np.bitwise_xor(codes, probe))
    total: npt.NDArray[np.int64] = counts.sum(axis=1, dtype=np.int64)
    return total


def substrings(codes: Codes, start: int, width: int) -> npt.NDArray[np.int64]:
    """Bits `start` to `start + width` of every code, as integers (`width` at most 32)."""
    word, offset = divmod(start, 64)
    mask = np.uint64((1 << width) - 1)
    if offset + width <= 64:
        values = (codes[:, word] >> np.uint64(64 - offset - width)) & mask
    else:
        high = 64 - offset
        low = width - high
        values = ((codes[:, word] & np.uint64((1 << high) - 1)) << np.uint64(low)) | (
            codes[:, word + 1] >> np.uint64(64 - low)
        )
    return values.astype(np.int64)


def code_to_int(code: Codes) -> int:
    """One code row as a Python integer (bit 0 of the code is the most significant)."""
    return int.from_bytes(code.astype(">u8").tobytes(), "big")


def near(
    planes: Codes, query: Codes, radius: int, rows: Ids | None = None, start: int = 0, stop: int = 0
) -> tuple[Ids, npt.NDArray[np.int64]]:
    """Codes within `radius` of `query` among `rows` (or `start:stop`) of word planes (W, n).

    Returns their positions and distances. The first two words are compared for every code;
    the rest only for codes still within the radius, so a scan reads half the memory.
    """
    selected = slice(start, stop) if rows is None else rows
    head = min(2, len(planes))
    partial = np.bitwise_count(planes[0][selected] ^ query[0])
    if head == 2:
        partial += np.bitwise_count(planes[1][selected] ^ query[1])  # at most 128: fits uint8
    keep = np.flatnonzero(partial <= radius)
    found = keep + start if rows is None else rows[keep]
    dist = partial[keep].astype(np.int64)
    for word in range(head, len(planes)):
        dist += np.bitwise_count(planes[word][found] ^ query[word])
    within = dist <= radius
    positions: Ids = found[within]
    return positions, dist[within]
