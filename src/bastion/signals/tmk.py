"""`tmk_pdqf`: Meta's TMK+PDQF whole-video descriptor, scored by similarity.

A value is the reference ``.tmk`` file (as Meta's ``tmk-hash-video`` writes it and NCMEC
shares it) in standard base64. Two videos match when the cosine of their average frame
features (level 1) and their time-aligned score (level 2) both pass their thresholds.

Bank descriptors are held in a `TmkIndex` (their level-1 vectors only); the level-2 score of
the few that pass level 1 needs their whole descriptors, read from the store by the matcher
outside its lock (the deferred work of `TmkPdqfSignal.candidates`).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Iterable, Sequence

import av
import numpy as np
import numpy.typing as npt

from bastion.errors import InvalidSignalError
from bastion.index import IndexHit, SignalIndex
from bastion.media.video import VideoLimits
from bastion.signals.base import (
    Candidate,
    Content,
    Deferred,
    MatchKind,
    Signal,
    SignalType,
    ValueReader,
    Verdict,
)
from bastion.signals.options import HashingOptions, MatchingOptions
from bastion.tmk import TmkBuilder, TmkFeatures, TmkHasher, level2_score

#: Longest base64 value accepted: the reference layout is about 350 KB in base64.
MAX_VALUE_LENGTH = 4 * 1024 * 1024


class TmkPdqfSignal(SignalType):
    name = "tmk_pdqf"
    description = (
        "TMK+PDQF video descriptor (Meta's reference .tmk file, base64); matches whole "
        "videos that were re-encoded, resized or lightly edited."
    )
    match_kind = MatchKind.SIMILARITY
    content = frozenset({Content.VIDEO})
    long_values = True

    @classmethod
    def video_hasher(
        cls,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        limits: VideoLimits,
        options: HashingOptions,
    ) -> _VideoHasher:
        return _VideoHasher(TmkHasher(container, stream, limits=limits))

    @classmethod
    def new_index(cls, options: MatchingOptions) -> TmkIndex:
        return TmkIndex()

    @classmethod
    def candidates(
        cls, index: SignalIndex, value: str, threshold: int, options: MatchingOptions
    ) -> tuple[list[Candidate], list[Deferred]]:
        """Bank videos passing level 1 (in memory), and the work that reads those and
        judges them by level 2."""
        assert isinstance(index, TmkIndex)
        query = cls.decode(value)
        level1 = [tmk_id for tmk_id, _ in index.level1(query, options.tmk_level1_threshold)]
        if not level1:
            return [], []
        return [], [functools.partial(_level2, query, level1, options.tmk_level2_threshold)]

    @classmethod
    def normalize(cls, value: str) -> str:
        return cls.encode(cls.decode(value))

    @classmethod
    def decode(cls, value: str) -> TmkFeatures:
        """The descriptor in a value; raises `InvalidSignalError` (or `InvalidTmkError`)."""
        if not isinstance(value, str):
            raise InvalidSignalError(f"tmk_pdqf: expected base64 text, got {type(value).__name__}")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidSignalError(f"tmk_pdqf: longer than {MAX_VALUE_LENGTH:,} characters")
        try:
            data = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSignalError("tmk_pdqf: the value is not base64") from None
        return TmkFeatures.from_bytes(data)

    @classmethod
    def encode(cls, features: TmkFeatures) -> str:
        return base64.b64encode(features.to_bytes()).decode("ascii")

    @classmethod
    def examples(cls) -> list[str]:
        return list(_examples())


@functools.cache
def _examples() -> tuple[str, ...]:
    # Descriptors of two synthetic frame sequences (seeded noise, no media involved).
    found = []
    for seed in (1, 2):
        builder = TmkBuilder()
        for feature in np.random.default_rng(seed).normal(size=(30, 256)):
            builder.add_frame(feature)
        found.append(TmkPdqfSignal.encode(builder.finish()))
    return tuple(found)


def _level2(
    query: TmkFeatures, level1: list[int], threshold: float, read: ValueReader
) -> list[Candidate]:
    found: list[Candidate] = []
    values = read(level1)
    for tmk_id in level1:
        if tmk_id not in values:
            continue
        score = level2_score(query, TmkPdqfSignal.decode(values[tmk_id]))
        if score >= threshold:
            found.append((IndexHit(0, tmk_id), functools.partial(_scored, score)))
    return found


def _scored(score: float, limit: int) -> Verdict:
    """The verdict of a similarity hit, the same under every bank's threshold."""
    return 0, score, None


class _VideoHasher:
    def __init__(self, hasher: TmkHasher) -> None:
        self._hasher = hasher

    def add(self, index: int, frame: av.VideoFrame) -> None:
        self._hasher.add(index, frame)

    def signals(self) -> list[Signal]:
        return [Signal(TmkPdqfSignal.name, TmkPdqfSignal.encode(self._hasher.result()))]


Vectors = npt.NDArray[np.float32]


class TmkIndex(SignalIndex):
    """TMK+PDQF descriptors, searched by their level-1 (average feature) cosine. Only each
    descriptor's normalised average frame feature is kept (1 KB, against about 260 KB for
    the whole descriptor), in one matrix searched with a single product."""

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
