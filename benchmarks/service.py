"""Load-test the HTTP service on loopback with wrk: hash look-ups and upload+hash+match.

    python benchmarks/service.py [--hashes 1000000] [--duration 10] [--workers 2]
                                 [--postgres URL] [--soak SECONDS]

Builds a bank of random PDQ hashes, starts `bastion serve`, and drives it with wrk (Debian
package `wrk`) at 32 connections: GET /status/live (no key, no work: the HTTP stack's own
ceiling on this machine, measured in the same run as the anchor), GET /api/v1/lookup of a hash
near one in the bank, and POST /api/v1/match of a 1 MP JPEG. Prints throughput, p50/p99
latency and the server's memory (RSS of all its processes) before and after each load. With
`--soak`, it then keeps the look-up load on for that many seconds and prints the memory
every minute.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from PIL import Image

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.samples import sample_pixels
from bastion.signals import Signal
from bastion.store import Database

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from scratch import scratch_schema

CONNECTIONS = 32


def build_bank(url: str, hashes: int) -> tuple[str, str]:
    """A bank of random PDQ hashes; returns (an API key, a probe 5 bits from one of them)."""
    db = Database.open(url)
    store = BankStore(db)
    store.create_bank("bench")
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


def run(label: str, url: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    start = time.perf_counter()
    key, probe = build_bank(url, args.hashes)
    built = time.perf_counter() - start
    port = free_port()
    env = {**os.environ, "BASTION_DATA_DIR": str(tmp / "data"), "BASTION_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("bastion")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    rows = []
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
        check = httpx.get(
            f"{base}/api/v1/lookup",
            params={"signal_type": "pdq", "signal": probe},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).json()
        assert len(check["matches"]) == 1, check
        ready = time.perf_counter() - start - built
        anchor = wrk(f"{base}/status/live", None, args.duration)
        rss0 = rss_mb(server.pid)
        lookup_url = f"{base}/api/v1/lookup?signal_type=pdq&signal={probe}"
        lookup = wrk(lookup_url, key, args.duration)
        rss1 = rss_mb(server.pid)
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
        rss2 = rss_mb(server.pid)
        soak(label, lookup_url, key, args.soak, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="also run against this PostgreSQL database")
    parser.add_argument("--soak", type=int, default=0, help="seconds of look-ups after the runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian/Ubuntu: apt install wrk)")
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += run("SQLite", f"sqlite:///{tmp}/bench.db", args, Path(tmp))
        if args.postgres:
            with scratch_schema(args.postgres) as url:
                rows += run("PostgreSQL", url, args, Path(tmp))
    print(
        f"Machine: {describe('fastapi', 'uvicorn', 'uvloop', 'httptools', 'numpy')}; "
        f"wrk {CONNECTIONS} connections, "
        f"{args.duration} s each; {args.workers} workers; bank of {args.hashes:,} PDQ hashes\n"
    )
    print("| database | request | requests/s | p50 ms | p99 ms | errors | server RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
