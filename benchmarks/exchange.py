"""Exchange speed: a 1M-entry federation sync between two instances, a 1M-entry NCMEC fetch
from the fake NCMEC, and the delay from an add on a publisher to a match on its partner.

    python benchmarks/exchange.py [--entries 1000000] [--ncmec 1000000] [--changes 1000]
                                  [--delays 5] [--postgres URL]

Federation: a publisher (`bastion serve` in a subprocess, on a port of its own) shares a
bank of `--entries` random PDQ hashes; a subscriber with its own SQLite database syncs it
(the exchange kind `bastion`, every page signature checked). The anchor, measured in the
same run, is reading the whole feed over HTTP without applying it. Then `--changes`
deletions and as many edits on the publisher are synced. Then the subscriber runs as a
service too (`bastion serve`, syncing every 10 s) and each of `--delays` hashes added on the
publisher is timed until the subscriber's look-up matches it. NCMEC: the fake NCMEC from
`tests/` serves `--ncmec` entries over a year, a thousand a page; the anchor is fetching
and parsing every page without applying it. With `--postgres`, the publisher's and the
NCMEC subscriber's databases are PostgreSQL scratch schemas.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from tests.exchange.fakes import LOOPBACK, FakeEntry, FakeNcmec  # noqa: E402

from bastion.auth import ApiKeyStore, Scope  # noqa: E402
from bastion.banks import BankStore, NewEntry  # noqa: E402
from bastion.exchange.impl import make_exchange  # noqa: E402
from bastion.exchange.secrets import CredentialBox  # noqa: E402
from bastion.exchange.store import ExchangeStore  # noqa: E402
from bastion.exchange.sync import Syncer  # noqa: E402
from bastion.federation.publisher import CollabStore  # noqa: E402
from bastion.federation.signing import SigningKey  # noqa: E402
from bastion.signals import Signal  # noqa: E402
from bastion.store import Database  # noqa: E402
from machine import describe  # noqa: E402
from scratch import scratch_schema  # noqa: E402

DAY = 86_400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(data_dir: Path, database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "BASTION_DATA_DIR": str(data_dir),
        "BASTION_DATABASE_URL": database_url,
        "BASTION_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",  # its partner, on this machine
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("bastion")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while True:
            try:
                if httpx.get(f"{base}/status", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def federation(args: argparse.Namespace, tmp: Path, publisher_url: str) -> list[str]:
    rows: list[str] = []
    pub_db = Database.open(publisher_url)
    pub = BankStore(pub_db)
    pub.create_bank("confirmed")
    rng = random.Random(11)
    start = time.perf_counter()
    with pub.bulk_writer("confirmed", source="import", dedupe=False) as writer:
        for _ in range(args.entries):
            writer.add(NewEntry(signals=(Signal("pdq", pdq(rng), 100),)))
    print(f"publisher bank of {args.entries:,} built in {time.perf_counter() - start:.0f} s")
    collabs = CollabStore(pub_db, ApiKeyStore(pub_db))
    collabs.create("bench", ["confirmed"])
    partner_key = collabs.add_partner("bench", "partner").secret
    public = SigningKey.for_settings("", tmp / "publisher").public

    with serving(tmp / "publisher", publisher_url) as base:
        # Anchor: the feed read over HTTP, signatures checked, nothing applied.
        anchor = make_exchange(
            "bastion",
            "anchor",
            {"url": base, "collab": "bench", "public_key": public},
            {"api_key": partner_key},
            access=LOOPBACK,
        )
        start = time.perf_counter()
        read = sum(len(page.records) for page in anchor.fetch(None))
        anchor_s = time.perf_counter() - start
        rows.append(row("anchor: read the feed, no apply", read, anchor_s))

        sub_db = Database.open(f"sqlite:///{tmp / 'subscriber' / 'bastion.db'}")
        sub_box = CredentialBox.for_settings("", tmp / "subscriber")
        sub, sub_exchanges = BankStore(sub_db), ExchangeStore(sub_db, sub_box, access=LOOPBACK)
        sub.create_bank("in")
        sub_exchanges.add(
            "publisher",
            kind="bastion",
            bank="in",
            config={"url": base, "collab": "bench", "public_key": public},
            credentials={"api_key": partner_key},
            interval_seconds=10,
        )
        syncer = Syncer(sub, sub_exchanges)
        start = time.perf_counter()
        result = syncer.sync("publisher")
        assert result.error is None, result.error
        full_s = time.perf_counter() - start
        assert result.counts.added == args.entries, result.counts
        rows.append(row("full sync into the subscriber (SQLite)", args.entries, full_s))

        ids = [e.id for e in pub.list_entries("confirmed", limit=2 * args.changes)]
        for entry_id in ids[: args.changes]:
            pub.delete_entry(entry_id)
        for entry_id in ids[args.changes :]:
            pub.update_entry(entry_id, metadata={"reviewed": True})
        start = time.perf_counter()
        result = syncer.sync("publisher")
        changes_s = time.perf_counter() - start
        c = result.counts
        assert (c.deleted, c.updated) == (args.changes, args.changes), c
        rows.append(
            row(f"{args.changes:,} deletions + {args.changes:,} edits", 2 * args.changes, changes_s)
        )
        sub_key = ApiKeyStore(sub_db).create("bench", [Scope.MATCH]).secret
        sub_db.close()

        delays = []
        sub_url = f"sqlite:///{tmp / 'subscriber' / 'bastion.db'}"
        with serving(tmp / "subscriber", sub_url) as sub_base:
            for _ in range(args.delays):
                time.sleep(rng.uniform(0, 10))  # at any point of the subscriber's cycle
                value = pdq(rng)
                pub.add_entries(
                    "confirmed", [NewEntry(signals=(Signal("pdq", value, 100),))], source="api"
                )
                added = time.perf_counter()
                while True:
                    found = httpx.get(
                        f"{sub_base}/api/v1/lookup",
                        params={"signal_type": "pdq", "signal": value},
                        headers={"Authorization": f"Bearer {sub_key}"},
                        timeout=30,
                    ).json()
                    if found["matches"]:
                        delays.append(time.perf_counter() - added)
                        break
                    if time.perf_counter() - added > 120:
                        raise RuntimeError("no match on the subscriber within 120 s")
                    time.sleep(0.1)
        delays.sort()
        median, worst = delays[len(delays) // 2], delays[-1]
        rows.append(
            f"| add on the publisher to a match on the subscriber (syncing every 10 s) | "
            f"{len(delays)} adds | median {median:.1f} s, max {worst:.1f} s | |"
        )
    pub_db.close()
    return rows


def ncmec(args: argparse.Namespace, tmp: Path, database_url: str) -> list[str]:
    rows: list[str] = []
    now = int(time.time())
    fake = FakeNcmec(page_size=1000)
    rng = random.Random(5)
    for n in range(args.ncmec):
        fake.put(FakeEntry(42 + n % 7, f"e{n}", "image", now - DAY - rng.randrange(365 * DAY),
                           {"md5": f"{rng.getrandbits(128):032x}", "pdq": pdq(rng)}))  # fmt: skip
    config: dict[str, object] = {"start": now - 400 * DAY, "lag_seconds": 0}
    credentials = {"username": "esp", "password": "pw"}
    with fake.serving() as url:
        config["base_url"] = url
        anchor = make_exchange("ncmec", "anchor", config, credentials, access=LOOPBACK)
        start = time.perf_counter()
        read = sum(len(page.records) for page in anchor.fetch(None))
        anchor_s = time.perf_counter() - start
        assert read == args.ncmec, read
        rows.append(row("anchor: fetch and parse every page, no apply", read, anchor_s))
        db = Database.open(database_url)
        banks = BankStore(db)
        exchanges = ExchangeStore(
            db, CredentialBox.for_settings("", tmp / "ncmec"), access=LOOPBACK
        )
        banks.create_bank("ncmec")
        exchanges.add("ncmec", kind="ncmec", bank="ncmec", config=config, credentials=credentials)
        start = time.perf_counter()
        result = Syncer(banks, exchanges).sync("ncmec")
        full_s = time.perf_counter() - start
        assert result.error is None, result.error
        assert result.counts.added == args.ncmec, result.counts
        rows.append(row("full sync into a bank", args.ncmec, full_s))
        requests = len([p for _, p in fake.requests if "/v2/entries" in p])
        rows.append(f"| requests to NCMEC for the full sync | {requests:,} | | |")
        db.close()
    return rows


def row(label: str, count: int, seconds: float) -> str:
    return f"| {label} | {count:,} | {seconds:.1f} s | {count / seconds:,.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--ncmec", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--delays", type=int, default=5)
    parser.add_argument("--postgres", help="PostgreSQL URL for the publisher and NCMEC banks")
    args = parser.parse_args()
    print(f"Machine: {describe('httpx', 'SQLAlchemy', 'cryptography')}\n")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "subscriber").mkdir()
        with _database(args, tmp, "publisher") as publisher_url:
            fed = federation(args, tmp, publisher_url)
        with _database(args, tmp, "ncmec") as ncmec_url:
            nc = ncmec(args, tmp, ncmec_url)
    print("Federation (two instances)\n")
    print("| work | entries | time | entries/s |\n|---|---:|---:|---:|")
    print("\n".join(fed))
    print("\nNCMEC (fake NCMEC on 127.0.0.1)\n")
    print("| work | entries | time | entries/s |\n|---|---:|---:|---:|")
    print("\n".join(nc))


@contextmanager
def _database(args: argparse.Namespace, tmp: Path, name: str) -> Iterator[str]:
    if args.postgres:
        with scratch_schema(args.postgres) as url:
            yield url
        return
    (tmp / name).mkdir(exist_ok=True)
    yield f"sqlite:///{tmp / name / 'bastion.db'}"


if __name__ == "__main__":
    main()
