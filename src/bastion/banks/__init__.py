"""Banks of known content: their entries, signals and provenance, and the change sequence
(`ChangeLog`) that indexes and federation follow."""

from bastion.banks.bulk import BulkWriter
from bastion.banks.changes import Change, ChangeLog, ChangeOp
from bastion.banks.model import (
    ALL_OFF,
    Bank,
    BankEntry,
    Derived,
    MatchOptions,
    NewEntry,
    Provenance,
)
from bastion.banks.store import BankStore, IndexRow, SignalOwner

__all__ = [
    "ALL_OFF",
    "Bank",
    "BankEntry",
    "BankStore",
    "BulkWriter",
    "Change",
    "ChangeLog",
    "ChangeOp",
    "Derived",
    "IndexRow",
    "MatchOptions",
    "NewEntry",
    "Provenance",
    "SignalOwner",
]
