"""The sharded index: 4 shards of N codes against one index of 4N, same queries, same answers.

    python benchmarks/shards.py [--per-shard 10000000] [--shards 4] [--queries 1000]

Codes: 256-bit, 90% uniformly random and 10% near-duplicates of a few thousand centres (up to
24 bits away), as in benchmarks/index.py. Queries: half are stored codes with 0-32 bits
flipped, half random; radius 31 (PDQ's threshold). Reported, for one index of shards x N and
for the sharded index:

- build time, and bytes per code (the arrays: codes, tables, ids);
- one query at a time: median and p99 latency, queries per second; for the shards, the
  fan-out on threads of this process, and the slowest shard alone (what a query costs when
  every shard has a core or a machine of its own: this machine has 2 cores for 4 shards);
- batches of 1,000 queries: queries per second, local, and through Dask actors (one
  `ShardServer` per shard on a LocalCluster of single-threaded worker processes).

Every answer of the shards is checked against the one index's; the run stops if one differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bastion.index import HammingSnapshot
from bastion.index.sharded import ShardedIndex, serve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

BITS, RADIUS = 256, 31


def make_codes(count: int, rng: np.random.Generator) -> np.ndarray:
    codes = rng.integers(0, 2**63, size=(count, 4), dtype=np.int64).astype(np.uint64)
    codes ^= rng.integers(0, 2, size=(count, 4), dtype=np.int64).astype(np.uint64) << 63
    near = count // 10
    centres = codes[rng.integers(0, count, size=max(1, near // 1000))]
    copies = centres[rng.integers(0, len(centres), size=near)].copy()
    for _ in range(24):
        rows = np.flatnonzero(rng.random(near) < 0.5)
        bit = rng.integers(0, 256, size=len(rows))
        copies[rows, bit // 64] ^= np.uint64(1) << (bit % 64).astype(np.uint64)
    codes[rng.choice(count, size=near, replace=False)] = copies
    return codes


def make_queries(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    near = codes[rng.integers(0, len(codes), size=count // 2)].copy()
    for row in range(len(near)):
        for bit in rng.choice(256, size=int(rng.integers(0, 33)), replace=False):
            near[row, bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    far = make_codes(count - len(near), rng)
    return np.concatenate([near, far])


def nbytes(snapshot: HammingSnapshot) -> int:
    return sum(a.nbytes for a in snapshot.arrays().values())


def latencies(search: object, queries: np.ndarray) -> list[float]:
    times = []
    for query in queries:
        began = time.perf_counter()
        search(query)  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return times


def describe_times(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3
    return f"| {name} | {p50:.3f} | {p99:.3f} | {len(times) / sum(times):,.0f} |"


def same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    order = np.argsort(b[0], kind="stable")
    return np.array_equal(a[0], b[0][order]) and np.array_equal(a[1], b[1][order])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-shard", type=int, default=10_000_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=1_000)
    args = parser.parse_args()
    total = args.per_shard * args.shards
    print(describe("numpy", "dask", "distributed"))
    rng = np.random.default_rng(2026)
    print(f"making {total:,} codes ...", flush=True)
    codes = make_codes(total, rng)
    ids = rng.permutation(total).astype(np.int64)
    queries = make_queries(codes, args.queries, rng)

    began = time.perf_counter()
    one = HammingSnapshot.build(ids, codes, BITS)
    one_build = time.perf_counter() - began
    began = time.perf_counter()
    sharded = ShardedIndex.build(ids, codes, BITS, args.shards)
    shard_build = time.perf_counter() - began
    del codes
    sizes = [len(s) for s in sharded.shards]
    shard_bytes = sum(nbytes(s.snapshot) for s in sharded.shards)  # type: ignore[attr-defined]
    print(
        f"\nbuilt one index in {one_build:.1f} s, {args.shards} shards ({sizes}) in "
        f"{shard_build:.1f} s"
    )

    expected = [one.search(q, RADIUS) for q in queries]
    found = sharded.search_many(queries, RADIUS)
    assert all(same(f, e) for f, e in zip(found, expected, strict=True)), "answers differ"
    print(
        f"answers identical on {len(queries)} queries ({sum(len(e[0]) for e in expected):,} hits)"
    )

    print("\n| index | codes | build s | bytes per code |")
    print("|---|---:|---:|---:|")
    print(f"| one index | {total:,} | {one_build:.1f} | {nbytes(one) / total:.0f} |")
    print(f"| {args.shards} shards | {total:,} | {shard_build:.1f} | {shard_bytes / total:.0f} |")

    rows = [
        describe_times(
            f"one index of {total:,}", latencies(lambda q: one.search(q, RADIUS), queries)
        )
    ]
    rows.append(
        describe_times(
            f"{args.shards} shards, fan-out on threads",
            latencies(lambda q: sharded.search(q, RADIUS), queries),
        )
    )
    per_shard = [
        latencies(lambda q, s=s: s.search_many(q[None], RADIUS), queries) for s in sharded.shards
    ]
    slowest = [max(t) for t in zip(*per_shard, strict=True)]
    rows.append(describe_times(f"{args.shards} shards, slowest shard alone (a core each)", slowest))
    print("\none query at a time, one thread each:\n")
    print("| search | p50 ms | p99 ms | queries/s |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))

    print("\nbatches of all the queries:\n")
    print("| search | queries/s |")
    print("|---|---:|")
    began = time.perf_counter()
    for q in queries:
        one.search(q, RADIUS)
    print(f"| one index, one thread | {len(queries) / (time.perf_counter() - began):,.0f} |")
    began = time.perf_counter()
    sharded.search_many(queries, RADIUS)
    print(
        f"| {args.shards} shards, threads | {len(queries) / (time.perf_counter() - began):,.0f} |"
    )

    import distributed

    with tempfile.TemporaryDirectory(prefix="bastion-shards-") as tmp:
        began = time.perf_counter()
        sharded.save(Path(tmp) / "idx")
        saved = time.perf_counter() - began
        sharded.close()
        with distributed.LocalCluster(
            n_workers=args.shards, threads_per_worker=1, dashboard_address=None,
            silence_logs=40,
        ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
            began = time.perf_counter()
            remote = serve(client, Path(tmp) / "idx")
            opened = time.perf_counter() - began
            remote.search_many(queries[:10], RADIUS)  # warm
            began = time.perf_counter()
            answers = remote.search_many(queries, RADIUS)
            took = time.perf_counter() - began
            assert all(same(f, e) for f, e in zip(answers, expected, strict=True))
            single = latencies(lambda q: remote.search(q, RADIUS), queries[:200])
            print(
                f"| {args.shards} shards, Dask actors ({args.shards} worker processes) | "
                f"{len(queries) / took:,.0f} |"
            )
            print(
                f"\nDask actors: saved in {saved:.1f} s, served (mapped) in {opened:.1f} s; "
                f"one query at a time through them: p50 "
                f"{statistics.median(single) * 1e3:.2f} ms"
            )


if __name__ == "__main__":
    main()
