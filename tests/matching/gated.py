"""A `BankStore` whose reads a test holds open, to make interleavings with them deterministic.

The waits have generous limits only so that a regression fails instead of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from bastion.banks import BankStore, Change, IndexRow, SignalOwner
from bastion.store import Database

T = TypeVar("T")

#: Only for a regression: a wait that should end at once.
GUARD_SECONDS = 30


class Gate:
    """One read held open: `reading` is set once it has read, and it returns on `go_on`."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.go_on = threading.Event()


class GatedStore(BankStore):
    """A store whose chosen reads, once armed, wait for the test after reading."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._gates: dict[str, list[Gate]] = {}

    def arm(self, method: str) -> Gate:
        """Hold the next call of `method` not yet held (armed gates are taken in order)."""
        gate = Gate()
        self._gates.setdefault(method, []).append(gate)
        return gate

    def _gate(self, method: str) -> None:
        if self._gates.get(method):
            gate = self._gates[method].pop(0)
            gate.reading.set()
            assert gate.go_on.wait(GUARD_SECONDS)

    def index_rows_for_entries(self, entry_ids: Sequence[int]) -> list[IndexRow]:
        rows = super().index_rows_for_entries(entry_ids)
        self._gate("index_rows_for_entries")
        return rows

    def changes_since(
        self, seq: int, *, until: int | None = None, limit: int = 10_000
    ) -> list[Change]:
        changes = super().changes_since(seq, until=until, limit=limit)
        self._gate("changes_since")
        return changes

    def signal_owners(self, signal_ids: Sequence[int]) -> dict[int, SignalOwner]:
        owners = super().signal_owners(signal_ids)
        self._gate("signal_owners")
        return owners


def in_a_thread(run: Callable[[], T]) -> tuple[threading.Thread, list[T]]:
    """Start `run` in a thread; the list receives its result."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(run()), daemon=True)
    thread.start()
    return thread, result
