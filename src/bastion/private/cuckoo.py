"""Where a token sits in a blinded table: cuckoo hashing with three choices.

Each token may sit in one of three slots fixed by the table's public seed; inserting into a
full choice evicts its occupant to one of that occupant's other choices (a random walk).
With three choices a table holds tokens up to about 90% of its slots; bastion builds at
`BUILD_LOAD` and rebuilds, larger and with a new seed, past `MAX_LOAD`.
"""

from __future__ import annotations

import hashlib
import random
from typing import Protocol

from bastion.errors import BastionError

CHOICES = 3
BUILD_LOAD = 0.8
MAX_LOAD = 0.88
MAX_KICKS = 1_000


class TableFullError(BastionError):
    """A token found no slot: the table must be rebuilt larger."""

    code = "table-full"


def positions(seed: bytes, size: int, token: bytes) -> tuple[int, int, int]:
    digest = hashlib.blake2b(token, digest_size=24, key=seed).digest()
    return (
        int.from_bytes(digest[0:8], "little") % size,
        int.from_bytes(digest[8:16], "little") % size,
        int.from_bytes(digest[16:24], "little") % size,
    )


def size_for(tokens: int) -> int:
    return max(16, int(tokens / BUILD_LOAD) + 1)


class Slots(Protocol):
    """A table's occupancy: which token each slot holds (None: a dummy)."""

    def get(self, slot: int) -> bytes | None: ...

    def set(self, slot: int, token: bytes) -> None: ...


def insert(slots: Slots, seed: bytes, size: int, token: bytes, rng: random.Random) -> list[int]:
    """Place `token`; returns the slots whose token changed. TableFullError after
    `MAX_KICKS` evictions (the caller rebuilds; `slots` then holds a lost token)."""
    changed: list[int] = []
    current = token
    previous = -1
    for _ in range(MAX_KICKS):
        choices = positions(seed, size, current)
        for slot in choices:
            if slots.get(slot) is None:
                slots.set(slot, current)
                changed.append(slot)
                return changed
        slot = rng.choice([c for c in choices if c != previous] or list(choices))
        evicted = slots.get(slot)
        assert evicted is not None
        slots.set(slot, current)
        changed.append(slot)
        current, previous = evicted, slot
    raise TableFullError(f"no slot for a token after {MAX_KICKS} moves")


class MemorySlots:
    """Slots in a dict, for building a table at once."""

    def __init__(self) -> None:
        self.tokens: dict[int, bytes] = {}

    def get(self, slot: int) -> bytes | None:
        return self.tokens.get(slot)

    def set(self, slot: int, token: bytes) -> None:
        self.tokens[slot] = token


def build(tokens: list[bytes], seed: bytes, size: int) -> dict[int, bytes]:
    """slot -> token for all `tokens` (distinct); TableFullError if they do not fit."""
    slots = MemorySlots()
    rng = random.Random(seed)
    for token in tokens:
        insert(slots, seed, size, token, rng)
    return slots.tokens
