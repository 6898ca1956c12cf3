"""Hamming range search at radius 31: bastion's multi-index beside faiss and numpy brute force.

    python benchmarks/index.py [--sizes 1000000,10000000] [--queries 200] [--radius 31]
                               [--datasets uniform,clustered,duplicates,pdq] [--json FILE]

One thread throughout (faiss is told so). For each data set and size, each engine reports
build time, memory per hash beyond the 32-byte codes, p50/p99 milliseconds per single query,
batched throughput, and recall against numpy brute force (the oracle). bastion also reports
saving and opening its snapshot and finding a code the moment it is added.

Data sets (256-bit codes):

* uniform: independent random codes;
* clustered: variants of a few thousand codes (each up to 24 bits away from its centre), the
  shape of near-duplicate-heavy hash lists;
* duplicates: uniform codes plus 100,000 copies of one code;
* pdq: PDQ hashes of benign generated images and transformed copies (the 8 rotations and
  flips, brightness, a 5% crop, JPEG quality 50), cached under ``benchmarks/.cache``.

Queries: half are stored codes with 0-40 bits flipped (so there is something to find), half
are random. faiss is optional (``pip install faiss-cpu``); its rows say so when it is absent.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from bastion.index import HammingSnapshot, MultiIndexHammingIndex
from bastion.index.codes import distances, hex_to_words
from bastion.pdq import PdqMode, hash_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

CACHE = Path(__file__).resolve().parent / ".cache"
BITS = 256


@dataclass
class Row:
    dataset: str
    size: int
    engine: str
    build_s: float | None = None
    bytes_per_hash: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    batch_qps: float | None = None
    recall: float | None = None
    note: str = ""


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# Data ------------------------------------------------------------------------------------


def uniform(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2**64, size=(n, BITS // 64), dtype=np.uint64)


def flip_bits(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row with `counts[i]` distinct random bits flipped."""
    out = codes.copy()
    for k in range(int(counts.max(initial=0))):
        rows = np.flatnonzero(counts > k)
        bits = rng.integers(0, BITS, size=len(rows))
        # a repeated bit flips back; close enough for data generation, exact for queries below
        out[rows, bits // 64] ^= np.uint64(1) << (63 - bits % 64).astype(np.uint64)
    return out


def clustered(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = uniform(max(1, n // 2000), rng)
    picks = centres[rng.integers(0, len(centres), size=n)]
    return flip_bits(picks, rng.integers(0, 25, size=n), rng)


def duplicates(n: int, rng: np.random.Generator) -> np.ndarray:
    codes = uniform(n, rng)
    codes[rng.choice(n, size=min(n, 100_000), replace=False)] = codes[0]
    return codes


def _pdq_variants(seed: int) -> list[str]:
    from bastion.samples import sample_pixels

    image = Image.fromarray(sample_pixels(seed, 192, 144))
    digest = hash_image(image, PdqMode.FAST)
    hashes = list(digest.dihedral().values())
    w, h = image.size
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=50)
    for variant in (
        ImageEnhance.Brightness(image).enhance(1.3),
        image.crop((w // 40, h // 40, w - w // 40, h - h // 40)),
        Image.open(io.BytesIO(buffer.getvalue())),
    ):
        hashes.append(hash_image(variant, PdqMode.FAST).hash)
    return hashes


def pdq_derived(sources: int) -> np.ndarray:
    path = CACHE / f"pdq-derived-{sources}.npy"
    if path.exists():
        return np.load(path)
    print(f"hashing {sources} generated images and their variants (cached afterwards)...")
    with ProcessPoolExecutor() as pool:
        hashes = [
            h for group in pool.map(_pdq_variants, range(sources), chunksize=64) for h in group
        ]
    codes = hex_to_words(hashes, BITS)
    CACHE.mkdir(exist_ok=True)
    np.save(path, codes)
    return codes


def make_queries(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    near = codes[rng.integers(0, len(codes), size=count - count // 2)]
    near = flip_bits(near, rng.integers(0, 41, size=len(near)), rng)
    return np.concatenate([near, uniform(count // 2, rng)])


# Engines -----------------------------------------------------------------------------------


class Engine:
    name = ""

    def prepare(self, codes: np.ndarray) -> None:
        """Convert the input, outside the build's time and memory."""

    def build(self, codes: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, radius: int) -> set[int]:
        raise NotImplementedError

    def search_batch(self, queries: np.ndarray, radius: int) -> int:
        return sum(len(self.search(q, radius)) for q in queries)

    def memory(self, codes: np.ndarray, rss_delta: int) -> float:
        return (rss_delta - codes.nbytes) / len(codes)


class Bastion(Engine):
    name = "bastion multi-index"

    def build(self, codes: np.ndarray) -> None:
        self.snapshot = HammingSnapshot.build(np.arange(len(codes)), codes, BITS)
        self.index = MultiIndexHammingIndex.from_snapshot(self.snapshot)

    def search(self, query: np.ndarray, radius: int) -> set[int]:
        return set(self.index.search(query, radius)[0].tolist())

    def memory(self, codes: np.ndarray, rss_delta: int) -> float:
        arrays = sum(a.nbytes for a in self.snapshot.arrays().values())
        return (arrays - self.snapshot.planes.nbytes) / len(codes)


class NumpyBrute(Engine):
    name = "numpy brute force"

    def build(self, codes: np.ndarray) -> None:
        self.codes = codes

    def search(self, query: np.ndarray, radius: int) -> set[int]:
        return set(np.flatnonzero(distances(self.codes, query) <= radius).tolist())

    def memory(self, codes: np.ndarray, rss_delta: int) -> float:
        return 0.0


class Faiss(Engine):
    def __init__(self, multihash: bool) -> None:
        import faiss

        faiss.omp_set_num_threads(1)
        self.faiss = faiss
        self.multihash = multihash
        self.name = "faiss MultiHash 16x16 nflip 1" if multihash else "faiss BinaryFlat"

    def prepare(self, codes: np.ndarray) -> None:
        self.raw = as_bytes(codes)

    def build(self, codes: np.ndarray) -> None:
        if self.multihash:
            self.index = self.faiss.IndexBinaryMultiHash(BITS, 16, 16)
            self.index.nflip = 1
        else:
            self.index = self.faiss.IndexBinaryFlat(BITS)
        self.index.add(self.raw)

    def search(self, query: np.ndarray, radius: int) -> set[int]:
        # faiss keeps distances strictly below the radius it is given
        _, _, ids = self.index.range_search(as_bytes(query[None, :]), radius + 1)
        return set(ids.tolist())

    def search_batch(self, queries: np.ndarray, radius: int) -> int:
        lims, _, _ = self.index.range_search(as_bytes(queries), radius + 1)
        return int(lims[-1])


def as_bytes(codes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(codes.astype(">u8")).view(np.uint8).reshape(len(codes), BITS // 8)


def engines(skip_faiss: bool) -> list[Callable[[], Engine]]:
    made: list[Callable[[], Engine]] = [Bastion]
    if not skip_faiss:
        # imported only in the forked children: OpenMP does not survive a fork
        if importlib.util.find_spec("faiss"):
            made += [lambda: Faiss(False), lambda: Faiss(True)]
        else:
            print("faiss is not installed (pip install faiss-cpu): its rows are left out")
    return made


# Measuring ---------------------------------------------------------------------------------


def measure(
    dataset: str,
    codes: np.ndarray,
    queries: np.ndarray,
    radius: int,
    factories: list[Callable[[], Engine]],
) -> list[Row]:
    truth_engine = NumpyBrute()
    truth_engine.build(codes)
    oracle_queries = queries[: max(20, len(queries) // 4)] if len(codes) > 2_000_000 else queries
    t0 = time.perf_counter()
    truth = [truth_engine.search(q, radius) for q in oracle_queries]
    brute_ms = (time.perf_counter() - t0) / len(oracle_queries) * 1000
    rows = [
        Row(
            dataset,
            len(codes),
            truth_engine.name,
            0.0,
            0.0,
            brute_ms,
            None,
            1000 / brute_ms,
            1.0,
            f"oracle; {len(oracle_queries)} queries, mean ms shown as p50",
        )
    ]
    print(f"  {rows[0].engine}: {brute_ms:.1f} ms/query")
    for factory in factories:
        # each engine runs in a forked child: its memory is its own and freed afterwards
        result = isolated(
            lambda f=factory: run_engine(
                f(), dataset, codes, queries, oracle_queries, truth, radius
            )
        )
        for row in result:
            rows.append(row)
    return rows


def run_engine(
    engine: Engine,
    dataset: str,
    codes: np.ndarray,
    queries: np.ndarray,
    oracle_queries: np.ndarray,
    truth: list[set[int]],
    radius: int,
) -> list[Row]:
    engine.prepare(codes)
    before = rss()
    t0 = time.perf_counter()
    engine.build(codes)
    build = time.perf_counter() - t0
    memory = engine.memory(codes, rss() - before)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        engine.search(q, radius)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    engine.search_batch(queries, radius)
    qps = len(queries) / (time.perf_counter() - t0)
    found = [engine.search(q, radius) for q in oracle_queries]
    hits = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    wanted = sum(len(t) for t in truth)
    wrong = sum(len(f - t) for f, t in zip(found, truth, strict=True))
    row = Row(
        dataset,
        len(codes),
        engine.name,
        build,
        memory,
        float(np.percentile(times, 50) * 1000),
        float(np.percentile(times, 99) * 1000),
        qps,
        hits / wanted if wanted else 1.0,
        f"{wrong} false hits" if wrong else "",
    )
    print(
        f"  {row.engine}: build {build:.1f} s, {memory:.0f} B/hash, p50 {row.p50_ms:.3f} ms, "
        f"p99 {row.p99_ms:.3f} ms, {qps:.0f} q/s batched, recall {row.recall:.4f}",
        flush=True,
    )
    rows = [row]
    if isinstance(engine, Bastion):
        rows.append(snapshot_figures(engine, dataset, codes, queries, radius))
    return rows


def isolated(work: Callable[[], list[Row]]) -> list[Row]:
    """Run `work` in a forked child and return its result."""
    context = multiprocessing.get_context("fork")
    channel = context.SimpleQueue()
    child = context.Process(target=lambda: channel.put(work()))
    child.start()
    child.join()
    if child.exitcode != 0 or channel.empty():
        raise RuntimeError(f"benchmark child failed with exit code {child.exitcode}")
    result: list[Row] = channel.get()
    return result


def snapshot_figures(
    engine: Bastion, dataset: str, codes: np.ndarray, queries: np.ndarray, radius: int
) -> Row:
    """Save, open (mapped), query the mapped copy, and add a code that is found at once."""
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        t0 = time.perf_counter()
        engine.snapshot.save(Path(tmp) / "snap")
        saved = time.perf_counter() - t0
        t0 = time.perf_counter()
        index, _ = MultiIndexHammingIndex.open(Path(tmp) / "snap")
        opened = time.perf_counter() - t0
        times = []
        for q in queries:
            t0 = time.perf_counter()
            index.search(q, radius)
            times.append(time.perf_counter() - t0)
        fresh = uniform(1, np.random.default_rng(99))
        index.add_codes(np.array([len(codes) + 1]), fresh)
        found_at_once = len(codes) + 1 in index.search(fresh[0], 0)[0]
        del index
    print(
        f"  snapshot: save {saved:.1f} s, open {opened:.2f} s, mapped p50 "
        f"{np.percentile(times, 50) * 1000:.3f} ms (first touch), "
        f"added code found at once: {found_at_once}"
    )
    return Row(
        dataset,
        len(codes),
        "bastion, snapshot mapped from disk",
        opened,
        None,
        float(np.percentile(times, 50) * 1000),
        float(np.percentile(times, 99) * 1000),
        None,
        None,
        f"save {saved:.1f} s; open {opened:.2f} s (build column); first queries touch cold pages; "
        f"added code found at once: {found_at_once}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--radius", type=int, default=31)
    parser.add_argument("--datasets", default="uniform,clustered,duplicates,pdq")
    parser.add_argument("--pdq-sources", type=int, default=20_000)
    parser.add_argument("--skip-faiss", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(describe("numpy", "faiss-cpu"))
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(2026)
    factories = engines(args.skip_faiss)
    makers: dict[str, Callable[[int], np.ndarray]] = {
        "uniform": lambda n: uniform(n, rng),
        "clustered": lambda n: clustered(n, rng),
        "duplicates": lambda n: duplicates(n, rng),
    }
    rows: list[Row] = []
    for dataset in args.datasets.split(","):
        sizes = [0] if dataset == "pdq" else [int(s) for s in args.sizes.split(",")]
        for size in sizes:
            codes = pdq_derived(args.pdq_sources) if dataset == "pdq" else makers[dataset](size)
            print(f"{dataset}, {len(codes):,} codes:")
            queries = make_queries(codes, args.queries, rng)
            rows += measure(dataset, codes, queries, args.radius, factories)
            del codes
            gc.collect()
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))


def print_table(rows: list[Row]) -> None:
    def cell(value: Any, fmt: str) -> str:
        return "—" if value is None else format(value, fmt)

    print(
        "\n| data | codes | engine | build s | B/hash | p50 ms | p99 ms | batched q/s "
        "| recall | note |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r.dataset} | {r.size:,} | {r.engine} | {cell(r.build_s, '.1f')} | "
            f"{cell(r.bytes_per_hash, '.0f')} | {cell(r.p50_ms, '.3f')} | "
            f"{cell(r.p99_ms, '.3f')} | "
            f"{cell(r.batch_qps, ',.0f')} | {cell(r.recall, '.4f')} | {r.note} |"
        )


if __name__ == "__main__":
    main()
