"""Which format a hash list is in, from its first line that is not blank."""

from __future__ import annotations

from enum import StrEnum

from bastion.errors import ImportFormatError, UnknownSignalTypeError
from bastion.exchange.formats.te_csv import COLUMNS, header_columns, looks_like_te_csv
from bastion.signals import get_signal_type


class HashListFormat(StrEnum):
    TE_CSV = "csv"
    LOCAL_FILE = "local_file"


def detect_format(first_line: str) -> HashListFormat:
    """A ThreatExchange CSV if the line is its header, else `local_file`. A line that is
    neither a header nor a local_file line but has commas is a CSV whose header is wrong:
    ImportFormatError says which columns it lacks (and never quotes the line)."""
    if looks_like_te_csv(first_line):
        return HashListFormat.TE_CSV
    text = first_line.strip()
    if "," in text and not text.startswith("[") and not _is_signal_type(text.split()[0]):
        found = header_columns(text)
        missing = [c for c in ("signal_type", "signal_str") if c not in found]
        raise ImportFormatError(
            f"looks like CSV but the header lacks the column{'s' if len(missing) > 1 else ''} "
            f"{' and '.join(missing)} (a ThreatExchange CSV starts with: "
            f"{','.join(COLUMNS[:5])})"
        )
    return HashListFormat.LOCAL_FILE


def _is_signal_type(word: str) -> bool:
    """Whether a local_file line could start with `word` (`<signal_type> <hash>`)."""
    try:
        get_signal_type(word)
    except UnknownSignalTypeError:
        return False
    return True
