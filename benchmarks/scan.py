"""Bulk scans and retroactive matching: what a scan costs over hashing alone, how it scales
from one worker process to two, and how long matching new bank entries against millions of
kept signals takes.

    python benchmarks/scan.py [--part scan|retro] [--images 600] [--repeat 3] [--kept 10000000]
                              [--new 100000] [--database-url URL]

Every process runs its numeric libraries on one thread (OMP/OPENBLAS/MKL_NUM_THREADS=1), so a
worker is one core.

1. scan: a folder of 640x480 JPEGs (generated, benign), a bank of 1,000 random PDQ entries
   and one entry for every 20th image (5% match). The anchor: the same files read and hashed
   for matching (`Bastion.hash_content`, the lookups the banks use) in a plain loop in one
   process. Then `Scanner.run` on a local
   Dask cluster of 1 and of 2 worker processes, each a new scan of the whole folder (reading,
   hashing, matching, marking each item done, queueing the matches' actions). The scan's
   rate is taken over its checking (from the first task to the last result), and over the
   whole command (listing, cluster start, index load) apart.
2. retro: `--kept` PDQ signals of checked content (random codes, and near copies of 100
   of the new entries, 0-20 bits away) written straight into the database, then `--new`
   entries added to a bank with a review rule; `Retroactive.run` matches the new entries
   against what is kept. Reported: the time, the rate in kept signals compared per second,
   and the pairs found (every planted copy must be found, and nothing else).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bastion.banks import NewEntry  # noqa: E402
from bastion.index.codes import words_to_hex  # noqa: E402
from bastion.pipeline import Bastion  # noqa: E402
from bastion.pipeline.retroactive import Retroactive  # noqa: E402
from bastion.pipeline.scan import BatchResult, Scanner, ScanPlan  # noqa: E402
from bastion.samples import sample_pixels  # noqa: E402
from bastion.scanning import Listed  # noqa: E402
from bastion.settings import Settings  # noqa: E402
from bastion.signals import Signal  # noqa: E402
from bastion.store.models import CheckedContentRow, CheckedSignalRow  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

BANK = "known"


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed, 640, 480)).save(out, "JPEG", quality=88)
    return out.getvalue()


def random_pdq(rng: np.random.Generator, count: int) -> list[str]:
    codes = rng.integers(0, 2**63, size=(count, 4), dtype=np.int64).astype(np.uint64)
    codes ^= rng.integers(0, 2, size=(count, 4), dtype=np.int64).astype(np.uint64) << np.uint64(63)
    return [words_to_hex(row) for row in codes]


class Timer:
    """The checking phase of a scan: from the first task to the last result."""

    def __init__(self) -> None:
        self.began = 0.0
        self.ended = 0.0
        self.items = 0

    def listed(self, listed: Listed, todo: int) -> None:
        pass

    def started(self, dashboard: str | None, workers: int) -> None:
        self.began = time.perf_counter()

    def advanced(self, result: BatchResult) -> None:
        self.items += result.done + result.failed
        self.ended = time.perf_counter()


def part_scan(root: Path, images: int, repeat: int) -> None:
    folder = root / "uploads"
    folder.mkdir()
    print(f"writing {images} 640x480 JPEGs ...", flush=True)
    paths = []
    for i in range(images):
        path = folder / f"{i // 100:02d}" / f"p{i:05d}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(jpeg(i))
        paths.append(path)
    settings = Settings.load(env={}, data_dir=root / "data")
    bastion = Bastion(settings)
    bastion.store.create_bank(BANK)
    rng = np.random.default_rng(3)
    entries = [NewEntry(signals=(Signal("pdq", v, 100),)) for v in random_pdq(rng, 1_000)]
    matching = paths[::20]
    entries += [NewEntry(signals=bastion.hash_file(p).signals) for p in matching]
    bastion.store.add_entries(BANK, entries, source="benchmark")
    bastion.actions.add_review(BANK)

    plain_runs: list[float] = []
    runs: dict[int, list[float]] = {0: [], 1: [], 2: []}
    wholes: dict[int, list[float]] = {0: [], 1: [], 2: []}
    for round_ in range(repeat):  # interleaved, so a slow spell of the machine hits all
        started = time.perf_counter()
        for path in paths:
            bastion.hash_content(path.read_bytes(), path.name, for_matching=True)
        plain_runs.append(images / (time.perf_counter() - started))
        print(f"\nround {round_ + 1}: plain loop, one process: {plain_runs[-1]:.1f} images/s")
        for workers in runs:
            timer = Timer()
            began = time.perf_counter()
            outcome = Scanner(bastion, workers=workers, dashboard=False).run(
                ScanPlan(str(folder), f"bench-{workers}-{round_}", batch=16),
                actor="benchmark",
                progress=timer,
            )
            whole = time.perf_counter() - began
            assert outcome.result.done == images, outcome
            assert outcome.counts.matched == len(matching), outcome.counts
            runs[workers].append(timer.items / (timer.ended - timer.began))
            wholes[workers].append(images / whole)
            where = f"{workers} worker(s)" if workers else "in this process"
            print(
                f"scan, {where}: {runs[workers][-1]:.1f} images/s checking, "
                f"{wholes[workers][-1]:.1f} images/s for the whole command ({whole:.1f} s)",
                flush=True,
            )
    bastion.close()
    plain = statistics.median(plain_runs)
    rates = {w: statistics.median(r) for w, r in runs.items()}
    print(f"\nmedians of {repeat} rounds")
    print("| run | images/s | per core | vs plain loop | whole command, images/s |")
    print("|---|---:|---:|---:|---:|")
    print(f"| plain loop, 1 process (anchor) | {plain:.1f} | {plain:.1f} | 1.00 | |")
    for workers, rate in rates.items():
        where = f"Dask, {workers} worker process(es)" if workers else "in the client's process"
        cores = max(workers, 1)
        print(
            f"| scan, {where} | {rate:.1f} | {rate / cores:.1f} | {rate / cores / plain:.2f} | "
            f"{statistics.median(wholes[workers]):.1f} |"
        )
    print(
        f"\noverhead per core (1 worker): {1 - rates[1] / plain:.1%}; "
        f"speed-up 1 -> 2 workers: {rates[2] / rates[1]:.2f}x"
    )


def part_retro(root: Path, kept: int, new: int, database_url: str | None) -> None:
    settings = Settings.load(
        env={},
        data_dir=root / "data",
        database_url=database_url or f"sqlite:///{root / 'retro.db'}",
        checked_retention_days=365,
    )
    bastion = Bastion(settings)
    bastion.store.create_bank(BANK)
    bastion.actions.add_review(BANK)
    retro = Retroactive(bastion)
    retro.run()  # the cursor starts at the empty bank
    rng = np.random.default_rng(11)
    fresh = random_pdq(rng, new)
    planted = rng.choice(new, size=100, replace=False)
    print(f"writing {kept:,} kept PDQ signals ...", flush=True)
    began = time.perf_counter()
    now = datetime.now(UTC)
    chunk = 200_000
    near = {int(i): fresh[int(i)] for i in planted}
    written = 0
    with bastion.db.engine.begin() as conn:  # the value index is built once, after
        conn.execute(text("DROP INDEX ix_checked_signals_value"))
        for start in range(0, kept, chunk):
            count = min(chunk, kept - start)
            values = random_pdq(rng, count)
            if start == 0:
                for slot, value in enumerate(near.values()):
                    code = int(value, 16) ^ _flips(rng, int(rng.integers(0, 21)))
                    values[slot] = f"{code:064x}"
            conn.execute(
                insert(CheckedContentRow),
                [
                    {"id": start + k + 1, "content_id": f"c{start + k}", "user_id": None,
                     "door": "benchmark", "info": {}, "matched": [], "seq": 0, "checked_at": now}
                    for k in range(count)
                ],
            )  # fmt: skip
            conn.execute(
                insert(CheckedSignalRow),
                [
                    {"checked_id": start + k + 1, "signal_type": "pdq", "value": v, "quality": 100}
                    for k, v in enumerate(values)
                ],
            )
            written += count
            print(f"  {written:,}", end="\r", flush=True)
        conn.execute(
            text("CREATE INDEX ix_checked_signals_value ON checked_signals (signal_type, value)")
        )
    print(f"written in {time.perf_counter() - began:.0f} s; adding {new:,} entries ...")
    began = time.perf_counter()
    for start in range(0, new, 10_000):
        bastion.store.add_entries(
            BANK,
            [NewEntry(signals=(Signal("pdq", v, 100),)) for v in fresh[start : start + 10_000]],
            source="benchmark",
        )
    print(f"added in {time.perf_counter() - began:.0f} s; matching ...", flush=True)
    found = retro.run()
    print()
    print("| kept signals | new entries | seconds | kept signals compared/s | matched |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {kept:,} | {new:,} | {found.seconds:.1f} | {kept / found.seconds:,.0f} | "
        f"{found.matched} (planted {len(near)}) |"
    )
    assert found.matched == len(near), found
    bastion.close()


def _flips(rng: np.random.Generator, bits: int) -> int:
    mask = 0
    for b in rng.choice(256, size=bits, replace=False):
        mask |= 1 << int(b)
    return mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["scan", "retro"], action="append")
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3, help="scan rounds (medians reported)")
    parser.add_argument("--kept", type=int, default=10_000_000)
    parser.add_argument("--new", type=int, default=100_000)
    parser.add_argument("--database-url", help="for retro (default: SQLite in a temp dir)")
    args = parser.parse_args()
    parts = args.part or ["scan", "retro"]
    print(describe("dask", "distributed", "numpy", "sqlalchemy"))
    with tempfile.TemporaryDirectory(prefix="bastion-scan-bench-") as tmp:
        if "scan" in parts:
            (Path(tmp) / "scan").mkdir()
            part_scan(Path(tmp) / "scan", args.images, args.repeat)
        if "retro" in parts:
            (Path(tmp) / "retro").mkdir()
            part_retro(Path(tmp) / "retro", args.kept, args.new, args.database_url)


if __name__ == "__main__":
    main()
