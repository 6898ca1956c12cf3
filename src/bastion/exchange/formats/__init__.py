"""Hash-list file formats spoken by other tools."""

from enum import StrEnum

from bastion.exchange.formats.local_file import read_local_file, write_local_file
from bastion.exchange.formats.rows import HashRow, RowError
from bastion.exchange.formats.te_csv import looks_like_te_csv, read_te_csv, write_te_csv


class HashListFormat(StrEnum):
    TE_CSV = "csv"
    LOCAL_FILE = "local_file"


__all__ = [
    "HashListFormat",
    "HashRow",
    "RowError",
    "looks_like_te_csv",
    "read_local_file",
    "read_te_csv",
    "write_local_file",
    "write_te_csv",
]
