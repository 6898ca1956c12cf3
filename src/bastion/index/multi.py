"""`MultiIndexHammingIndex`: exact Hamming range search that stays fast as it grows and changes.

The index is a short stack of immutable `HammingSnapshot` levels, oldest and largest first,
with the newest additions in a small brute-force `delta` on top:

- an add goes to the delta; when the delta holds `delta_limit` codes it becomes a new level
  (milliseconds: it is small);
- a remove, or an add that replaces an id, hides the id in the level that holds it;
- levels merge in the background when the newer ones together reach 1/`growth` of an older
  one, so there are O(log n) levels and each code is rebuilt O(log n) times. Queries go on
  against the old levels while a merge runs; the result is swapped in under the lock.

The first level may be a snapshot mapped read-only from disk (`open()`), so several processes
share one copy of a large index and each keeps only its own recent changes in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.codes import Codes, Ids, check_bits, hex_to_words, words_to_hex
from bastion.index.hamming import BruteForceHammingIndex
from bastion.index.snapshot import HammingSnapshot

log = logging.getLogger(__name__)


class _Level:
    """One snapshot and the ids hidden in it since it was built."""

    def __init__(self, snapshot: HammingSnapshot, *, mapped: bool = False) -> None:
        self.snapshot = snapshot
        #: Mapped from a saved snapshot (shared with other processes): never merged away.
        self.mapped = mapped
        self.hidden: set[int] = set()
        self._hidden_array: npt.NDArray[np.int64] | None = None

    @property
    def live(self) -> int:
        return len(self.snapshot) - len(self.hidden)

    def hide(self, ids: Ids) -> None:
        present = ids[self.snapshot.positions(ids) >= 0]
        fresh = {int(i) for i in present} - self.hidden
        if fresh:
            self.hidden |= fresh
            self._hidden_array = None

    def visible(self, ids: Ids) -> npt.NDArray[np.bool_]:
        if not self.hidden:
            return np.ones(len(ids), dtype=bool)
        if self._hidden_array is None:
            self._hidden_array = np.fromiter(self.hidden, dtype=np.int64, count=len(self.hidden))
        return ~np.isin(ids, self._hidden_array)

    def live_rows(self) -> tuple[Ids, Codes]:
        return _rows_excluding(self.snapshot, self.hidden)


class MultiIndexHammingIndex(SignalIndex):
    def __init__(
        self,
        bits: int = 256,
        *,
        delta_limit: int = 4096,
        growth: int = 4,
        background: bool = True,
    ) -> None:
        self.bits = check_bits(bits)
        self.delta_limit = delta_limit
        self.growth = growth
        self.background = background
        self._levels: list[_Level] = []
        self._delta = BruteForceHammingIndex(bits)
        self._lock = threading.RLock()
        self._merging: threading.Thread | None = None
        self.merges = 0

    @classmethod
    def from_snapshot(cls, snapshot: HammingSnapshot, **options: Any) -> MultiIndexHammingIndex:
        index = cls(snapshot.bits, **options)
        if len(snapshot):
            index._levels.append(_Level(snapshot))
        return index

    @classmethod
    def open(cls, directory: Path, **options: Any) -> tuple[MultiIndexHammingIndex, dict[str, Any]]:
        """An index over the snapshot saved in `directory`, mapped read-only, and its extras."""
        snapshot, extra = HammingSnapshot.open(directory)
        index = cls(snapshot.bits, **options)
        if len(snapshot):
            index._levels.append(_Level(snapshot, mapped=True))
        return index, extra

    # Changes ---------------------------------------------------------------------------

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.add_codes(np.asarray(ids, dtype=np.int64), hex_to_words(values, self.bits))

    def add_codes(self, ids: Ids, codes: Codes) -> None:
        """Add rows of `codes` under `ids`; an id already present has its code replaced."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("duplicate ids in one add")
        codes = np.asarray(codes, dtype=np.uint64).reshape(len(ids), self.bits // 64)
        with self._lock:
            for level in self._levels:
                level.hide(ids)
            if len(ids) >= self.delta_limit:  # a bulk load: it becomes a level of its own
                self._delta.remove(ids.tolist())
                self._levels.append(_Level(HammingSnapshot.build(ids, codes, self.bits)))
                self._maybe_merge()
                return
            self._delta.add_codes(ids, codes)
            if len(self._delta) >= self.delta_limit:
                self._flush()

    def remove(self, ids: Iterable[int]) -> None:
        gone = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not len(gone):
            return
        with self._lock:
            self._delta.remove(gone.tolist())
            for level in self._levels:
                level.hide(gone)

    def _flush(self) -> None:
        ids, codes = self._delta.rows()
        self._levels.append(_Level(HammingSnapshot.build(ids, codes, self.bits)))
        self._delta = BruteForceHammingIndex(self.bits)
        self._maybe_merge()

    # Merging ---------------------------------------------------------------------------

    def _merge_start(self) -> int | None:
        """The first level of the suffix that should merge, if any."""
        sizes = [level.live for level in self._levels]
        first = sum(1 for level in self._levels if level.mapped)  # mapped levels come first
        for i in range(first, len(sizes) - 1):
            if sum(sizes[i + 1 :]) * self.growth >= sizes[i]:
                return i
        return None

    def _maybe_merge(self) -> None:
        if self._merging is not None:
            return
        start = self._merge_start()
        if start is None:
            return
        frozen = self._levels[start:]
        frozen_hidden = [set(level.hidden) for level in frozen]
        if not self.background:
            self._merge(start, frozen, frozen_hidden)
            return
        thread = threading.Thread(
            target=self._merge, args=(start, frozen, frozen_hidden), daemon=True, name="index-merge"
        )
        self._merging = thread
        thread.start()

    def _merge(self, start: int, frozen: list[_Level], frozen_hidden: list[set[int]]) -> None:
        try:
            parts = [
                _rows_excluding(level.snapshot, hidden)
                for level, hidden in zip(frozen, frozen_hidden, strict=True)
            ]
            ids = np.concatenate([p[0] for p in parts])
            codes = np.concatenate([p[1] for p in parts])
            merged = _Level(HammingSnapshot.build(ids, codes, self.bits))
            with self._lock:
                # Ids hidden while the merge ran were in the merged rows: hide them there too.
                for level, before in zip(frozen, frozen_hidden, strict=True):
                    merged.hidden |= level.hidden - before
                self._levels[start : start + len(frozen)] = [merged] if len(merged.snapshot) else []
                self.merges += 1
        except Exception:  # the old levels stay in place, so answers stay right
            log.exception("index merge failed")
        finally:
            with self._lock:
                self._merging = None
                self._maybe_merge()

    def wait(self) -> None:
        """Wait until no merge is running (tests, and before saving)."""
        while True:
            with self._lock:
                thread = self._merging
            if thread is None:
                return
            thread.join()

    # Queries ---------------------------------------------------------------------------

    def search(self, query: Codes, radius: int) -> tuple[Ids, npt.NDArray[np.int64]]:
        """(ids, distances) of every code within `radius` of `query` (one row), any order."""
        query = np.asarray(query, dtype=np.uint64)
        found_ids, found_dist = [], []
        with self._lock:
            for level in self._levels:
                ids, dist = level.snapshot.search(query, radius)
                if len(ids):
                    keep = level.visible(ids)
                    found_ids.append(ids[keep])
                    found_dist.append(dist[keep])
            ids, dist = self._delta.search(query, radius)
            found_ids.append(ids)
            found_dist.append(dist)
        return np.concatenate(found_ids), np.concatenate(found_dist)

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        ids, dist = self.search(hex_to_words([value], self.bits)[0], threshold)
        return sorted(IndexHit(int(d), int(i)) for i, d in zip(ids, dist, strict=True))

    def code_of(self, id: int) -> Codes | None:
        with self._lock:
            code = self._delta.code_of(id)
            if code is not None:
                return code
            for level in reversed(self._levels):
                if id not in level.hidden:
                    code = level.snapshot.code_of(id)
                    if code is not None:
                        return code
        return None

    def value(self, id: int) -> str:
        code = self.code_of(id)
        if code is None:
            raise KeyError(id)
        return words_to_hex(code)

    def __len__(self) -> int:
        with self._lock:
            return sum(level.live for level in self._levels) + len(self._delta)

    @property
    def private_size(self) -> int:
        """Codes held in this process's memory rather than in mapped snapshots."""
        with self._lock:
            return sum(len(x.snapshot) for x in self._levels if not x.mapped) + len(self._delta)

    @property
    def levels(self) -> list[int]:
        """Codes held by each level, oldest first, then the delta (for status and tests)."""
        with self._lock:
            return [len(level.snapshot) for level in self._levels] + [len(self._delta)]

    # Saving ----------------------------------------------------------------------------

    def snapshot(self) -> HammingSnapshot:
        """Everything live, as one snapshot."""
        with self._lock:
            parts = [level.live_rows() for level in self._levels] + [self._delta.rows()]
        ids = np.concatenate([p[0] for p in parts])
        codes = np.concatenate([p[1] for p in parts])
        return HammingSnapshot.build(ids, codes, self.bits)

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> None:
        """Write everything live to `directory` as one snapshot (see `open()`)."""
        self.snapshot().save(directory, extra)


def _rows_excluding(snapshot: HammingSnapshot, hidden: set[int]) -> tuple[Ids, Codes]:
    ids, codes = snapshot.rows()
    if not hidden:
        return ids, codes
    keep = ~np.isin(ids, np.fromiter(hidden, dtype=np.int64, count=len(hidden)))
    return ids[keep], codes[keep]
