"""Side by side with Meta's HMA: the same requests to HMA and to bastion's HMA routes.

    python benchmarks/hma_compare.py --hma http://127.0.0.1:5100 \\
        --bastion http://127.0.0.1:8000 --key "$BASTION_KEY" --reset [--json out.json]

Sends one sequence of requests, as an HMA user would, to a running HMA (OpenMediaMatch) and
to a running bastion: hashing, look-ups, comparisons, banks and their content, exchanges and
the signal and content type routes, with good inputs (generated benign pictures and their
rotated, letterboxed, GIF and palette PNG copies, a tiny video) and bad ones (malformed
hashes, unknown banks, bad JSON, strings for booleans and numbers, missing fields). Each
answer is normalised for what legitimately differs between two installations, and only
that:

- content ids become the name of the request that created them (`<a>`, `<b>`...), as each
  side numbers its own content;
- timestamps (`built_to`, fetch times) become `<time>`;
- lists of names or objects are compared in sorted order;
- an error (status 400 and up) is compared by its status and the keys of its body
  (`{"message": ...}`), not by the words of its message.

It prints a table, request by request: HMA's status and body, bastion's, and whether they
agree, then "N of M agree". docs/benchmarks.md ("Measured against HMA") says how to run
HMA beside bastion and records the figures.

Both sides must be throwaway installations: `--reset` deletes every bank and exchange on
each before starting. HMA should build its index often (its development config with
`TASK_INDEXER_INTERVAL_SECONDS` and `TASK_INDEX_CACHE_INTERVAL_SECONDS` of a few seconds):
before the look-ups that follow writes, the script waits until HMA's index has them, then
`--cache-wait` seconds for HMA's matchers to load it. bastion is asked to fetch URLs from 127.0.0.1,
where the script serves its files: start it with `BASTION_FETCH_ALLOW_NETWORKS=127.0.0.1/32`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hma_media import MediaFile, generate
from hma_requests import Settle, Step, sequence

#: Keys whose integer values are content ids, numbered by each side.
ID_KEYS = frozenset({"id", "bank_content_id"})
#: Keys whose values are times, different on every run.
TIME_KEYS = frozenset({"built_to", "last_fetch_time", "checkpoint_time", "fetch_time"})
MISSING_ID = 999_999_999


@dataclass
class Answer:
    status: int
    body: Any

    def summary(self, width: int) -> str:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        text = " ".join(text.split())
        return f"{self.status} {text[: width - 4]}"


@dataclass
class Side:
    """One service under comparison and the content ids it gave out."""

    client: httpx.Client
    ids: dict[str, int] = field(default_factory=dict)

    def send(self, step: Step) -> Answer:
        path = step.path.format_map(_Ids(self.ids))
        headers = {"Content-Type": step.content_type} if step.content_type else {}
        files = (
            [(k, (f.name, f.data, f.mime)) for k, f in step.files.items()] if step.files else None
        )
        response = self.client.request(
            step.method,
            path,
            params=step.params,
            json=step.json,
            content=step.content,
            files=files,
            data=step.form,
            headers=headers,
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if step.registers and isinstance(body, dict) and isinstance(body.get("id"), int):
            self.ids[step.registers] = body["id"]
        return Answer(response.status_code, body)

    def normalise(self, answer: Answer) -> tuple[int, Any]:
        if answer.status >= 400:
            return answer.status, sorted(answer.body) if isinstance(answer.body, dict) else "text"
        names = {v: k for k, v in self.ids.items()}
        return answer.status, _normalise(answer.body, names)


class _Ids(dict[str, int]):
    def __missing__(self, key: str) -> int:
        return MISSING_ID


def _normalise(value: Any, names: Mapping[int, str], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, names, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v, names, key if key == "matches" else "") for v in value]
        if items and all(isinstance(v, dict) for v in items):
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        if items and all(isinstance(v, str) for v in items):
            return sorted(items)
        return items
    if isinstance(value, int) and not isinstance(value, bool):
        if key in ID_KEYS or key == "matches":
            return f"<{names.get(value, 'unknown id')}>"
        if key in TIME_KEYS and value > 0:
            return "<time>"
    return value


@dataclass(frozen=True)
class Row:
    label: str
    hma: Answer
    bastion: Answer
    agree: bool


class MediaServer:
    """The generated files over HTTP on 127.0.0.1, for the `url=` requests."""

    def __init__(self, files: Mapping[str, MediaFile]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = files.get(self.path.lstrip("/"))
                if found is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", found.mime)
                self.send_header("Content-Length", str(len(found.data)))
                self.end_headers()
                self.wfile.write(found.data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[MediaServer]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@dataclass
class HmaIndex:
    """Waits until HMA's matchers have the writes made so far: until HMA says no index is
    out of date with its database (`/c/signal_type/index`), then `cache_wait` seconds for
    its matchers to load the new index."""

    client: httpx.Client
    timeout: float
    cache_wait: float

    def settle(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status = self.client.get("/c/signal_type/index").json()
            if not any(index["index_out_of_date"] for index in status.values()):
                break
            time.sleep(0.5)
        time.sleep(self.cache_wait)


def reset(side: Side) -> None:
    """Delete every exchange and bank (not counted in the comparison)."""
    exchanges = side.client.get("/c/exchanges")
    if exchanges.status_code == 200:
        for name in exchanges.json():
            side.client.delete(f"/c/exchange/{name}")
    for bank in side.client.get("/c/banks").json():
        side.client.delete(f"/c/bank/{bank['name']}")


def compare(hma: Side, bastion: Side, steps: list[Step | Settle], index: HmaIndex) -> list[Row]:
    rows = []
    for step in steps:
        if isinstance(step, Settle):
            index.settle()
            continue
        hma_answer, bastion_answer = hma.send(step), bastion.send(step)
        if not step.counted:
            continue
        agree = hma.normalise(hma_answer) == bastion.normalise(bastion_answer)
        rows.append(Row(step.label(), hma_answer, bastion_answer, agree))
    return rows


def print_table(rows: list[Row], *, only_differences: bool, width: int = 44) -> None:
    print(f"{'#':>3}  {'request':<60}  {'HMA':<{width}}  {'bastion':<{width}}  agree")
    for number, row in enumerate(rows, 1):
        if only_differences and row.agree:
            continue
        print(
            f"{number:>3}  {row.label[:60]:<60}  {row.hma.summary(width):<{width}}  "
            f"{row.bastion.summary(width):<{width}}  {'yes' if row.agree else 'NO'}"
        )
    agreeing = sum(row.agree for row in rows)
    print(f"\n{agreeing} of {len(rows)} agree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hma", default="http://127.0.0.1:5100", help="HMA's base URL")
    parser.add_argument("--bastion", default="http://127.0.0.1:8000", help="bastion's base URL")
    parser.add_argument("--key", default=os.environ.get("BASTION_KEY"), help="bastion admin key")
    parser.add_argument("--reset", action="store_true", help="delete every bank and exchange first")
    parser.add_argument("--settle-timeout", type=float, default=60.0)
    parser.add_argument("--cache-wait", type=float, default=3.0)
    parser.add_argument("--differences", action="store_true", help="print only disagreements")
    parser.add_argument("--json", type=Path, help="write every request and answer here")
    args = parser.parse_args()
    if not args.key:
        parser.error("--key (or BASTION_KEY) is required")

    media = generate()
    with (
        httpx.Client(base_url=args.hma, timeout=60) as hma_client,
        httpx.Client(
            base_url=args.bastion,
            timeout=60,
            headers={"Authorization": f"Bearer {args.key}"},
        ) as bastion_client,
        MediaServer(media).running() as server,
    ):
        hma, bastion = Side(hma_client), Side(bastion_client)
        if args.reset:
            reset(hma)
            reset(bastion)
        index = HmaIndex(hma_client, args.settle_timeout, args.cache_wait)
        rows = compare(hma, bastion, sequence(media, server.url), index)
    print_table(rows, only_differences=args.differences)
    if args.json:
        records = [
            {
                "request": r.label,
                "agree": r.agree,
                "hma": {"status": r.hma.status, "body": r.hma.body},
                "bastion": {"status": r.bastion.status, "body": r.bastion.body},
            }
            for r in rows
        ]
        args.json.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
