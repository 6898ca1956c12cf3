"""The transparency report over a year of recorded checks: how fast checks are tallied, how
long their tallies take to write, and how long the year's report takes.

An installation is made first: `--banks` banks of `--entries-per-bank` entries each, four in
ten of them fetched from one of three exchanges (NCMEC, StopNCII, a federation partner);
`--jobs` review jobs opened over the year and decided within minutes to days (some false
positives, some escalations); `--alerts` conversations that alerted.

Then `--checks` checks (10,000,000) are recorded through the tallies' owner
(`bastion.reporting.tallies.CheckTally`) as the pipeline records them, spread evenly over the
year by a clock that moves a little with each check: of every kind (images most, then
hashes, text, videos, URLs, stream frames) through every door, half a percent matching, each
match with a real entry of a bank chosen by a power law (a few banks match most). The
owner's own thread writes them every 5 seconds of real time, as a service does; the time to
record and the time `close` takes to write what is left are printed. With `--bulk`, the same
counts are worked out here and written as the rows the owner would have written (quicker,
for a second database).

Then the year's report is built three times (`build_report`, as `Bastion.transparency` and so
the CLI, the API and the console build it), and rendered as JSON, CSV and HTML; its headline
figures are printed.

    python benchmarks/transparency.py                       # 10M checks on SQLite
    python benchmarks/transparency.py --checks 200000       # a quick run
    python benchmarks/transparency.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bastion.banks import BankStore, NewEntry  # noqa: E402
from bastion.matching import Match  # noqa: E402
from bastion.reporting.figures import filed_reports  # noqa: E402
from bastion.reporting.tallies import CheckTally  # noqa: E402
from bastion.reporting.transparency import Period, build_report  # noqa: E402
from bastion.review import ReviewDesk  # noqa: E402
from bastion.signals import Signal  # noqa: E402
from bastion.store import Database  # noqa: E402
from bastion.store.models import (  # noqa: E402
    CaseRow,
    CheckTallyRow,
    ConversationRow,
    EntryRow,
    ExchangeRow,
    JobRow,
    MatchTallyRow,
    QueueRow,
)
from bastion.web.transparency_page import standalone_html  # noqa: E402
from machine import describe  # noqa: E402
from scratch import scratch_schema  # noqa: E402

YEAR = 2026
PERIOD = Period.year(YEAR)
START = datetime(YEAR, 1, 1, tzinfo=UTC)
SECONDS = 365 * 86400

#: Kinds of content and doors, with their shares of the checks.
KINDS = {"image": 55, "hash": 20, "text": 10, "video": 6, "url": 5, "stream": 4}
DOORS = {"api": 60, "hma": 30, "review": 6, "cli": 4}
#: Of the checks, how many match (one in 200).
MATCH_EVERY = 200
#: Signal types of the matches.
SIGNAL_TYPES = {"pdq": 70, "md5": 20, "sha256": 6, "video_md5": 4}
#: The exchanges entries come from: name, kind.
EXCHANGES = [("ncmec-list", "ncmec"), ("stopncii", "stop_ncii"), ("partner", "bastion")]


def weighted(rng: random.Random, table: dict[str, int], n: int) -> list[str]:
    return rng.choices(list(table), weights=list(table.values()), k=n)


def make_banks(db: Database, args: argparse.Namespace, rng: random.Random) -> list[list[int]]:
    """Banks with entries, some fetched from exchanges; each bank's entry ids."""
    store = BankStore(db)
    first = store.create_bank("bank-000", actor="bench").id
    with db.session() as s:
        exchanges = []
        for name, kind in EXCHANGES:
            row = ExchangeRow(name=name, kind=kind, bank_id=first, config={}, enabled=False)
            s.add(row)
            s.flush()
            exchanges.append((row.id, name))
    ids = []
    for b in range(args.banks):
        name = f"bank-{b:03d}"
        if b:
            store.create_bank(name, actor="bench")
        entries = [
            NewEntry(signals=(Signal("pdq", f"{rng.getrandbits(256):064x}", 100),))
            for _ in range(args.entries_per_bank)
        ]
        made = store.add_entries(name, entries, source="api")
        ids.append(made)
        fetched = made[: len(made) * 4 // 10]
        with db.session() as s:
            for n, (exchange_id, exchange) in enumerate(exchanges):
                s.execute(
                    update(EntryRow)
                    .where(EntryRow.id.in_(fetched[n :: len(exchanges)]))
                    .values(source="exchange", imported_from=exchange, exchange_id=exchange_id)
                )
    return ids


def make_jobs(db: Database, args: argparse.Namespace, rng: random.Random) -> None:
    """Review jobs opened over the year and decided after minutes to days."""
    ReviewDesk(db).queues()  # the default queue
    with db.session() as s:
        queue = s.scalars(select(QueueRow.id)).first()
        case_rows, job_rows = [], []
        for n in range(args.jobs):
            opened = START + timedelta(seconds=rng.randrange(SECONDS))
            decided = opened + timedelta(seconds=rng.lognormvariate(9, 1.5))
            case_rows.append({
                "id": n + 1, "subject": f"content:{n}", "status": "closed", "opened_at": opened,
                "updated_at": decided, "closed_at": decided,
            })  # fmt: skip
            decision = rng.choices(
                ["confirmed", "false_positive", "escalated", "reported"], weights=[70, 12, 3, 15]
            )[0]
            kind = rng.choices(["match", "conversation", "user_report"], weights=[85, 5, 10])[0]
            job_rows.append({
                "id": n + 1, "case_id": n + 1, "queue_id": queue, "kind": kind, "priority": 50,
                "urgency": 50, "status": "decided", "evidence": {}, "created_at": opened,
                "due_at": opened + timedelta(days=1), "decision": decision,
                "decided_by": "user:bench", "decided_at": decided, "note": "",
            })  # fmt: skip
        for i in range(0, len(job_rows), 5000):
            s.execute(insert(CaseRow), case_rows[i : i + 5000])
            s.execute(insert(JobRow), job_rows[i : i + 5000])
        alerts = [
            {"key": f"chat-{n}", "state": {}, "messages": 40, "score": 0.9, "level": "high",
             "alerted_at": START + timedelta(seconds=rng.randrange(SECONDS)),
             "created_at": START, "updated_at": START}
            for n in range(args.alerts)
        ]  # fmt: skip
        if alerts:
            s.execute(insert(ConversationRow), alerts)


def plan(args: argparse.Namespace, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    """The kinds, doors and matched signal types of a cycle of checks (reused round and
    round: drawing 10M of each would take longer than recording them)."""
    cycle = min(args.checks, 100_000)
    return (
        weighted(rng, KINDS, cycle),
        weighted(rng, DOORS, cycle),
        weighted(rng, SIGNAL_TYPES, cycle // MATCH_EVERY + 1),
    )


def bank_of(rng: random.Random, banks: int) -> int:
    """A bank by a power law: the first few match most."""
    return min(int(rng.paretovariate(1.2)) - 1, banks - 1)


def record(db: Database, args: argparse.Namespace, ids: list[list[int]], rng: random.Random) -> str:
    """`--checks` checks through the tallies' owner; returns a line on how long it took."""
    kinds, doors, types = plan(args, rng)
    now = [START.timestamp()]
    step = SECONDS / args.checks
    tally = CheckTally(db, clock=lambda: now[0])
    matches_by_bank = [
        [Match(f"bank-{b:03d}", entry, "pdq", "", "", 0, None) for entry in bank[:50]]
        for b, bank in enumerate(ids)
    ]
    cycle, matched, m = len(kinds), 0, 0
    started = time.perf_counter()
    for n in range(args.checks):
        now[0] = START.timestamp() + n * step
        i = n % cycle
        if n % MATCH_EVERY == 0:
            pool = matches_by_bank[bank_of(rng, len(ids))]
            match = pool[m % len(pool)]
            signal_type = types[m % len(types)]
            m += 1
            if match.signal_type != signal_type:
                match = Match(match.bank, match.entry_id, signal_type, "", "", 0, None)
            tally.record(kinds[i], doors[i], [match])
            matched += 1
        else:
            tally.record(kinds[i], doors[i])
    recorded = time.perf_counter() - started
    started = time.perf_counter()
    tally.close()
    closed = time.perf_counter() - started
    return (
        f"recorded {args.checks:,} checks ({matched:,} matching) in {recorded:.1f} s "
        f"({args.checks / recorded:,.0f}/s, {recorded / args.checks * 1e6:.2f} µs each, the "
        f"writer thread writing meanwhile); close wrote the rest in {closed:.2f} s"
    )


def bulk(db: Database, args: argparse.Namespace, ids: list[list[int]], rng: random.Random) -> str:
    """The rows the owner would write for `--checks` checks, worked out here."""
    kinds, doors, types = plan(args, rng)
    started = time.perf_counter()
    checks: dict[tuple[date, str, str], list[int]] = {}
    matches: dict[tuple[date, str, str, str], int] = {}
    sources = source_names(db)
    cycle, m = len(kinds), 0
    for n in range(args.checks):
        day = (START + timedelta(seconds=n * SECONDS / args.checks)).date()
        i = n % cycle
        counts = checks.setdefault((day, kinds[i], doors[i]), [0, 0])
        counts[0] += 1
        if n % MATCH_EVERY == 0:
            counts[1] += 1
            b = bank_of(rng, len(ids))
            entry = ids[b][m % min(50, len(ids[b]))]
            key = (day, f"bank-{b:03d}", sources.get(entry, "local"), types[m % len(types)])
            matches[key] = matches.get(key, 0) + 1
            m += 1
    kinds_of = dict(EXCHANGES)
    with db.session() as s:
        rows = [{"day": d, "kind": k, "door": door, "checked": c, "matched": x, "alerts": 0}
                for (d, k, door), (c, x) in checks.items()]  # fmt: skip
        for i in range(0, len(rows), 5000):
            s.execute(insert(CheckTallyRow), rows[i : i + 5000])
        mrows = [{"day": d, "bank": b, "source": src, "signal_type": t, "matches": n,
                  "source_kind": "local" if src == "local" else
                  "federation" if kinds_of[src] == "bastion" else kinds_of[src]}
                 for (d, b, src, t), n in matches.items()]  # fmt: skip
        for i in range(0, len(mrows), 5000):
            s.execute(insert(MatchTallyRow), mrows[i : i + 5000])
    took = time.perf_counter() - started
    return f"worked out and wrote the rows of {args.checks:,} checks in {took:.1f} s"


def source_names(db: Database) -> dict[int, str]:
    with db.session() as s:
        return dict(
            s.execute(
                select(EntryRow.id, EntryRow.imported_from).where(EntryRow.source == "exchange")
            ).all()
        )


def report(db: Database) -> list[str]:
    lines = []
    with db.session() as s:
        tallies = s.scalar(select(func.count()).select_from(CheckTallyRow))
        match_rows = s.scalar(select(func.count()).select_from(MatchTallyRow))
    lines.append(f"tally rows: {tallies:,} of checks, {match_rows:,} of matches")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        built = build_report(db, PERIOD, reports=lambda a, b: filed_reports(db, a, b))
        times.append(time.perf_counter() - started)
    lines.append("the year's report: " + ", ".join(f"{t:.3f} s" for t in times))
    for name, render in (
        ("JSON", lambda: json.dumps(built.to_json())),
        ("CSV", built.to_csv),
        ("HTML", lambda: standalone_html(built)),
    ):
        started = time.perf_counter()
        size = len(render())
        lines.append(f"  as {name}: {time.perf_counter() - started:.3f} s, {size:,} bytes")
    v = built.value
    lines.append(
        f"figures: {v('content_checked', 'total'):,} checked, "
        f"{v('content_checked', 'matched'):,} matched, {v('matches', 'total'):,} matches in "
        f"{len(built.group('matches', 'by_bank'))} banks from "
        f"{len(built.group('matches', 'by_source'))} sources; {v('review', 'jobs_decided'):,} "
        f"jobs decided, false positives {v('review', 'false_positive_rate')}, median to "
        f"decision {v('review', 'median_seconds_to_decision')} s; "
        f"{v('conversations', 'alerts'):,} conversation alerts; reports unavailable: "
        f"{'reports' in built.unavailable}"
    )
    by_kind = {f.name: f.value for f in built.group("content_checked", "by_kind")}
    lines.append(f"by kind: {by_kind}")
    return lines


@contextmanager
def database(args: argparse.Namespace) -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            with scratch_schema(args.postgres) as url:
                db = Database.open(url)
                try:
                    yield db
                finally:
                    db.close()
            return
        db = Database.open(f"sqlite:///{Path(folder) / 'bastion.db'}")
        try:
            yield db
        finally:
            db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=10_000_000)
    parser.add_argument("--banks", type=int, default=200)
    parser.add_argument("--entries-per-bank", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=2_000)
    parser.add_argument("--bulk", action="store_true", help="write the tallies' rows directly")
    parser.add_argument("--postgres", help="a PostgreSQL URL (a scratch schema is used)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"Machine: {describe('SQLAlchemy')}")
    print(f"Database: {'PostgreSQL' if args.postgres else 'SQLite'}\n")
    rng = random.Random(args.seed)
    with database(args) as db:
        started = time.perf_counter()
        ids = make_banks(db, args, rng)
        make_jobs(db, args, rng)
        print(
            f"made {args.banks} banks of {args.entries_per_bank} entries, {args.jobs:,} jobs "
            f"and {args.alerts:,} alerts in {time.perf_counter() - started:.1f} s"
        )
        print(bulk(db, args, ids, rng) if args.bulk else record(db, args, ids, rng))
        for line in report(db):
            print(line)


if __name__ == "__main__":
    main()
