"""Import a generated 1M-row ThreatExchange CSV into a fresh bank and time it.

    python benchmarks/import_csv.py [--rows 1000000] [--postgres URL]

Also times the anchor in the same run: Python's csv module merely reading the same file, so
the figure can be judged against this machine's raw parsing speed.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bastion.banks import BankStore
from bastion.exchange.transfer import import_file
from bastion.store import Database

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from scratch import scratch_schema


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with path.open("w") as f:
        f.write("collab,signal_type,signal_str,category,tags\n")
        for i in range(rows):
            f.write(f"bench-collab,pdq,{rng.getrandbits(256):064x},POSITIVE_CLASS,t{i % 7}\n")


def time_import(url: str, path: Path) -> tuple[float, int]:
    db = Database.open(url)
    store = BankStore(db)
    store.create_bank("bench")
    start = time.perf_counter()
    result = import_file(store, "bench", path)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, result.accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="also time an import into this PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hashes.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        with path.open(newline="") as f:
            parsed = sum(1 for _ in csv.reader(f)) - 1
        anchor = time.perf_counter() - start
        results = [("csv.reader only (anchor)", anchor, parsed)]
        results.append(("bastion import, SQLite", *time_import(f"sqlite:///{tmp}/bench.db", path)))
        if args.postgres:
            with scratch_schema(args.postgres) as url:
                results.append(("bastion import, PostgreSQL", *time_import(url, path)))
    print(f"Machine: {describe('sqlalchemy', 'psycopg')}, SQLite {sqlite3.sqlite_version}")
    print(f"File: {args.rows:,} rows, {size_mb:.0f} MB\n")
    print("| what | seconds | rows | rows/s |")
    print("|---|---:|---:|---:|")
    for name, seconds, rows in results:
        print(f"| {name} | {seconds:.1f} | {rows:,} | {rows / seconds:,.0f} |")


if __name__ == "__main__":
    main()
