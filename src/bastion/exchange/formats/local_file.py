"""python-threatexchange's `local_file` format: one ``<signal_type> <hash>`` per line.

Blank lines are skipped. With a default signal type, a line may hold only the hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from bastion.banks import BankEntry
from bastion.exchange.formats.rows import HashRow, RowError, parse_signal

#: Longest line accepted (longer lines are reported, not read into memory whole).
MAX_LINE = 64 * 1024


def read_local_file(
    stream: TextIO, *, default_type: str | None = None
) -> Iterator[HashRow | RowError]:
    line_number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        line_number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            yield RowError(line_number, f"line longer than {MAX_LINE} characters")
            while line and not line.endswith("\n"):  # skip the rest of the overlong line
                line = stream.readline(MAX_LINE + 1)
            continue
        text = line.strip()
        if not text:
            continue
        type_name, _, value = text.partition(" ")
        if not value:
            if default_type is None:
                yield RowError(line_number, "expected '<signal_type> <hash>'")
                continue
            type_name, value = default_type, text
        yield parse_signal(line_number, type_name, value.strip(), {})


def write_local_file(entries: Iterable[BankEntry], stream: TextIO) -> int:
    rows = 0
    for entry in entries:
        for signal in entry.signals:
            stream.write(f"{signal.type} {signal.value}\n")
            rows += 1
    return rows
