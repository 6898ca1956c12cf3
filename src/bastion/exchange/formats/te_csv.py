"""ThreatExchange CSV, as written by python-threatexchange's `dataset --print-signals --csv`.

Header ``collab,signal_type,signal_str,category,tags``; `tags` is space-separated. Readers
accept the columns in any order and ignore unknown columns; only `signal_type` and
`signal_str` are required. `collab`, `category` and `tags` become entry metadata, and are
written back from it. bastion adds one column, `entry`: the rows of one entry (one per
signal) carry the same number, so an entry of several signals is read back whole
(`bastion.exchange.formats.entries`); python-threatexchange's files, without it, are read
as one entry per row. Export then import round-trips exactly.

Messages never quote the file: a file that is not a hash list at all (a key, a
configuration file) must not be read back through an error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from bastion.banks import BankEntry
from bastion.errors import ImportFormatError, ValidationError
from bastion.exchange.formats.rows import HashRow, RowError, parse_signal
from bastion.validation import METADATA_LIMITS, checked_object

COLUMNS = ("collab", "signal_type", "signal_str", "category", "tags", "entry")
REQUIRED = ("signal_type", "signal_str")
#: Longest field accepted; far above any real hash, far below what would exhaust memory.
MAX_FIELD = 64 * 1024


def header_columns(line: str) -> set[str]:
    """The column names of a CSV header line, as the reader matches them."""
    return {c.strip().strip('"').strip().lower() for c in line.split(",")}


def looks_like_te_csv(first_line: str) -> bool:
    return all(c in header_columns(first_line) for c in REQUIRED)


def missing_columns(header: Iterable[str]) -> list[str]:
    names = {c.strip().lower() for c in header}
    return [c for c in REQUIRED if c not in names]


def read_te_csv(stream: TextIO) -> Iterator[HashRow | RowError]:
    """Rows of a ThreatExchange CSV; malformed rows come back as `RowError`s."""
    reader = csv.reader(stream, strict=True)
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        header: list[str] | None = []
        while header == []:  # blank lines before the header
            try:
                header = next(reader, None)
            except csv.Error as e:
                raise ImportFormatError(
                    f"line {reader.line_num}: unreadable CSV header ({e})"
                ) from None
        if header is None:
            return
        if missing := missing_columns(header):
            raise ImportFormatError(
                f"line {reader.line_num}: looks like CSV but the header lacks the column"
                f"{'s' if len(missing) > 1 else ''} {' and '.join(missing)} (a ThreatExchange "
                f"CSV starts with: {','.join(COLUMNS[:5])})"
            )
        columns = {name.strip().lower(): i for i, name in enumerate(header)}
        yield from _rows(reader, columns, len(header))
    finally:
        csv.field_size_limit(previous)


def _rows(reader: Any, columns: dict[str, int], width: int) -> Iterator[HashRow | RowError]:
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
        if len(record) < width:
            yield RowError(line, f"expected {width} fields, found {len(record)}")
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
        try:
            checked_object(metadata, "metadata", METADATA_LIMITS)
        except ValidationError as e:
            yield RowError(line, e.message)
            continue
        entry = field("entry") or None
        yield parse_signal(line, field("signal_type"), field("signal_str"), metadata, entry)


def write_te_csv(entries: Iterable[BankEntry], stream: TextIO) -> int:
    """Write one row per signal of each entry, the rows of one entry numbered alike in the
    `entry` column (1, 2, ... in the order written); returns the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for number, entry in enumerate(entries, start=1):
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
                    number,
                )
            )
            rows += 1
    return rows
