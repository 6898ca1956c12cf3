"""`TmkIndex`: TMK+PDQF descriptors, searched by their level-1 (average feature) cosine.

Only each descriptor's normalised average frame feature is kept (1 KB, against about 260 KB
for the whole descriptor), in one matrix searched with a single product. The level-2 score of
the few videos that pass level 1 needs their whole descriptors, which the caller reads from
the store (see `Matcher`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from bastion.index.base import IndexHit, SignalIndex
from bastion.signals import TmkPdqfSignal
from bastion.tmk import TmkFeatures

Vectors = npt.NDArray[np.float32]


class TmkIndex(SignalIndex):
    def __init__(self) -> None:
        self._vectors: dict[int, Vectors] = {}
        self._matrix: Vectors | None = None
        self._ids: npt.NDArray[np.int64] = np.empty(0, np.int64)

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        for tmk_id, value in zip(ids, values, strict=True):
            self._vectors[tmk_id] = _unit(TmkPdqfSignal.decode(value))
        self._matrix = None

    def remove(self, ids: Iterable[int]) -> None:
        for tmk_id in ids:
            if self._vectors.pop(tmk_id, None) is not None:
                self._matrix = None

    def level1(self, query: TmkFeatures, threshold: float) -> list[tuple[int, float]]:
        """(id, level-1 score) of every descriptor scoring at least `threshold`, best first."""
        if not self._vectors:
            return []
        if self._matrix is None:
            self._ids = np.fromiter(self._vectors, dtype=np.int64, count=len(self._vectors))
            self._matrix = np.stack(list(self._vectors.values()))
        vector = _unit(query)
        if len(vector) != self._matrix.shape[1]:
            return []
        scores = self._matrix @ vector
        hits = np.flatnonzero(scores >= threshold)
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return [(int(self._ids[i]), float(scores[i])) for i in order]

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        """Descriptors whose level-1 score is at least `threshold` percent; the distance is
        100 minus the score in percent."""
        found = self.level1(TmkPdqfSignal.decode(value), threshold / 100)
        return [IndexHit(round(100 - 100 * score), i) for i, score in found]

    def __len__(self) -> int:
        return len(self._vectors)


def _unit(features: TmkFeatures) -> Vectors:
    vector = features.pure_average.astype(np.float64)
    norm = float(np.linalg.norm(vector))
    unit: Vectors = (vector / norm if norm > 0 else vector).astype(np.float32)
    return unit
