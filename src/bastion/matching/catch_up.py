"""Catching an index up with the change sequence: bounded steps, read before they are applied.

A matcher answers queries from its index while it catches up, so the reading (the changes
and the rows they need, several database round trips) happens without holding the index;
only applying a step, which is memory work, holds it. A catch-up stops at the newest change
there was when it began: on a store that writers keep busy, following every change that
arrives meanwhile would never end (issue 16: look-ups stalled for 20-30 s behind such a loop
on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bastion.banks import Bank, BankStore, Change, IndexRow
from bastion.store.models import ChangeOp

#: Changes per step: what one hold of the index applies (a few milliseconds).
STEP_CHANGES = 1_000
#: Changes whose removed signals (`BankStore.removed_signals`) leave the index.
_DELETIONS = (ChangeOp.ENTRY_DELETE, ChangeOp.BANK_DELETE, ChangeOp.SIGNALS_REPLACED)
_BANK_CHANGES = (ChangeOp.BANK_UPSERT, ChangeOp.BANK_DELETE)


@dataclass(frozen=True)
class ChangeStep:
    """Some consecutive changes and what applying them needs, as read from the store."""

    #: The sequence number of the last change of the step, and how many changes it holds.
    seq: int
    count: int
    #: Every bank, when the step changes one (else None: the banks are as they were).
    banks: dict[int, Bank] | None
    #: (signal id, signal type) to take out of the index: signals the changes deleted, and
    #: the present signals of the entries they changed (put back from `rows` if matchable).
    gone: list[tuple[int, str]]
    #: The matchable signals of the changed entries, as they are now.
    rows: list[IndexRow]


def read_steps(
    store: BankStore, after: int, *, until: int | None = None, size: int = STEP_CHANGES
) -> Iterator[ChangeStep]:
    """The changes after `after`, `size` at a time, each step read when it is asked for.

    Ends at the newest change when the first step is read (or at `until`, if lower): changes
    that arrive later are for the next catch-up. Reading a row after its change is harmless,
    and so is reading it again: a step takes an entry's signals out and puts back what is
    there when it reads, so replaying changes is idempotent.
    """
    head = until
    first = True
    while head is None or after < head:
        changes = store.changes_since(after, until=head, limit=size)
        if not changes:
            return
        if first:
            first = False
            if len(changes) == size:  # more to come: fix the end now
                newest = store.head_seq()
                head = newest if head is None else min(head, newest)
            elif head is None:  # this page holds every change there is
                head = changes[-1].seq
        yield _read(store, changes)
        after = changes[-1].seq


def _read(store: BankStore, changes: list[Change]) -> ChangeStep:
    banks = store.banks_by_id() if any(c.op in _BANK_CHANGES for c in changes) else None
    deletions = [c.seq for c in changes if c.op in _DELETIONS]
    gone = store.removed_signals(deletions) if deletions else []
    entry_ids = sorted({c.entry_id for c in changes if c.entry_id is not None})
    rows: list[IndexRow] = []
    if entry_ids:
        gone += store.signals_of_entries(entry_ids)
        rows = store.index_rows_for_entries(entry_ids)
    return ChangeStep(changes[-1].seq, len(changes), banks, gone, rows)
