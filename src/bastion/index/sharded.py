"""`ShardedIndex`: a Hamming index split into shards by id, for banks larger than one machine.

Each id belongs to one shard, chosen by jump consistent hashing (Lamport and Veach, "A fast,
minimal memory, consistent hash algorithm"): growing from n to n + 1 shards moves only the ids
that now belong to the new shard, about 1/(n + 1) of them, and no id moves between two old
shards. Each shard is an immutable `HammingSnapshot` saved in its own directory, so the process
serving it maps it read-only (pages shared with every process on that machine that maps it).

A query goes to every shard, and the answers are merged. A code's shard depends on its id, not
its value, so any shard may hold a code near the query. Each shard's answer is exact, so the
union is exactly what one index over all the codes would answer: the tests hold the two equal on
random and clustered data. A query's time is that of the slowest shard plus the fan-out; a
shard of N/k codes answers faster than one index of N (fewer candidates per probe), and the
shards answer at the same time, on their own cores or machines.

Shards are local (`LocalShard`, a mapped snapshot queried in a thread of this process) or
served by Dask actors (`serve`, one `ShardServer` per shard placed on the cluster's workers).
Both answer `search_many`, a batch of queries per call, so a remote shard costs one round trip
per batch rather than per query.

The arithmetic for a billion hashes is in docs/scans.md ("A sharded index").
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bastion.index.codes import Codes, Ids, check_bits
from bastion.index.snapshot import Found, HammingSnapshot

FORMAT = "bastion-sharded-index/1"
_JUMP = np.uint64(2862933555777941757)


def shard_of(ids: Ids, shards: int) -> npt.NDArray[np.int64]:
    """The shard (0 to `shards` - 1) of each id: jump consistent hashing, vectorised."""
    if shards < 1:
        raise ValueError("shards must be 1 or more")
    key = np.asarray(ids, dtype=np.int64).astype(np.uint64)
    chosen = np.full(key.shape, -1, dtype=np.int64)
    jump = np.zeros(key.shape, dtype=np.int64)
    live = np.ones(key.shape, dtype=bool)
    with np.errstate(over="ignore"):
        while live.any():
            chosen[live] = jump[live]
            key[live] = key[live] * _JUMP + np.uint64(1)
            step = (chosen[live] + 1).astype(np.float64) * (
                float(1 << 31) / ((key[live] >> np.uint64(33)).astype(np.float64) + 1.0)
            )
            jump[live] = np.floor(step).astype(np.int64)
            live &= jump < shards
    return chosen


def shards_for(count: int, max_per_shard: int) -> int:
    """How many shards `count` codes need at `max_per_shard` each (at least one)."""
    if max_per_shard < 1:
        raise ValueError("max_per_shard must be 1 or more")
    return max(1, math.ceil(count / max_per_shard))


class Shard(Protocol):
    """One shard: answers a batch of queries within a radius, each with (ids, distances)."""

    def search_many(self, queries: Codes, radius: int) -> list[Found]: ...

    def __len__(self) -> int: ...


class LocalShard:
    """A shard in this process: a (usually mapped) snapshot."""

    def __init__(self, snapshot: HammingSnapshot) -> None:
        self.snapshot = snapshot

    def search_many(self, queries: Codes, radius: int) -> list[Found]:
        return [self.snapshot.search(q, radius) for q in np.atleast_2d(queries)]

    def __len__(self) -> int:
        return len(self.snapshot)


@dataclass(frozen=True)
class Growth:
    """What growing a saved index did: shards before and after, and ids moved."""

    shards_before: int
    shards_after: int
    moved: int
    total: int


class ShardedIndex:
    """Codes of `bits` bits in shards by id; exact range search over all of them."""

    def __init__(self, shards: Sequence[Shard], bits: int) -> None:
        if not shards:
            raise ValueError("a sharded index has at least one shard")
        self.shards = list(shards)
        self.bits = check_bits(bits)
        #: One thread per shard, kept: the fan-out of every query.
        self._pool = (
            ThreadPoolExecutor(len(self.shards), thread_name_prefix="shard")
            if len(self.shards) > 1
            else None
        )

    @classmethod
    def build(cls, ids: Ids, codes: Codes, bits: int, shards: int) -> ShardedIndex:
        """Split `codes` (N, bits // 64) under `ids` (distinct) into `shards` snapshots."""
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.uint64).reshape(len(ids), bits // 64)
        where = shard_of(ids, shards)
        return cls(
            [
                LocalShard(HammingSnapshot.build(ids[where == s], codes[where == s], bits))
                for s in range(shards)
            ],
            bits,
        )

    def __len__(self) -> int:
        return sum(len(s) for s in self.shards)

    def close(self) -> None:
        """Stop the fan-out threads (the index answers no more queries)."""
        if self._pool is not None:
            self._pool.shutdown()

    # Searching ---------------------------------------------------------------------------

    def search(self, query: Codes, radius: int) -> Found:
        """(ids ascending, distances) of every code within `radius` of `query`."""
        return self.search_many(np.atleast_2d(query), radius)[0]

    def search_many(self, queries: Codes, radius: int) -> list[Found]:
        """`search` of each row of `queries`: every shard asked at once, answers merged."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.uint64)
        if self._pool is None:
            answers = [self.shards[0].search_many(queries, radius)]
        else:
            answers = list(self._pool.map(lambda s: s.search_many(queries, radius), self.shards))
        return [_merge([answer[q] for answer in answers]) for q in range(len(queries))]

    # Saving and growing ------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write one snapshot directory per shard, and a manifest (local shards only)."""
        directory.mkdir(parents=True, exist_ok=False)
        counts = []
        for number, shard in enumerate(self.shards):
            if not isinstance(shard, LocalShard):
                raise TypeError("only local shards can be saved")
            shard.snapshot.save(directory / _shard_dir(number), extra={"shard": number})
            counts.append(len(shard))
        manifest = {"format": FORMAT, "bits": self.bits, "shards": len(counts), "counts": counts}
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def open(cls, directory: Path) -> ShardedIndex:
        """Map every shard of a saved index, checking it against its manifest."""
        manifest = read_manifest(directory)
        shards = []
        for number in range(manifest["shards"]):
            snapshot, _ = HammingSnapshot.open(directory / _shard_dir(number))
            if len(snapshot) != manifest["counts"][number]:
                raise ValueError(f"shard {number} of {directory} is damaged: counts disagree")
            shards.append(LocalShard(snapshot))
        return cls(shards, manifest["bits"])

    def rows(self) -> tuple[Ids, Codes]:
        """Every (id, code), ids ascending (local shards only)."""
        parts = []
        for shard in self.shards:
            if not isinstance(shard, LocalShard):
                raise TypeError("only local shards can be read")
            parts.append(shard.snapshot.rows())
        ids = np.concatenate([p[0] for p in parts])
        codes = np.concatenate([p[1] for p in parts]).reshape(len(ids), self.bits // 64)
        order = np.argsort(ids, kind="stable")
        return ids[order], codes[order]

    def add(self, ids: Ids, codes: Codes) -> ShardedIndex:
        """A new index with these codes added: only the shards that receive ids are built
        again (snapshots are immutable); the others are shared with this one."""
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.uint64).reshape(len(ids), self.bits // 64)
        where = shard_of(ids, len(self.shards))
        shards: list[Shard] = []
        for number, shard in enumerate(self.shards):
            mine = where == number
            if not mine.any():
                shards.append(shard)
                continue
            if not isinstance(shard, LocalShard):
                raise TypeError("only local shards can be added to")
            old_ids, old_codes = shard.snapshot.rows()
            snapshot = HammingSnapshot.build(
                np.concatenate([old_ids, ids[mine]]),
                np.concatenate([old_codes, codes[mine]]),
                self.bits,
            )
            shards.append(LocalShard(snapshot))
        return ShardedIndex(shards, self.bits)

    def grown(self, shards: int) -> tuple[ShardedIndex, Growth]:
        """The same codes in `shards` shards (more than now), and how many ids moved: only
        those whose jump hash now names a new shard."""
        if shards < len(self.shards):
            raise ValueError("an index grows: give more shards than it has")
        ids, codes = self.rows()
        moved = int(np.count_nonzero(shard_of(ids, shards) != shard_of(ids, len(self.shards))))
        grown = ShardedIndex.build(ids, codes, self.bits, shards)
        return grown, Growth(len(self.shards), shards, moved, len(ids))


def read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{directory} does not hold a readable sharded index: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{directory} does not hold a {FORMAT} index")
    counts = manifest.get("counts")
    if not isinstance(counts, list) or len(counts) != manifest.get("shards"):
        raise ValueError(f"{directory}: its manifest is damaged")
    return manifest


def _shard_dir(number: int) -> str:
    return f"shard-{number:04d}"


def _merge(found: list[Found]) -> Found:
    ids = np.concatenate([f[0] for f in found])
    dist = np.concatenate([f[1] for f in found])
    order = np.argsort(ids, kind="stable")
    return ids[order], dist[order]


# Shards served by Dask actors --------------------------------------------------------------


class ShardServer:
    """A Dask actor serving one saved shard from a worker: the snapshot mapped read-only."""

    def __init__(self, directory: str) -> None:
        self.snapshot, _ = HammingSnapshot.open(Path(directory))

    def search_many(self, queries: Codes, radius: int) -> list[Found]:
        return LocalShard(self.snapshot).search_many(queries, radius)

    def size(self) -> int:
        return len(self.snapshot)


class RemoteShard:
    """A shard answered by a `ShardServer` actor; one round trip per batch of queries."""

    def __init__(self, actor: Any, size: int) -> None:
        self.actor = actor
        self._size = size

    def search_many(self, queries: Codes, radius: int) -> list[Found]:
        answer: list[Found] = self.actor.search_many(queries, radius).result()
        return answer

    def __len__(self) -> int:
        return self._size


def serve(client: Any, directory: Path) -> ShardedIndex:
    """The saved index at `directory` served by one `ShardServer` actor per shard, placed
    round-robin on the workers of Dask `client`'s cluster (every worker must see the
    directory, e.g. on each machine's disk or shared storage)."""
    manifest = read_manifest(directory)
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise ValueError("the Dask cluster has no workers")
    futures = [
        client.submit(
            ShardServer,
            str(directory / _shard_dir(number)),
            actor=True,
            workers=[workers[number % len(workers)]],
            pure=False,
        )
        for number in range(manifest["shards"])
    ]
    shards = [
        RemoteShard(future.result(), manifest["counts"][number])
        for number, future in enumerate(futures)
    ]
    return ShardedIndex(shards, manifest["bits"])
