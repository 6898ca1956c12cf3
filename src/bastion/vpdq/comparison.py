"""Comparing two videos' vPDQ frames: how much of each matches, and where.

As in Meta's vPDQ matcher, frames below a PDQ quality are dropped and repeated hashes count
once; each side's share is the part of its distinct hashes that have a hash on the other side
within the frame distance. A video matches when the query's share and the bank video's share
reach their thresholds (Meta's defaults: 80% and 0%), so a clip cut from a bank video matches
it, while a long upload that merely contains a few of its frames does not.

`summarise` works from the matching frame pairs however they were found (the frame index, or
the brute force of `compare_videos`) and also says where the videos agree: runs of query
frames whose best match keeps a steady offset into the bank video ("seconds 12-40 of the
upload match seconds 0-28 of the bank video").
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bastion.index.codes import distances, hex_to_words
from bastion.vpdq.features import VpdqFeature

#: (query frame position, bank frame position, PDQ distance) of two frames that match.
FramePair = tuple[int, int, int]
#: Segments reported per compared pair at most (the longest are kept).
MAX_SEGMENTS = 50


@dataclass(frozen=True)
class Segment:
    """A stretch of the query that matches a stretch of the bank video, in seconds."""

    query_start: float
    query_end: float
    bank_start: float
    bank_end: float
    #: Query frames in the stretch that matched.
    frames: int

    def __str__(self) -> str:
        return (
            f"seconds {self.query_start:g}-{self.query_end:g} match seconds "
            f"{self.bank_start:g}-{self.bank_end:g}"
        )


@dataclass(frozen=True)
class VideoComparison:
    """How a query video compares with one bank video."""

    #: Share (0-1) of the query's distinct good-quality frame hashes with a match.
    query_share: float
    #: Share (0-1) of the bank video's distinct good-quality frame hashes with a match.
    bank_share: float
    #: Smallest distance between a query frame and a bank frame (257 when none matched).
    distance: int
    #: Where the two agree, in query order.
    segments: tuple[Segment, ...]

    def passes(self, query_percent: float, bank_percent: float) -> bool:
        """Whether both shares reach their thresholds (in percent), with a frame matching."""
        return (
            bool(self.segments)
            and self.query_share * 100 >= query_percent - 1e-9
            and self.bank_share * 100 >= bank_percent - 1e-9
        )


def compare_videos(
    query: Sequence[VpdqFeature],
    bank: Sequence[VpdqFeature],
    *,
    threshold: int = 31,
    min_quality: int = 50,
) -> VideoComparison:
    """Compare every good query frame with every good bank frame (the brute-force reference)."""
    good_q = [i for i, f in enumerate(query) if f.quality >= min_quality]
    good_b = [i for i, f in enumerate(bank) if f.quality >= min_quality]
    pairs: list[FramePair] = []
    if good_q and good_b:
        bank_codes = hex_to_words([bank[i].hash for i in good_b], 256)
        query_codes = hex_to_words([query[i].hash for i in good_q], 256)
        for qi, code in zip(good_q, query_codes, strict=True):
            found = distances(bank_codes, code)
            pairs.extend(
                (qi, good_b[int(j)], int(found[j])) for j in np.flatnonzero(found <= threshold)
            )
    return summarise(query, bank, pairs, min_quality=min_quality)


def summarise(
    query: Sequence[VpdqFeature],
    bank: Sequence[VpdqFeature],
    pairs: Sequence[FramePair],
    *,
    min_quality: int = 50,
) -> VideoComparison:
    """The shares and segments given every matching pair of good-quality frames."""
    pairs = [
        p for p in pairs if query[p[0]].quality >= min_quality and bank[p[1]].quality >= min_quality
    ]
    query_hashes = {f.hash for f in query if f.quality >= min_quality}
    bank_hashes = {f.hash for f in bank if f.quality >= min_quality}
    matched_query = {query[q].hash for q, _, _ in pairs}
    matched_bank = {bank[b].hash for _, b, _ in pairs}
    return VideoComparison(
        query_share=len(matched_query) / len(query_hashes) if query_hashes else 0.0,
        bank_share=len(matched_bank) / len(bank_hashes) if bank_hashes else 0.0,
        distance=min((d for _, _, d in pairs), default=257),
        segments=_segments(query, bank, pairs),
    )


def _segments(
    query: Sequence[VpdqFeature], bank: Sequence[VpdqFeature], pairs: Sequence[FramePair]
) -> tuple[Segment, ...]:
    by_query: dict[int, list[tuple[int, int]]] = {}
    for q, b, d in pairs:
        by_query.setdefault(q, []).append((d, b))
    if not by_query:
        return ()
    times = sorted(f.seconds for f in query)
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    step = statistics.median(steps) if steps else 1.0
    # A gap of more than a couple of samples, or a jump in the offset into the bank video
    # (a cut, a reordering), starts a new segment.
    max_gap, tolerance = 2.5 * step, max(1.0, 2.0 * step)
    runs: list[list[tuple[float, float]]] = []
    offset = 0.0
    for q in sorted(by_query, key=lambda i: query[i].seconds):
        t = query[q].seconds
        # The nearest bank frame; among equals, the one that keeps the current offset.
        _, b = min(
            by_query[q],
            key=lambda db: (db[0], abs(bank[db[1]].seconds - t - offset), bank[db[1]].seconds),
        )
        bt = bank[b].seconds
        if not runs or t - runs[-1][-1][0] > max_gap or abs(bt - t - offset) > tolerance:
            runs.append([])
        runs[-1].append((t, bt))
        offset = bt - t
    found = [
        Segment(
            query_start=run[0][0],
            query_end=run[-1][0],
            bank_start=min(bt for _, bt in run),
            bank_end=max(bt for _, bt in run),
            frames=len(run),
        )
        for run in runs
    ]
    if len(found) > MAX_SEGMENTS:
        kept = sorted(found, key=lambda s: s.frames, reverse=True)[:MAX_SEGMENTS]
        found = sorted(kept, key=lambda s: s.query_start)
    return tuple(found)
