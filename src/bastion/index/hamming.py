"""Brute-force Hamming index: the correct reference every faster index is tested against.

Codes live in one contiguous (n, words) uint64 array that grows by doubling; a removal moves
the last code into the freed slot, so add and remove cost O(1) amortised and nothing is ever
rebuilt. A query XORs the probe against every code and counts bits with numpy. The fast index
also keeps its most recent additions in one of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.codes import Codes, Ids, check_bits, distances, hex_to_words, words_to_hex


class BruteForceHammingIndex(SignalIndex):
    def __init__(self, bits: int = 256) -> None:
        self.bits = check_bits(bits)
        self._codes = np.zeros((16, bits // 64), dtype=np.uint64)
        self._ids = np.zeros(16, dtype=np.int64)
        self._size = 0
        self._slot: dict[int, int] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.add_codes(np.asarray(ids, dtype=np.int64), hex_to_words(values, self.bits))

    def add_codes(self, ids: Ids, codes: Codes) -> None:
        """Add rows of `codes` under `ids`; an id already present has its code replaced."""
        if not len(ids):
            return
        keys = [int(i) for i in ids]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate ids in one add")
        self.remove([i for i in keys if i in self._slot])
        needed = self._size + len(keys)
        if needed > len(self._ids):
            capacity = max(needed, 2 * len(self._ids))
            self._codes = np.resize(self._codes, (capacity, self._codes.shape[1]))
            self._ids = np.resize(self._ids, capacity)
        start = self._size
        self._codes[start:needed] = codes
        self._ids[start:needed] = keys
        for offset, i in enumerate(keys):
            self._slot[i] = start + offset
        self._size = needed

    def remove(self, ids: Iterable[int]) -> None:
        for i in list(ids):
            slot = self._slot.pop(int(i), None)
            if slot is None:
                continue
            last = self._size - 1
            if slot != last:
                moved = int(self._ids[last])
                self._codes[slot] = self._codes[last]
                self._ids[slot] = moved
                self._slot[moved] = slot
            self._size = last

    def search(self, query: Codes, radius: int) -> tuple[Ids, npt.NDArray[np.int64]]:
        """(ids, distances) of every code within `radius` of `query` (one row), in slot order."""
        d = distances(self._codes[: self._size], query)
        slots = np.flatnonzero(d <= radius)
        return self._ids[slots], d[slots]

    def rows(self) -> tuple[Ids, Codes]:
        return self._ids[: self._size].copy(), self._codes[: self._size].copy()

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        ids, d = self.search(hex_to_words([value], self.bits)[0], threshold)
        return sorted(IndexHit(int(k), int(i)) for i, k in zip(ids, d, strict=True))

    def code_of(self, id: int) -> Codes | None:
        slot = self._slot.get(id)
        return None if slot is None else self._codes[slot].copy()

    def value(self, id: int) -> str:
        return words_to_hex(self._codes[self._slot[id]])

    def __len__(self) -> int:
        return self._size
