"""`vpdq`: Meta's video hash, the PDQ hashes of a video's sampled frames with their times.

A value is the exchange form python-threatexchange and HMA use: a JSON list with one string
per frame, ``"<pdq hex>,<quality>,<seconds>"``, in frame order. Any such list is read (their
writer rounds times to three significant digits); the canonical form written back gives
times to the millisecond and has no spaces.

Bank videos are held in a `FrameIndex`; a bank video is a candidate when some of its frames
are near the query's, and it matches when the shares of frames that match pass the
configured percentages (`bastion.vpdq.summarise`), as in Meta's vPDQ matcher.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence

import av
import numpy as np

from bastion.errors import InvalidSignalError
from bastion.index import IndexHit, MultiIndexHammingIndex, SignalIndex, hex_to_words
from bastion.media.video import VideoLimits
from bastion.signals.base import (
    Candidate,
    Content,
    Deferred,
    ImageHash,
    MatchKind,
    Signal,
    SignalType,
    Verdict,
)
from bastion.signals.options import HashingOptions, MatchingOptions
from bastion.signals.pdq import PdqSignal
from bastion.vpdq import VpdqFeature, VpdqHasher, summarise

#: Most frames one vPDQ value may hold: 12 days at one frame a second.
MAX_FRAMES = 1 << 20
#: Frames below this PDQ quality are left out of matching, as in Meta's vPDQ.
DEFAULT_MIN_QUALITY = 50
#: Bits of a frame key that hold the frame's position in its video.
FRAME_BITS = MAX_FRAMES.bit_length() - 1
#: Matching frame pairs of one video: (query position, bank position, distance).
FramePairs = list[tuple[int, int, int]]


class VpdqSignal(SignalType):
    name = "vpdq"
    description = (
        "vPDQ video hash: PDQ hashes of frames sampled (by default) once a second; a video "
        "matches when enough of its frames match a bank video's frames, so clips match too."
    )
    match_kind = MatchKind.FRAMES
    #: Largest PDQ distance at which two frames match.
    default_threshold = 31
    max_distance = 256
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
        hasher = VpdqHasher(
            stream,
            seconds_per_hash=options.vpdq_seconds_per_hash,
            mode=options.pdq_mode,
            limits=limits,
        )
        return _VideoHasher(hasher)

    @classmethod
    def from_frame(cls, frame: Mapping[str, ImageHash]) -> Signal | None:
        pdq = frame.get(PdqSignal.name)
        if pdq is None or pdq.signal.quality is None:
            return None
        return Signal(
            cls.name, cls.serialize([VpdqFeature(pdq.signal.value, pdq.signal.quality, 0.0)])
        )

    @classmethod
    def new_index(cls, options: MatchingOptions) -> FrameIndex:
        return FrameIndex(min_quality=options.pdq_min_quality)

    @classmethod
    def candidates(
        cls, index: SignalIndex, value: str, threshold: int, options: MatchingOptions
    ) -> tuple[list[Candidate], list[Deferred]]:
        """Bank videos with frames near the query's, each judged by vPDQ's shares."""
        assert isinstance(index, FrameIndex)
        query = cls.parse(value)
        found: list[Candidate] = [
            (
                IndexHit(min(d for *_, d in pairs), video_id),
                functools.partial(_judge, query, index.features(video_id), pairs, options),
            )
            for video_id, pairs in index.frame_pairs(query, threshold).items()
        ]
        return found, []

    @classmethod
    def normalize(cls, value: str) -> str:
        return cls.serialize(cls.parse(value))

    @classmethod
    def parse(cls, value: str) -> list[VpdqFeature]:
        """The frames of a vPDQ value; raises `InvalidSignalError` on anything malformed."""
        if not isinstance(value, str):
            raise InvalidSignalError(f"vpdq: expected a JSON list, got {type(value).__name__}")
        try:
            items = json.loads(value)
        except (ValueError, RecursionError):
            raise InvalidSignalError("vpdq: the value is not JSON") from None
        if not isinstance(items, list):
            raise InvalidSignalError("vpdq: expected a JSON list of frame strings")
        if not items:
            raise InvalidSignalError("vpdq: the value holds no frames")
        if len(items) > MAX_FRAMES:
            raise InvalidSignalError(f"vpdq: more than {MAX_FRAMES:,} frames")
        return [_feature(item, number) for number, item in enumerate(items)]

    @classmethod
    def serialize(cls, features: Sequence[VpdqFeature]) -> str:
        return json.dumps([str(f) for f in features], separators=(",", ":"))

    @classmethod
    def examples(cls) -> list[str]:
        # Two short "videos" whose frames are the benign PDQ examples.
        bridge, pen = PdqSignal.examples()
        return [
            cls.serialize([VpdqFeature(bridge, 100, 0.0), VpdqFeature(pen, 100, 1.0)]),
            cls.serialize([VpdqFeature(pen, 100, 0.0), VpdqFeature(pen, 100, 1.0)]),
        ]


def _feature(item: object, number: int) -> VpdqFeature:
    where = f"vpdq frame {number}"
    if not isinstance(item, str):
        raise InvalidSignalError(f"{where}: expected a string 'hash,quality,seconds'")
    parts = item.split(",")
    if len(parts) != 3:
        raise InvalidSignalError(f"{where}: expected 'hash,quality,seconds', got {item[:80]!r}")
    try:
        digest = PdqSignal.normalize(parts[0])
    except InvalidSignalError as e:
        raise InvalidSignalError(f"{where}: {e}") from None
    try:
        quality, seconds = int(parts[1]), float(parts[2])
    except ValueError:
        raise InvalidSignalError(f"{where}: quality and seconds must be numbers") from None
    if not 0 <= quality <= 100:
        raise InvalidSignalError(f"{where}: quality must be 0-100, not {quality}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidSignalError(f"{where}: seconds must be a time of 0 or more")
    return VpdqFeature(digest, quality, seconds)


def _judge(
    query: list[VpdqFeature],
    bank: list[VpdqFeature],
    pairs: FramePairs,
    options: MatchingOptions,
    limit: int,
) -> Verdict | None:
    """A bank video's verdict: its frame pairs within `limit`, against vPDQ's shares."""
    comparison = summarise(
        query, bank, [p for p in pairs if p[2] <= limit], min_quality=options.pdq_min_quality
    )
    if not comparison.passes(options.vpdq_query_match_percent, options.vpdq_bank_match_percent):
        return None
    return comparison.distance, None, comparison


class _VideoHasher:
    """A video's vPDQ signal, and a second of its frames without black bars when most had
    them (so that a copy with the bars added or cut still matches)."""

    def __init__(self, hasher: VpdqHasher) -> None:
        self._hasher = hasher

    def add(self, index: int, frame: av.VideoFrame) -> None:
        self._hasher.add(index, frame)

    def signals(self) -> list[Signal]:
        hashes = self._hasher.result()
        return [
            Signal(VpdqSignal.name, VpdqSignal.serialize([f.feature for f in frames]))
            for frames in (hashes.frames, hashes.trimmed)
            if frames is not None
        ]


class FrameIndex(SignalIndex):
    """vPDQ values by id; frames below `min_quality` are kept but never looked up.

    Every good-quality frame of every video goes into one fast Hamming index under a key
    made of the video's id and the frame's position (``id << FRAME_BITS | position``), so a
    query video's frames are each looked up once and the hits grouped back into videos. The
    frames themselves are kept per video, for the shares and time segments of
    `bastion.vpdq.summarise`.
    """

    def __init__(self, min_quality: int = DEFAULT_MIN_QUALITY) -> None:
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
