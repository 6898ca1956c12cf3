"""The blinded table a device holds: each slot a point, a·H(token) for a token of the bank
or a random point, indistinguishable without a.

The service publishes it as a JSON document: the table's parameters and either all its
slots (`slots`, base64 of 32 bytes per slot) or, for a device that has version `since`,
the slots changed after it (`changes`, base64 of records: slot, 4 bytes big-endian, then
the point). `digest()` names the whole table, so devices (or anyone) can check they were
all given the same one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from bastion.errors import ValidationError
from bastion.private.group import POINT_BYTES, point
from bastion.private.tokens import Lsh

KINDS = ("exact", "near")
#: The largest table a device accepts (slots): 2^26, 2 GiB of points.
MAX_SLOTS = 1 << 26
_CHANGE = 4 + POINT_BYTES


class TableMismatchError(ValidationError):
    """An update for another table, or one that does not follow the version held."""

    code = "table-mismatch"


@dataclass(frozen=True)
class TableInfo:
    id: bytes
    kind: str
    version: int
    size: int
    seed: bytes
    public_key: bytes
    account_threshold: int
    item_threshold: int
    lsh: Lsh | None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.id.hex(),
            "kind": self.kind,
            "version": self.version,
            "size": self.size,
            "seed": self.seed.hex(),
            "public_key": self.public_key.hex(),
            "account_threshold": self.account_threshold,
            "item_threshold": self.item_threshold,
            "lsh": None if self.lsh is None else self.lsh.to_json(),
        }

    @classmethod
    def from_json(cls, doc: Any) -> TableInfo:
        if not isinstance(doc, dict):
            raise ValidationError("a table document is a JSON object")
        try:
            info = cls(
                id=_hex(doc["table"], 16, "table"),
                kind=str(doc["kind"]),
                version=int(doc["version"]),
                size=int(doc["size"]),
                seed=_hex(doc["seed"], 16, "seed"),
                public_key=point(_hex(doc["public_key"], POINT_BYTES, "public_key"), "public_key"),
                account_threshold=int(doc["account_threshold"]),
                item_threshold=int(doc["item_threshold"]),
                lsh=None if doc.get("lsh") is None else Lsh.from_json(doc["lsh"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(f"a table document lacks or garbles {error}") from None
        if info.kind not in KINDS or (info.kind == "near") != (info.lsh is not None):
            raise ValidationError(f"unknown table kind {info.kind!r}")
        if not 1 <= info.size <= MAX_SLOTS or info.version < 0:
            raise ValidationError(f"a table of {info.size} slots is out of range")
        if not 1 <= info.account_threshold <= 255 or not 1 <= info.item_threshold <= 64:
            raise ValidationError("thresholds out of range")
        return info


class BlindedTable:
    """A device's copy of the table."""

    def __init__(self, info: TableInfo, slots: bytes) -> None:
        if len(slots) != info.size * POINT_BYTES:
            raise ValidationError(
                f"the table has {len(slots)} bytes of slots, not {info.size} points"
            )
        self.info = info
        self._slots = bytearray(slots)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> BlindedTable:
        info = TableInfo.from_json(doc)
        if doc.get("slots") is None:
            raise TableMismatchError("this document holds changes, not a whole table")
        return cls(info, _base64(doc["slots"], "slots"))

    def slot(self, index: int) -> bytes:
        start = index * POINT_BYTES
        return bytes(self._slots[start : start + POINT_BYTES])

    def update(self, doc: dict[str, Any]) -> BlindedTable:
        """The table after `doc`: a whole table (when the service rebuilt it) or the changes
        since the version held."""
        if doc.get("slots") is not None:
            return BlindedTable.from_document(doc)
        info = TableInfo.from_json(doc)
        if info.id != self.info.id or info.size != self.info.size:
            raise TableMismatchError("changes for another table: fetch it whole")
        if doc.get("since") != self.info.version:
            raise TableMismatchError(
                f"changes since version {doc.get('since')}, but this copy is version "
                f"{self.info.version}"
            )
        changes = _base64(doc.get("changes", ""), "changes")
        if len(changes) % _CHANGE:
            raise ValidationError("changes are 36-byte records")
        slots = bytearray(self._slots)
        for start in range(0, len(changes), _CHANGE):
            index = int.from_bytes(changes[start : start + 4], "big")
            if index >= info.size:
                raise ValidationError(f"a change to slot {index} of {info.size}")
            slots[index * POINT_BYTES : (index + 1) * POINT_BYTES] = changes[
                start + 4 : start + _CHANGE
            ]
        return BlindedTable(info, bytes(slots))

    def digest(self) -> str:
        """BLAKE2b of the parameters and every slot: equal tables, equal digests."""
        h = hashlib.blake2b(digest_size=32)
        h.update(repr(sorted(self.info.to_json().items())).encode())
        h.update(self._slots)
        return h.hexdigest()

    def __len__(self) -> int:
        return self.info.size


def encode_slots(points: bytes) -> str:
    return base64.b64encode(points).decode()


def encode_changes(changes: list[tuple[int, bytes]]) -> str:
    return base64.b64encode(b"".join(s.to_bytes(4, "big") + p for s, p in changes)).decode()


def _hex(value: Any, length: int, what: str) -> bytes:
    try:
        data = bytes.fromhex(str(value))
    except ValueError:
        raise ValidationError(f"{what}: not hex") from None
    if len(data) != length:
        raise ValidationError(f"{what}: {length} bytes")
    return data


def _base64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"{what}: not base64") from None
