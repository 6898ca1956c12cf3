"""Bank images' keypoints, found again by votes and confirmed by their geometry.

`KeypointIndex` keeps every entry's keypoints (positions and descriptors, for the
geometric check in memory) and an inverted map from descriptor chunks to entries: each
256-bit descriptor is cut into `CHUNKS` chunks of 32 bits, and for each chunk position a
sorted array of (chunk value, entry) pairs. A query's keypoints look up their chunks; an
entry's votes are the query keypoints that share at least one chunk (at its position) with
one of the entry's keypoints. Chunk values that many entries hold (flat skies, repeated
texture: ORB's bits are far from independent) say nothing and are skipped: those held by
more than `common_limit(entries)` entries. The `MAX_CANDIDATES` entries with the most votes,
at least `MIN_VOTES`, are checked geometrically (`bastion.keypoints.geometry`).

Memory per entry with 200 keypoints: 7.2 KB of keypoints (32-byte descriptor and two
float32 a keypoint) and 12.8 KB of postings (8 chunks x 200 x 4-byte value and 4-byte
entry row), about 20 KB; the postings are rebuilt on the first query after a change.

`BruteForceKeypointIndex` is the reference: it counts the same votes by comparing the
query's chunks with every entry's, and checks the same candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.keypoints.features import Keypoints

#: Each descriptor is cut into this many 32-bit chunks.
CHUNKS = 8
#: Fewest votes that make an entry a candidate.
MIN_VOTES = 6
#: Most candidates checked geometrically per query (the best voted): bounds the cost of a
#: query and the chances of a false match, however large the bank.
MAX_CANDIDATES = 16
#: A chunk value held by more than this share of the entries (and more than
#: `COMMON_MIN_ENTRIES`) is skipped.
COMMON_SHARE = 0.05
COMMON_MIN_ENTRIES = 2

Chunks = npt.NDArray[np.uint32]


def common_limit(entries: int) -> int:
    """Most entries a chunk value may be held by and still vote."""
    return max(COMMON_MIN_ENTRIES, int(entries * COMMON_SHARE))


def chunks(keypoints: Keypoints) -> Chunks:
    """Each descriptor's chunks (n x `CHUNKS`)."""
    return keypoints.descriptors.view(np.uint32).reshape(len(keypoints), CHUNKS)


class KeypointIndex:
    """Entries' keypoints by id, with the inverted chunk map (see the module docstring)."""

    def __init__(self) -> None:
        self._entries: dict[int, Keypoints] = {}
        self._built: _Postings | None = None

    def add(self, ids: Sequence[int], values: Sequence[Keypoints]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self._entries.update(zip(ids, values, strict=True))
        self._built = None

    def remove(self, ids: Iterable[int]) -> None:
        for entry_id in ids:
            if self._entries.pop(entry_id, None) is not None:
                self._built = None

    def keypoints(self, entry_id: int) -> Keypoints:
        return self._entries[entry_id]

    def votes(self, query: Keypoints) -> dict[int, int]:
        """Votes per entry id, for the entries with any."""
        if not self._entries or not len(query):
            return {}
        if self._built is None:
            self._built = _Postings.of(self._entries)
        return self._built.votes(chunks(query), common_limit(len(self._entries)))

    def candidates(self, query: Keypoints) -> list[tuple[int, int]]:
        """(id, votes) of the entries to check, most votes first (ties by id)."""
        return best_voted(self.votes(query))

    def __len__(self) -> int:
        return len(self._entries)

    def __sizeof__(self) -> int:
        """Bytes held by keypoints and postings (the arrays; not Python's per-object cost)."""
        held = sum(k.points.nbytes + k.descriptors.nbytes for k in self._entries.values())
        return held + (self._built.nbytes if self._built is not None else 0)


class BruteForceKeypointIndex(KeypointIndex):
    """The reference: votes counted against every entry's chunks directly."""

    def votes(self, query: Keypoints) -> dict[int, int]:
        if not self._entries or not len(query):
            return {}
        asked = chunks(query)
        holders: dict[tuple[int, int], set[int]] = {}
        for entry_id, keypoints in self._entries.items():
            for position, column in enumerate(chunks(keypoints).T):
                for value in set(column.tolist()):
                    holders.setdefault((position, value), set()).add(entry_id)
        limit = common_limit(len(self._entries))
        found: dict[int, int] = {}
        for entry_id in self._entries:
            voters = 0
            for row in asked:
                if any(
                    entry_id in holders.get((p, v), ()) and len(holders[(p, v)]) <= limit
                    for p, v in enumerate(row.tolist())
                ):
                    voters += 1
            if voters:
                found[entry_id] = voters
        return found


def best_voted(votes: dict[int, int]) -> list[tuple[int, int]]:
    ranked = sorted(
        ((n, i) for i, n in votes.items() if n >= MIN_VOTES), key=lambda p: (-p[0], p[1])
    )
    return [(i, n) for n, i in ranked[:MAX_CANDIDATES]]


@dataclass(frozen=True)
class _Postings:
    """For each chunk position, its (value, entry row) pairs sorted by value."""

    ids: npt.NDArray[np.int64]
    values: tuple[Chunks, ...]
    rows: tuple[npt.NDArray[np.int32], ...]

    @classmethod
    def of(cls, entries: dict[int, Keypoints]) -> _Postings:
        ids = np.fromiter(entries, dtype=np.int64, count=len(entries))
        all_chunks = [chunks(k) for k in entries.values()]
        owner = np.concatenate([np.full(len(c), row, np.int32) for row, c in enumerate(all_chunks)])
        stacked = np.concatenate(all_chunks) if all_chunks else np.empty((0, CHUNKS), np.uint32)
        values, rows = [], []
        for position in range(CHUNKS):
            # One posting per (value, entry): an entry's repeated chunk votes once.
            pairs = np.unique(
                (stacked[:, position].astype(np.uint64) << np.uint64(32)) | owner.astype(np.uint64)
            )
            values.append((pairs >> np.uint64(32)).astype(np.uint32))
            rows.append((pairs & np.uint64(0xFFFFFFFF)).astype(np.int32))
        return cls(ids, tuple(values), tuple(rows))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (*self.values, *self.rows)) + self.ids.nbytes

    def votes(self, asked: Chunks, limit: int) -> dict[int, int]:
        voters: list[npt.NDArray[np.int64]] = []
        for position in range(CHUNKS):
            values = self.values[position]
            start = np.searchsorted(values, asked[:, position], side="left")
            stop = np.searchsorted(values, asked[:, position], side="right")
            for keypoint in np.flatnonzero(stop > start):
                lo, hi = int(start[keypoint]), int(stop[keypoint])
                if hi - lo > limit:  # postings are one per entry: hi - lo entries hold it
                    continue
                rows = self.rows[position][lo:hi].astype(np.int64)
                voters.append(rows * len(asked) + keypoint)
        if not voters:
            return {}
        rows = np.unique(np.concatenate(voters)) // len(asked)
        counted = np.bincount(rows)
        return {int(self.ids[r]): int(n) for r, n in enumerate(counted) if n}
