"""Hash-list file formats spoken by other tools."""

from bastion.exchange.formats.detect import HashListFormat, detect_format
from bastion.exchange.formats.entries import HashEntry, read_entries
from bastion.exchange.formats.local_file import read_local_file, write_local_file
from bastion.exchange.formats.rows import HashRow, RowError
from bastion.exchange.formats.te_csv import looks_like_te_csv, read_te_csv, write_te_csv

__all__ = [
    "HashEntry",
    "HashListFormat",
    "HashRow",
    "RowError",
    "detect_format",
    "looks_like_te_csv",
    "read_entries",
    "read_local_file",
    "read_te_csv",
    "write_local_file",
    "write_te_csv",
]
