"""The review console with a full desk: server time per page, and a reviewer at the keyboard.

    python benchmarks/review.py [--jobs 100000] [--users 20000] [--anchor 1000]
                                [--requests 200] [--browser-jobs 100] [--postgres URL]
                                [--index SQL]

On SQLite (a file in a temporary folder) and, with `--postgres`, on a scratch schema of that
database (dropped afterwards), it builds a desk (`review_desk.py`: three queues, match,
conversation, user-report and escalation jobs, ~20,000 platform users whose cases gather
their jobs, varied priorities, some jobs claimed by others, some commented), starts
`bastion serve` on 127.0.0.1 and signs in through the login form. Then:

1. **The anchor.** There is no other review console to run here, so the anchor is the same
   console with a small desk (`--anchor` jobs, opened through `ReviewDesk.open_in`),
   measured in the same run, so that what the size costs shows.
2. **Pages at full size.** The desk grows to `--jobs` open jobs (written straight into the
   tables in batches, rows checked against those the desk itself wrote) and every page is
   timed again: `--requests` requests each, one at a time, after 5 unmeasured ones. Each
   row gives the client's time (request sent to response read, on loopback) and the
   server's own (`RequestObserver`'s figure in the service's JSON log: from the request's
   arrival to its last byte sent).
3. **A reviewer at the keyboard.** Playwright drives Debian's Chromium (/usr/bin/chromium,
   never a downloaded browser): sign in, open the `default` queue, press "n", then for each
   job "1" (classification A1) and "c" (confirm); the next job loads by itself. Checks that
   `--browser-jobs` match jobs were confirmed by that reviewer and that nothing was revealed
   (the reveals table is empty).

`--index SQL` (repeatable) runs that statement, a CREATE INDEX, once the anchor desk is
made: to measure an index that no migration has made yet. On PostgreSQL the tables are
vacuumed and analysed after each load, as autovacuum would. The load average is printed
before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from bastion.pipeline import Bastion
from bastion.review import JobStatus
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.models import JobRow, QueueRow, RevealRow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from review_desk import (
    BROWSER_REVIEWER,
    PASSWORD,
    READER,
    check_bulk_rows,
    open_in_bulk,
    open_with_desk,
    plan,
    prepare,
    timed,
)
from scratch import scratch_schema
from service import free_port, percentile, postgres_version

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
WARM_UP = 5


@dataclass
class Timings:
    """One page's client and server times, in ms."""

    page: str
    client: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)

    def row(self, label: str) -> str:
        def p(values: list[float], share: float) -> str:
            return f"{percentile(values, share):.1f}" if values else "-"

        c, s = self.client, self.server
        return (
            f"| {label} | {self.page} | {p(c, 0.5)} | **{p(c, 0.95)}** | {p(c, 0.99)} | "
            f"{p(s, 0.5)} | {p(s, 0.95)} | {p(s, 0.99)} |"
        )


@dataclass
class Server:
    base: str
    log: Path

    def requests_since(self, offset: int, route: str, method: str) -> list[float]:
        """The server's own ms for requests of `route` logged after byte `offset`."""
        found = []
        with self.log.open("rb") as f:
            f.seek(offset)
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if (
                    record.get("message") == "request"
                    and record.get("route") == route
                    and record.get("method") == method
                ):
                    found.append(float(record["ms"]))
        return found

    def offset(self) -> int:
        return self.log.stat().st_size


@contextmanager
def serving(settings: Settings, tmp: Path) -> Iterator[Server]:
    """`bastion serve` (one worker, every role) with its JSON log in a file."""
    port = free_port()
    env = {
        **os.environ,
        "BASTION_DATA_DIR": str(settings.data_dir),
        "BASTION_DATABASE_URL": settings.database_url,
    }
    log = tmp / f"serve-{port}.log"
    with log.open("wb") as err:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("bastion")), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/status/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield Server(base, log)
    except BaseException:
        print(f"the server's log ends:\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=60)


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    client.get("/")
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "nonce": client.cookies["bastion_login"]},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


# Pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """What the pages are asked about: open jobs, their cases, cursors into the queue, and
    the largest case with its open jobs."""

    jobs: list[int]
    cases: list[int]
    cursors: list[int]
    largest: int
    largest_size: int
    in_largest: list[int]


def targets(db: Database, n: int, rng: random.Random) -> Targets:
    with db.session() as s:
        open_jobs = s.execute(
            select(JobRow.id, JobRow.case_id).where(JobRow.status == JobStatus.OPEN.value)
        ).all()
        default = s.scalar(select(QueueRow.id).where(QueueRow.name == "default"))
        order = s.scalars(
            select(JobRow.id)
            .where(JobRow.queue_id == default, JobRow.status == JobStatus.OPEN.value)
            .order_by(JobRow.urgency, JobRow.id)
        ).all()
        largest, size = s.execute(
            select(JobRow.case_id, func.count())
            .group_by(JobRow.case_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        in_largest = s.scalars(
            select(JobRow.id).where(
                JobRow.case_id == largest, JobRow.status == JobStatus.OPEN.value
            )
        ).all()
    wanted = n + WARM_UP
    picked = (
        rng.sample(open_jobs, wanted)
        if len(open_jobs) >= wanted
        else rng.choices(open_jobs, k=wanted)
    )
    # A later page: after the 50th to the 1000th page's last job (or as deep as there are).
    deepest = max(1, min(len(order) - 1, 1000 * 50))
    cursors = [order[rng.randrange(min(50, deepest), deepest)] for _ in range(wanted)]
    return Targets(
        [j for j, _ in picked],
        [c for _, c in picked],
        cursors,
        largest,
        size,
        rng.choices(in_largest, k=wanted),
    )


def time_pages(server: Server, client: httpx.Client, db: Database, n: int) -> list[Timings]:
    """Every page `n` times (after `WARM_UP` unmeasured), one request at a time."""
    rng = random.Random(n)
    aim = targets(db, n, rng)
    pages: list[tuple[str, str, Callable[[int], str]]] = [
        ("GET /queues", "/queues", lambda i: "/queues"),
        ("GET /queues/default (first page)", "/queues/{name}", lambda i: "/queues/default"),
        (
            "GET /queues/default?after= (a later page)",
            "/queues/{name}",
            lambda i: f"/queues/default?status=open&after={aim.cursors[i]}",
        ),
        ("GET /jobs/{id}", "/jobs/{job_id}", lambda i: f"/jobs/{aim.jobs[i]}"),
        ("GET /cases/{id}", "/cases/{case_id}", lambda i: f"/cases/{aim.cases[i]}"),
        ("GET /me", "/me", lambda i: "/me"),
        (f"GET /cases/{{id}}, the largest case ({aim.largest_size} jobs)",
         "/cases/{case_id}", lambda i: f"/cases/{aim.largest}"),
        ("GET /jobs/{id}, a job of the largest case", "/jobs/{job_id}",
         lambda i: f"/jobs/{aim.in_largest[i]}"),
    ]  # fmt: skip
    measured = []
    for label, route, path in pages:
        timings = Timings(label)
        for i in range(WARM_UP):
            client.get(path(n + i)).raise_for_status()
        offset = server.offset()
        for i in range(n):
            start = time.perf_counter()
            answer = client.get(path(i))
            timings.client.append((time.perf_counter() - start) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"{path(i)}: {answer.status_code} {answer.text[:300]}")
        time.sleep(0.5)  # the server logs a request after its last byte is sent
        timings.server = server.requests_since(offset, route, "GET")
        measured.append(timings)
    measured += time_decisions(server, client, n)
    return measured


def time_decisions(server: Server, client: httpx.Client, n: int) -> list[Timings]:
    """`n` decisions in the default queue (four confirmations, then a false positive), each
    answered by a redirect to the next job, which is then loaded as a browser would."""
    post = Timings("POST /jobs/{id}/decision (→ 303 next job)")
    following = Timings("GET /jobs/{id} after it (the next job)")
    both = Timings("decision + next job page, together")
    csrf = csrf_of(client.get("/queues").text)
    answer = client.post("/queues/default/next", data={"csrf": csrf})
    location = answer.headers["location"]
    offset = server.offset()
    for i in range(n + WARM_UP):
        job_id = int(location.rsplit("/", 1)[1])
        choice = {"decision": "false_positive"} if i % 5 == 4 else {
            "decision": "confirmed", "classification": "A1"}  # fmt: skip
        start = time.perf_counter()
        answer = client.post(f"/jobs/{job_id}/decision", data={**choice, "csrf": csrf})
        posted = time.perf_counter()
        location = answer.headers.get("location", "")
        if answer.status_code != 303 or not location.startswith("/jobs/"):
            raise RuntimeError(f"decision on job {job_id}: {answer.status_code} {location}")
        client.get(location).raise_for_status()
        done = time.perf_counter()
        if i == WARM_UP - 1:
            offset = server.offset()
        if i >= WARM_UP:
            post.client.append((posted - start) * 1000)
            following.client.append((done - posted) * 1000)
            both.client.append((done - start) * 1000)
    time.sleep(0.5)
    post.server = server.requests_since(offset, "/jobs/{job_id}/decision", "POST")
    following.server = server.requests_since(offset, "/jobs/{job_id}", "GET")
    both.server = [a + b for a, b in zip(post.server, following.server, strict=False)]
    return [post, following, both]


# The reviewer at the keyboard -------------------------------------------------------------


def browser_review(server: Server, db: Database, jobs: int) -> tuple[float, list[float]]:
    """Sign in in Chromium and clear `jobs` jobs of the default queue by keyboard: "1" then
    "c" on each. Returns the total seconds (from pressing "n" on the queue to the page after
    the last decision) and each job's seconds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{server.base}/")
        page.fill("#username", BROWSER_REVIEWER)
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/queues")
        page.goto(f"{server.base}/queues/default")
        each = []
        start = time.perf_counter()
        page.keyboard.press("n")
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        for _ in range(jobs):
            shown = page.url
            began = time.perf_counter()
            if "match" not in page.locator("h1").inner_text():
                raise RuntimeError(f"{shown} is not a match job")
            page.keyboard.press("1")
            page.keyboard.press("c")

            def moved_on(url: str, shown: str = shown) -> bool:
                return url != shown

            page.wait_for_url(moved_on)  # the next job, loaded by itself
            each.append(time.perf_counter() - began)
        total = time.perf_counter() - start
        browser.close()
    with db.session() as s:
        decided = s.execute(
            select(JobRow.kind, JobRow.decision, JobRow.classification, func.count())
            .where(JobRow.decided_by == f"user:{BROWSER_REVIEWER}")
            .group_by(JobRow.kind, JobRow.decision, JobRow.classification)
        ).all()
        reveals = s.scalar(select(func.count(RevealRow.id)))
    if [tuple(row) for row in decided] != [("match", "confirmed", "A1", jobs)]:
        raise RuntimeError(f"the reviewer's decisions: {decided}")
    if reveals != 0:
        raise RuntimeError(f"{reveals} reveals recorded")
    return total, each


# A run ---------------------------------------------------------------------------------------


def run(label: str, url: str, args: argparse.Namespace, tmp: Path) -> tuple[list[str], str]:
    settings = Settings.load(env={}, data_dir=tmp / label, database_url=url)
    bastion = Bastion(settings)
    desk, made_in = timed(lambda: prepare(bastion, args.bank_entries))
    bastion.close()
    db = Database.open(url)
    now = datetime.now(UTC)
    planned = plan(args.jobs + args.requests + WARM_UP, args.users, desk, now=now)
    first, rest = planned[: args.anchor], planned[args.anchor :]
    made, desk_seconds = timed(lambda: open_with_desk(db, desk, first))
    compared = check_bulk_rows(db, desk, first, made)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in args.index or ():
            conn.execute(text(statement))
    settle(db)
    print(
        f"{label}: bank of {args.bank_entries:,} and people in {made_in:.0f} s; "
        f"{len(first):,} jobs through the desk in {desk_seconds:.1f} s "
        f"({len(first) / desk_seconds:,.0f}/s); {compared:,} rows match the bulk writer's",
        file=sys.stderr,
    )
    rows: list[str] = []
    notes = []
    with serving(settings, tmp) as server:
        reader = sign_in(server.base, READER)
        for timings in time_pages(server, reader, db, args.requests):
            rows.append(timings.row(f"{label}, {open_jobs(db):,} open (anchor)"))
            print(rows[-1], file=sys.stderr)
        _, bulk_seconds = timed(lambda: open_in_bulk(db, desk, rest))
        settle(db)
        full = open_jobs(db)
        print(f"{label}: {len(rest):,} more jobs in {bulk_seconds:.0f} s; {full:,} open",
              file=sys.stderr)  # fmt: skip
        for timings in time_pages(server, reader, db, args.requests):
            rows.append(timings.row(f"{label}, {full:,} open"))
            print(rows[-1], file=sys.stderr)
        reader.close()
        if args.browser_jobs:
            total, each = browser_review(server, db, args.browser_jobs)
            notes.append(
                f"{label}: {args.browser_jobs} match jobs cleared by keyboard in "
                f"**{total:.1f} s** ({total / args.browser_jobs * 1000:.0f} ms a job; "
                f"p50 {percentile(each, 0.5) * 1000:.0f} ms, p95 "
                f"{percentile(each, 0.95) * 1000:.0f} ms), {full - args.browser_jobs:,} "
                "left open; 0 reveals"
            )
            print(notes[-1], file=sys.stderr)
    db.close()
    return rows, "\n".join(notes)


def settle(db: Database) -> None:
    """On PostgreSQL, what autovacuum does soon after a load: vacuum (the visibility map
    that index-only scans need) and statistics for the planner. SQLite gathers none
    unless asked, and bastion does not ask."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).all()  # this run's tables only: the database is shared
            conn.execute(text(f"VACUUM ANALYZE {', '.join(tables)}"))


def open_jobs(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(JobRow.id)).where(JobRow.status == "open")) or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100_000, help="open jobs at full size")
    parser.add_argument("--users", type=int, default=20_000, help="platform users")
    parser.add_argument("--anchor", type=int, default=1_000, help="jobs of the anchor desk")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--bank-entries", type=int, default=100_000)
    parser.add_argument("--browser-jobs", type=int, default=100, help="0: no browser")
    parser.add_argument("--postgres", help="also run against this PostgreSQL database")
    parser.add_argument(
        "--index",
        action="append",
        help="a CREATE INDEX to run before the full-size pages (repeatable)",
    )
    args = parser.parse_args()
    if args.browser_jobs and not CHROMIUM.exists():
        sys.exit(f"no browser at {CHROMIUM} (apt-get install chromium), or --browser-jobs 0")
    load_before = os.getloadavg()
    rows: list[str] = []
    notes: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        found, note = run("SQLite", f"sqlite:///{tmp}/review.db", args, Path(tmp))
        rows += found
        notes.append(note)
        if args.postgres:
            with scratch_schema(args.postgres) as url:
                found, note = run("PostgreSQL", url, args, Path(tmp))
                rows += found
                notes.append(note)
    machine = (
        describe("fastapi", "uvicorn", "starlette", "jinja2", "sqlalchemy", "psycopg",
                 "playwright")
        + f"; SQLite {sqlite3.sqlite_version}"
    )  # fmt: skip
    if args.postgres:
        machine += f"; PostgreSQL {postgres_version(args.postgres)}"
    load_after = os.getloadavg()
    print(
        f"Machine: {machine}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} "
        f"after; {time.perf_counter() - started:.0f} s in all\n"
        f"Desk: {args.jobs:,} open jobs, {args.users:,} platform users, anchor "
        f"{args.anchor:,} jobs; {args.requests} requests a page"
        + "".join(f"; with `{statement}`" for statement in args.index or ())
        + "\n"
    )
    print(
        "| desk | page | p50 ms | p95 ms | p99 ms | server p50 | server p95 | server p99 |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|"
    )
    print("\n".join(rows))
    print()
    print("\n".join(n for n in notes if n))


if __name__ == "__main__":
    main()
