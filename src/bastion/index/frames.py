"""`FrameIndex`: videos held as their vPDQ frame hashes, each frame pointing at its video.

Every good-quality frame of every video goes into one fast Hamming index under a key made of
the video's id and the frame's position (``id << FRAME_BITS | position``), so a query video's
frames are each looked up once and the hits grouped back into videos. The frames themselves
are kept per video, for the shares and time segments of `bastion.vpdq.summarise`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.codes import hex_to_words
from bastion.index.multi import MultiIndexHammingIndex
from bastion.signals import VpdqFeature, VpdqSignal
from bastion.signals.vpdq import MAX_FRAMES

#: Bits of a frame key that hold the frame's position in its video.
FRAME_BITS = MAX_FRAMES.bit_length() - 1
#: Matching frame pairs of one video: (query position, bank position, distance).
FramePairs = list[tuple[int, int, int]]


class FrameIndex(SignalIndex):
    """vPDQ values by id; frames below `min_quality` are kept but never looked up."""

    def __init__(self, min_quality: int = 50) -> None:
        self.min_quality = min_quality
        self._frames = MultiIndexHammingIndex(bits=256)
        self._videos: dict[int, list[VpdqFeature]] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.remove(ids)
        keys: list[int] = []
        hashes: list[str] = []
        for video_id, value in zip(ids, values, strict=True):
            if not 0 <= video_id < 1 << (63 - FRAME_BITS):
                raise ValueError(f"video id {video_id} does not fit a frame key")
            features = VpdqSignal.parse(value)
            self._videos[video_id] = features
            for position, feature in enumerate(features):
                if feature.quality >= self.min_quality:
                    keys.append(video_id << FRAME_BITS | position)
                    hashes.append(feature.hash)
        if keys:
            self._frames.add_codes(np.asarray(keys, dtype=np.int64), hex_to_words(hashes, 256))

    def remove(self, ids: Iterable[int]) -> None:
        keys: list[int] = []
        for video_id in ids:
            features = self._videos.pop(video_id, None)
            if features is not None:
                keys.extend(video_id << FRAME_BITS | p for p in range(len(features)))
        if keys:
            self._frames.remove(keys)

    def frame_pairs(self, query: Sequence[VpdqFeature], threshold: int) -> dict[int, FramePairs]:
        """Per video id, every pair of a good query frame and a frame within `threshold`."""
        positions: dict[str, list[int]] = {}
        for position, feature in enumerate(query):
            if feature.quality >= self.min_quality:
                positions.setdefault(feature.hash, []).append(position)
        found: dict[int, FramePairs] = {}
        if not positions:
            return found
        codes = hex_to_words(list(positions), 256)
        for code, query_positions in zip(codes, positions.values(), strict=True):
            keys, dist = self._frames.search(code, threshold)
            for key, d in zip(keys.tolist(), dist.tolist(), strict=True):
                pairs = found.setdefault(key >> FRAME_BITS, [])
                bank_position = key & ((1 << FRAME_BITS) - 1)
                pairs.extend((q, bank_position, d) for q in query_positions)
        return found

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        """Videos with a frame within `threshold` of one of `value`'s, by closest frame."""
        pairs = self.frame_pairs(VpdqSignal.parse(value), threshold)
        return sorted(IndexHit(min(d for *_, d in p), i) for i, p in pairs.items())

    def features(self, id: int) -> list[VpdqFeature]:
        """The frames stored under `id` (KeyError if absent)."""
        return self._videos[id]

    def value(self, id: int) -> str:
        return VpdqSignal.serialize(self._videos[id])

    @property
    def frame_count(self) -> int:
        """Frames that can be looked up."""
        return len(self._frames)

    def __len__(self) -> int:
        return len(self._videos)
