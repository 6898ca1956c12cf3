"""Brute-force Hamming index: the correct reference every faster index is tested against.

Codes live in one contiguous (n, words) uint64 array that grows by doubling; a removal moves
the last code into the freed slot, so add and remove cost O(1) amortised and nothing is ever
rebuilt. A query XORs the probe against every code and counts bits with numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from bastion.index.base import IndexHit, SignalIndex


def hex_to_words(values: Sequence[str], bits: int) -> npt.NDArray[np.uint64]:
    """Hex strings of `bits` bits as rows of big-endian 64-bit words."""
    words = bits // 64
    if any(len(v) != bits // 4 for v in values):
        raise ValueError(f"every value must be {bits // 4} hex characters")
    raw = b"".join(bytes.fromhex(v) for v in values)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), words)


class BruteForceHammingIndex(SignalIndex):
    def __init__(self, bits: int = 256) -> None:
        if bits <= 0 or bits % 64:
            raise ValueError("bits must be a positive multiple of 64")
        self.bits = bits
        self._codes = np.zeros((16, bits // 64), dtype=np.uint64)
        self._ids = np.zeros(16, dtype=np.int64)
        self._size = 0
        self._slot: dict[int, int] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        if not ids:
            return
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate ids in one add")
        codes = hex_to_words(values, self.bits)
        self.remove([i for i in ids if i in self._slot])
        needed = self._size + len(ids)
        if needed > len(self._ids):
            capacity = max(needed, 2 * len(self._ids))
            self._codes = np.resize(self._codes, (capacity, self._codes.shape[1]))
            self._ids = np.resize(self._ids, capacity)
        start = self._size
        self._codes[start:needed] = codes
        self._ids[start:needed] = ids
        for offset, i in enumerate(ids):
            self._slot[i] = start + offset
        self._size = needed

    def remove(self, ids: Iterable[int]) -> None:
        for i in list(ids):
            slot = self._slot.pop(i, None)
            if slot is None:
                continue
            last = self._size - 1
            if slot != last:
                moved = int(self._ids[last])
                self._codes[slot] = self._codes[last]
                self._ids[slot] = moved
                self._slot[moved] = slot
            self._size = last

    def distances(self, value: str) -> npt.NDArray[np.int64]:
        """Distance from `value` to every stored code, in slot order."""
        probe = hex_to_words([value], self.bits)[0]
        xor = np.bitwise_xor(self._codes[: self._size], probe)
        distances: npt.NDArray[np.int64] = np.bitwise_count(xor).sum(axis=1, dtype=np.int64)
        return distances

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        distances = self.distances(value)
        slots = np.flatnonzero(distances <= threshold)
        hits = [IndexHit(int(distances[s]), int(self._ids[s])) for s in slots]
        hits.sort()
        return hits

    def value(self, id: int) -> str:
        return str(self._codes[self._slot[id]].astype(">u8").tobytes().hex())

    def __len__(self) -> int:
        return self._size
