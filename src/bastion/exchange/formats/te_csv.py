"""ThreatExchange CSV, as written by python-threatexchange's `dataset --print-signals --csv`.

Header ``collab,signal_type,signal_str,category,tags``; `tags` is space-separated. Readers
accept the columns in any order and ignore unknown columns; only `signal_type` and
`signal_str` are required. `collab`, `category` and `tags` become entry metadata, and are
written back from it, so export then import round-trips exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from bastion.banks import BankEntry
from bastion.errors import ImportFormatError
from bastion.exchange.formats.rows import HashRow, RowError, parse_signal

COLUMNS = ("collab", "signal_type", "signal_str", "category", "tags")
REQUIRED = ("signal_type", "signal_str")
#: Longest field accepted; far above any real hash, far below what would exhaust memory.
MAX_FIELD = 64 * 1024


def looks_like_te_csv(first_line: str) -> bool:
    header = {c.strip().lower() for c in first_line.split(",")}
    return all(c in header for c in REQUIRED)


def read_te_csv(stream: TextIO) -> Iterator[HashRow | RowError]:
    """Rows of a ThreatExchange CSV; malformed rows come back as `RowError`s."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise ImportFormatError(f"line 1: unreadable CSV header ({e})") from None
    if header is None:
        return
    columns = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFormatError(
            f"line 1: CSV header must name the columns {', '.join(REQUIRED)} "
            f"(found: {', '.join(header) or 'nothing'})"
        )
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                # The csv module cannot resynchronise after a broken record: stop here.
                raise ImportFormatError(f"line {reader.line_num}: malformed CSV ({e})") from None
            line = reader.line_num
            if not record or all(not f.strip() for f in record):
                continue
            if len(record) < len(header):
                yield RowError(line, f"expected {len(header)} fields, found {len(record)}")
                continue

            def field(name: str, record: list[str] = record) -> str:
                i = columns.get(name)
                return record[i].strip() if i is not None else ""

            metadata: dict[str, Any] = {}
            if field("collab"):
                metadata["collab"] = field("collab")
            if field("category"):
                metadata["category"] = field("category")
            if tags := field("tags").split():
                metadata["tags"] = tags
            yield parse_signal(line, field("signal_type"), field("signal_str"), metadata)
    finally:
        csv.field_size_limit(previous)


def write_te_csv(entries: Iterable[BankEntry], stream: TextIO) -> int:
    """Write one row per signal of each entry; returns the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for entry in entries:
        meta = entry.metadata
        tags = meta.get("tags", [])
        for signal in entry.signals:
            writer.writerow(
                (
                    str(meta.get("collab", "")),
                    signal.type,
                    signal.value,
                    str(meta.get("category", "")),
                    " ".join(str(t) for t in tags) if isinstance(tags, list) else str(tags),
                )
            )
            rows += 1
    return rows
