"""Importing hash lists into a bank and exporting a bank as a hash list.

An import is one transaction: by default any bad row aborts it after every row has been
checked (so the user sees all the problems at once) and nothing is written. With
`skip_invalid`, bad rows are reported and skipped and the good ones are committed. A file
that holds no hashes at all is an error, not an import of nothing. Rows are put together
into entries (`read_entries`): an entry of several signals exported as a ThreatExchange CSV
comes back as one entry.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from bastion.audit import AuditLog
from bastion.banks import BankStore, NewEntry
from bastion.errors import ImportFormatError
from bastion.exchange.formats import (
    HashListFormat,
    HashRow,
    RowError,
    detect_format,
    read_entries,
    read_local_file,
    read_te_csv,
    write_local_file,
    write_te_csv,
)

#: How many row errors an import keeps to show; the count covers all of them.
KEPT_ERRORS = 50


@dataclass
class ImportResult:
    #: Rows read (a CSV's header and blank lines apart).
    rows: int = 0
    #: Entries added (an entry of several signals is several rows).
    accepted: int = 0
    #: Entries skipped because the bank holds all their signals already.
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False


class ImportAborted(ImportFormatError):
    """The import found bad rows and wrote nothing. `skip_option` is how the caller's door
    names the `skip_invalid` option (the command line's `--skip-invalid`)."""

    def __init__(self, result: ImportResult, skip_option: str = "skip_invalid") -> None:
        first = result.errors[0] if result.errors else "unknown error"
        super().__init__(
            f"{result.rejected:,} of {result.rows:,} rows rejected, nothing imported "
            f"(first: {first}); fix the file, or import with {skip_option} to skip bad rows"
        )
        self.result = result


class _CountingReader(io.RawIOBase):
    """Counts bytes read from a binary stream, for progress by bytes."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self._on_read and n:
            self._on_read(n)
        return n


def file_format(path: Path) -> HashListFormat:
    """The format of the file at `path`, from its first line that is not blank
    (`detect_format`)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        for _ in range(100):
            line = f.readline(4096)
            if line.strip() or not line:
                break
    return detect_format(line)


def import_file(
    store: BankStore,
    bank: str,
    path: Path,
    *,
    fmt: HashListFormat | None = None,
    default_type: str | None = None,
    skip_invalid: bool = False,
    added_by: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    name: str | None = None,
    skip_option: str = "skip_invalid",
) -> ImportResult:
    """Import a hash-list file into `bank` (see module docstring for the all-or-nothing rule).

    `name` is what provenance and messages call the file (default: its file name), and
    `skip_option` what they call the `skip_invalid` option (see `ImportAborted`).
    """
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    try:
        return _import_stream(
            store,
            bank,
            path,
            name or path.name,
            fmt or file_format(path),
            default_type,
            skip_invalid,
            added_by,
            on_bytes,
            skip_option,
        )
    except ImportAborted:
        raise
    except ImportFormatError as e:  # a file-level problem: name the file
        raise ImportFormatError(f"{name or path}: {e.message}") from None


def _import_stream(
    store: BankStore,
    bank: str,
    path: Path,
    name: str,
    fmt: HashListFormat,
    default_type: str | None,
    skip_invalid: bool,
    added_by: str | None,
    on_bytes: Callable[[int], None] | None,
    skip_option: str,
) -> ImportResult:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(
            io.BufferedReader(_CountingReader(raw, on_bytes), buffer_size=1 << 16),
            encoding="utf-8-sig",
            newline="" if fmt is HashListFormat.TE_CSV else None,
        )
        rows = (
            read_te_csv(text)
            if fmt is HashListFormat.TE_CSV
            else read_local_file(text, default_type=default_type)
        )
        return import_rows(
            store,
            bank,
            rows,
            imported_from=name,
            skip_invalid=skip_invalid,
            added_by=added_by,
            skip_option=skip_option,
        )


def import_rows(
    store: BankStore,
    bank: str,
    rows: Iterator[HashRow | RowError],
    *,
    imported_from: str,
    skip_invalid: bool = False,
    added_by: str | None = None,
    skip_option: str = "skip_invalid",
) -> ImportResult:
    result = ImportResult()
    with store.bulk_writer(
        bank, source="import", imported_from=imported_from, added_by=added_by
    ) as writer:
        for item in read_entries(_counted(_decoded(rows), result)):
            if isinstance(item, RowError):
                result.rejected += 1
                if len(result.errors) < KEPT_ERRORS:
                    result.errors.append(item)
                continue
            if result.rejected and not skip_invalid:
                continue  # keep checking the rest; nothing will be written
            writer.add(NewEntry(signals=item.signals, metadata=item.metadata))
        if not result.rows:
            raise ImportFormatError("the file holds no hashes")
        if result.rejected and not skip_invalid:
            raise ImportAborted(result, skip_option)
        writer.flush()
        result.duplicates = writer.duplicates
        result.accepted = len(writer.added_ids)
    result.committed = True
    return result


def _counted(
    rows: Iterator[HashRow | RowError], result: ImportResult
) -> Iterator[HashRow | RowError]:
    for row in rows:
        result.rows += 1
        yield row


def _decoded(rows: Iterator[HashRow | RowError]) -> Iterator[HashRow | RowError]:
    """Turn a text-decoding failure mid-file into a readable import error."""
    try:
        yield from rows
    except UnicodeDecodeError as e:
        raise ImportFormatError(f"file is not UTF-8 text ({e.reason} at byte {e.start})") from None


def export_bank(
    store: BankStore, bank: str, stream: TextIO, fmt: HashListFormat, *, actor: str
) -> int:
    """Write every entry of `bank` to `stream`; returns the number of rows written. The
    export is recorded in the audit log, with `actor`."""
    entries = store.iter_entries(bank)
    if fmt is HashListFormat.TE_CSV:
        rows = write_te_csv(entries, stream)
    else:
        rows = write_local_file(entries, stream)
    AuditLog(store.db).record(actor, "bank.export", bank, format=fmt.value, rows=rows)
    return rows
