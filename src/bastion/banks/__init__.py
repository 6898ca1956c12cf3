"""Banks of known content: their entries, signals and provenance."""

from bastion.banks.model import Bank, BankEntry, NewEntry, Provenance
from bastion.banks.store import BankStore, BulkWriter, Change, IndexRow, SignalOwner

__all__ = [
    "Bank",
    "BankEntry",
    "BankStore",
    "BulkWriter",
    "Change",
    "IndexRow",
    "NewEntry",
    "Provenance",
    "SignalOwner",
]
