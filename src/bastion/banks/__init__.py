"""Banks of known content: their entries, signals and provenance."""

from bastion.banks.bulk import BulkWriter
from bastion.banks.model import (
    ALL_OFF,
    Bank,
    BankEntry,
    Derived,
    MatchOptions,
    NewEntry,
    Provenance,
)
from bastion.banks.store import BankStore, Change, IndexRow, SignalOwner

__all__ = [
    "ALL_OFF",
    "Bank",
    "BankEntry",
    "BankStore",
    "BulkWriter",
    "Change",
    "Derived",
    "IndexRow",
    "MatchOptions",
    "NewEntry",
    "Provenance",
    "SignalOwner",
]
