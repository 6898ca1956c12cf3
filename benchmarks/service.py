"""Load-test the HTTP service on loopback: throughput with wrk, look-up latency under writes.

    python benchmarks/service.py [--hashes 1000000] [--duration 10] [--workers 2]
                                 [--postgres URL] [--soak SECONDS]
    python benchmarks/service.py --writers 6 [--hashes 100000] [--duration 20] [--rate 100]
                                 [--write-rate 0] [--workers 2] [--postgres URL]

Builds a bank of random PDQ hashes, starts `bastion serve`, and drives it with wrk (Debian
package `wrk`) at 32 connections: GET /status/live (no key, no work: the HTTP stack's own
ceiling on this machine, measured in the same run as the anchor), GET /api/v1/lookup of a hash
near one in the bank, and POST /api/v1/match of a 1 MP JPEG. Prints throughput, p50/p99
latency and the server's memory (RSS of all its processes) before and after each load. With
`--soak`, it then keeps the look-up load on for that many seconds and prints the memory
every minute.

With `--writers N` it measures instead how long look-ups take while other clients write
(issue 16: look-ups must not wait on writers). A reader process sends `GET /api/v1/lookup` of
the probe at a fixed rate (`--rate` per second, open loop: each latency counts from the time
the request was due, so a stalled server cannot hide behind fewer requests) in three phases:
alone; while N clients read one entry over and over (`GET /api/v1/entries/{id}`: the anchor,
CPU taken from the look-ups as writers take it, but no writes); and while N writers each add
an entry, disable it, add another and delete the first, through the API. The other clients
go as fast as the server answers, or at `--write-rate` requests per second in all. Prints
p50, p99 and max latency of each phase and the other clients' requests per second; needs no
wrk. The load generator shares the machine with the server and the database.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
import sqlalchemy as sa
from PIL import Image

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.samples import sample_pixels
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.database import create_database_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from scratch import scratch_schema

CONNECTIONS = 32
#: The bank that `--writers` write into (the probe's bank is never touched).
WRITES_BANK = "writes"
#: Connections that send the look-ups of `--writers` runs.
READERS = 16


def build_bank(url: str, hashes: int) -> tuple[str, str]:
    """A bank of random PDQ hashes (and an empty one for writers); returns (an API key, a
    probe 5 bits from one of them)."""
    db = Database.open(url)
    store = BankStore(db)
    store.create_bank("bench")
    store.create_bank(WRITES_BANK)
    rng = random.Random(7)
    probe_base = 0
    with store.bulk_writer("bench", source="import") as writer:
        for i in range(hashes):
            value = rng.getrandbits(256)
            if i == hashes // 2:
                probe_base = value
            writer.add(NewEntry(signals=(Signal("pdq", f"{value:064x}"),)))
    key = ApiKeyStore(db).create("bench", [Scope.ADMIN]).secret
    db.close()
    probe = probe_base
    for bit in rng.sample(range(256), 5):
        probe ^= 1 << bit
    return key, f"{probe:064x}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux)."""
    out = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sum(int(x) for x in out.split()) / 1024


def wrk(url: str, key: str | None, duration: int, lua: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", url]
    if key is not None:
        command[-1:-1] = ["-H", f"Authorization: Bearer {key}"]
    if lua is not None:
        command[1:1] = ["-s", str(lua)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


@contextmanager
def serving(
    url: str, key: str, probe: str, workers: int, tmp: Path, roles: str | None = None
) -> Iterator[tuple[str, int]]:
    """`bastion serve --workers N [--roles R]` on `url`, once it answers (a look-up of
    `probe` where it serves look-ups); yields its base URL and process id."""
    port = free_port()
    env = {**os.environ, "BASTION_DATA_DIR": str(tmp / "data"), "BASTION_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("bastion")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *(["--roles", roles] if roles else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{base}/status", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.5)
        if roles is not None and "match" not in roles:
            yield base, server.pid
            return
        check = httpx.get(
            f"{base}/api/v1/lookup",
            params={"signal_type": "pdq", "signal": probe},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).json()
        assert len(check["matches"]) == 1, check
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)


def run(label: str, url: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    start = time.perf_counter()
    key, probe = build_bank(url, args.hashes)
    built = time.perf_counter() - start
    rows = []
    with serving(url, key, probe, args.workers, tmp) as (base, pid):
        ready = time.perf_counter() - start - built
        anchor = wrk(f"{base}/status/live", None, args.duration)
        rss0 = rss_mb(pid)
        lookup_url = f"{base}/api/v1/lookup?signal_type=pdq&signal={probe}"
        lookup = wrk(lookup_url, key, args.duration)
        rss1 = rss_mb(pid)
        body = io.BytesIO()
        Image.fromarray(sample_pixels(3, 1224, 816)).save(body, "JPEG", quality=90)
        boundary = uuid.uuid4().hex
        payload = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        payload += body.getvalue() + f"\r\n--{boundary}--\r\n".encode()
        (tmp / "body.bin").write_bytes(payload)
        lua = tmp / "upload.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={boundary}"\n'
            f'local f = io.open("{tmp / "body.bin"}", "rb")\nwrk.body = f:read("*all")\nf:close()\n'
        )
        upload = wrk(f"{base}/api/v1/match", key, args.duration, lua)
        rss2 = rss_mb(pid)
        soak(label, lookup_url, key, args.soak, pid)
    rows.append(
        f"| {label} | anchor: GET /status/live (no key, no work) | {anchor['rps']:,.0f} | "
        f"{anchor['p50']:.1f} | {anchor['p99']:.1f} | {int(anchor['errors'])} | |"
    )
    rows.append(
        f"| {label} | lookup (GET /api/v1/lookup) | {lookup['rps']:,.0f} | "
        f"{lookup['p50']:.1f} | {lookup['p99']:.1f} | {int(lookup['errors'])} | "
        f"{rss0:.0f} → {rss1:.0f} |"
    )
    rows.append(
        f"| {label} | 1 MP JPEG upload+hash+match (POST /api/v1/match) | "
        f"{upload['rps']:,.0f} | {upload['p50']:.1f} | {upload['p99']:.1f} | "
        f"{int(upload['errors'])} | {rss1:.0f} → {rss2:.0f} |"
    )
    print(
        f"{label}: bank of {args.hashes:,} built in {built:.0f} s, server ready "
        f"{ready:.0f} s later",
        file=sys.stderr,
    )
    return rows


# Look-up latency under writes ------------------------------------------------------------


def read_at_rate(
    base: str,
    key: str,
    probe: str,
    rate: int,
    seconds: float,
    sent: Event,
    out: multiprocessing.Queue[tuple[list[float], int]],
) -> None:
    """Send look-ups of `probe` at `rate` per second for `seconds`; sets `sent` when the last
    one is due, and puts the latencies in ms and the count of failures on `out`.

    Open loop: request i is due at start + i/rate and its latency counts from then, so a
    stalled server cannot hide behind fewer requests. `READERS` keep-alive connections
    speak plain HTTP/1.1 (an HTTP client library's own CPU time would show up as latency on
    this machine); a request due while all of them wait starts late, and that counts.
    """
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"GET /api/v1/lookup?signal_type=pdq&signal={probe} HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
    ).encode()

    async def main() -> tuple[list[float], int]:
        latencies: list[float] = []
        failures = 0
        start = time.perf_counter() + 0.5
        due = iter(start + i / rate for i in range(int(seconds * rate)))

        async def connection() -> None:
            nonlocal failures
            reader, writer = await asyncio.open_connection(host, int(port))
            for when in due:
                await asyncio.sleep(max(0.0, when - time.perf_counter()))
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"content-length: (\d+)", head, re.I)
                body = await reader.readexactly(int(length.group(1)) if length else 0)
                latencies.append((time.perf_counter() - when) * 1000)
                failures += not (head.startswith(b"HTTP/1.1 200") and body.count(b"entry_id") == 1)
            writer.close()

        async def last_one_due() -> None:
            await asyncio.sleep(start + seconds - time.perf_counter())
            sent.set()

        await asyncio.gather(last_one_due(), *(connection() for _ in range(READERS)))
        return latencies, failures

    out.put(asyncio.run(main()))


def keep_busy(
    base: str,
    key: str,
    threads: int,
    read_entry: int | None,
    rate: float,
    stop: Event,
    out: multiprocessing.Queue[tuple[int, int, float]],
) -> None:
    """Run `threads` clients until `stop` is set: writers that each add an entry, disable it,
    add another and delete the first, or, given `read_entry`, clients that read that entry
    over and over (as busy, but writing nothing); `rate` requests per second in all, or as
    fast as the server answers with 0. Puts (requests, failures, seconds) on `out`."""
    done = [0] * threads
    failed = [0] * threads
    began = time.perf_counter()
    pace = threads / rate if rate else 0.0

    def client_loop(n: int) -> None:
        rng = random.Random(n)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:

            def add() -> int | None:
                value = f"{rng.getrandbits(256):064x}"
                response = client.post(
                    f"/api/v1/banks/{WRITES_BANK}/entries",
                    json={"signals": [{"type": "pdq", "value": value}]},
                )
                count(response)
                return response.json()["id"] if response.status_code == 201 else None

            def count(response: httpx.Response) -> None:
                done[n] += 1
                failed[n] += response.status_code >= 300
                time.sleep(max(0.0, began + done[n] * pace - time.perf_counter()))

            while not stop.is_set():
                if read_entry is not None:
                    count(client.get(f"/api/v1/entries/{read_entry}"))
                    continue
                first = add()
                if first is None:
                    continue
                count(client.patch(f"/api/v1/entries/{first}", json={"enabled": False}))
                add()
                count(client.delete(f"/api/v1/entries/{first}"))

    workers = [threading.Thread(target=client_loop, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    out.put((sum(done), sum(failed), time.perf_counter() - began))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def look_up(
    context: SpawnContext,
    base: str,
    key: str,
    probe: str,
    rate: int,
    seconds: float,
    sent: Event | None = None,
) -> tuple[list[float], int]:
    """`read_at_rate` in a process of its own (`sent` is set when the last look-up is due)."""
    results: multiprocessing.Queue[tuple[list[float], int]] = context.Queue()
    sent = sent or context.Event()  # held here until the reader has it
    reader = context.Process(
        target=read_at_rate, args=(base, key, probe, rate, seconds, sent, results)
    )
    reader.start()
    found = results.get()
    reader.join()
    return found


def latency_under_writes(label: str, url: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    """Look-up latency alone, beside busy readers (the anchor) and beside writers."""
    key, probe = build_bank(url, args.hashes)
    context = multiprocessing.get_context("spawn")
    rows = []
    with ExitStack() as servers:
        if args.split:  # look-ups from processes of their own, writes from the others
            base, _ = servers.enter_context(serving(url, key, probe, 1, tmp, "match"))
            writes, _ = servers.enter_context(
                serving(url, key, probe, 1, tmp, "hash,curate,worker")
            )
            label += " (split)"
        else:
            base, _ = servers.enter_context(serving(url, key, probe, args.workers, tmp))
            writes = base
        # Every worker loads its index on its first look-up: not part of the measurement.
        look_up(context, base, key, probe, 50, 4)
        entry_id = httpx.get(
            f"{base}/api/v1/lookup",
            params={"signal_type": "pdq", "signal": probe},
            headers={"Authorization": f"Bearer {key}"},
        ).json()["matches"][0]["entry_id"]
        paced = f", {args.write_rate:g} requests/s" if args.write_rate else ""
        phases = [
            ("none", 0, None),
            (f"{args.writers} reading an entry{paced} (anchor)", args.writers, entry_id),
            (f"{args.writers} writing{paced}", args.writers, None),
        ]
        for others, threads, read_entry in phases:
            stop = context.Event()
            done: multiprocessing.Queue[tuple[int, int, float]] = context.Queue()
            busy = context.Process(
                target=keep_busy,
                args=(writes, key, threads, read_entry, args.write_rate, stop, done),
            )
            busy.start()
            time.sleep(1)  # the other clients are under way before the first look-up
            # They stop when the last look-up is due, whether or not it is answered.
            latencies, failures = look_up(context, base, key, probe, args.rate, args.duration, stop)
            requests, request_failures, elapsed = done.get()
            busy.join()
            rows.append(
                f"| {label} | {others} | {len(latencies):,} | {percentile(latencies, 0.5):.1f} | "
                f"{percentile(latencies, 0.99):.1f} | {max(latencies):,.0f} | {failures} | "
                f"{requests / elapsed:,.0f} | {request_failures} |"
            )
            print(rows[-1], file=sys.stderr)
    return rows


def soak(label: str, url: str, key: str, seconds: int, pid: int) -> None:
    """Keep the look-up load on for `seconds`, printing throughput and memory every minute."""
    if seconds <= 0:
        return
    print(f"{label} soak: minute | requests/s | p99 ms | server RSS MB", file=sys.stderr)
    for minute in range(1, seconds // 60 + 1):
        result = wrk(url, key, 60)
        print(
            f"{label} soak: {minute} | {result['rps']:,.0f} | {result['p99']:.1f} | "
            f"{rss_mb(pid):,.0f}",
            file=sys.stderr,
        )


def postgres_version(url: str) -> str:
    """The server's version (a bare engine: `Database.open` would migrate that database)."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(sa.text("SHOW server_version")))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--hashes", type=int, default=None, help="1,000,000 (100,000 with --writers)"
    )
    parser.add_argument("--duration", type=int, default=None, help="10 s (20 s with --writers)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="also run against this PostgreSQL database")
    parser.add_argument("--soak", type=int, default=0, help="seconds of look-ups after the runs")
    parser.add_argument(
        "--writers", type=int, default=0, help="measure look-up latency under this many writers"
    )
    parser.add_argument("--rate", type=int, default=100, help="look-ups per second (--writers)")
    parser.add_argument(
        "--write-rate",
        type=float,
        default=0,
        help="requests per second of the other clients in all (--writers; 0: as fast as "
        "the server answers)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="--writers: serve look-ups from one `--roles match` process and the other "
        "clients from one `--roles hash,curate,worker` process, instead of --workers workers",
    )
    args = parser.parse_args()
    if args.hashes is None:
        args.hashes = 100_000 if args.writers else 1_000_000
    if args.duration is None:
        args.duration = 20 if args.writers else 10
    if not args.writers and shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian/Ubuntu: apt install wrk)")
    measure = latency_under_writes if args.writers else run
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += measure("SQLite", f"sqlite:///{tmp}/bench.db", args, Path(tmp))
        if args.postgres:
            with scratch_schema(args.postgres) as url:
                rows += measure("PostgreSQL", url, args, Path(tmp))
    machine = (
        describe("fastapi", "uvicorn", "uvloop", "httptools", "numpy", "sqlalchemy", "psycopg")
        + f"; SQLite {sqlite3.sqlite_version}"
    )
    if args.postgres:
        machine += f"; PostgreSQL {postgres_version(args.postgres)}"
    if args.writers:
        print(
            f"Machine: {machine}; {args.workers} workers; bank of {args.hashes:,} PDQ hashes; "
            f"{args.rate} look-ups/s for {args.duration} s in each phase; {READERS} connections\n"
        )
        print(
            "| database | other clients | look-ups | p50 ms | p99 ms | max ms | failed | "
            "their requests/s | their failures |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    else:
        print(
            f"Machine: {machine}; wrk {CONNECTIONS} connections, {args.duration} s each; "
            f"{args.workers} workers; bank of {args.hashes:,} PDQ hashes\n"
        )
        print("| database | request | requests/s | p50 ms | p99 ms | errors | server RSS MB |")
        print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
