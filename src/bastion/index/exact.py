"""Exact-match index: a hash map from value to ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bastion.index.base import IndexHit, SignalIndex


class ExactIndex(SignalIndex):
    def __init__(self) -> None:
        self._ids_by_value: dict[str, set[int]] = {}
        self._value_by_id: dict[int, str] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.remove(i for i in ids if i in self._value_by_id)
        for i, value in zip(ids, values, strict=True):
            self._ids_by_value.setdefault(value, set()).add(i)
            self._value_by_id[i] = value

    def remove(self, ids: Iterable[int]) -> None:
        for i in list(ids):
            value = self._value_by_id.pop(i, None)
            if value is None:
                continue
            bucket = self._ids_by_value[value]
            bucket.discard(i)
            if not bucket:
                del self._ids_by_value[value]

    def query(self, value: str, threshold: int = 0) -> list[IndexHit]:
        return [IndexHit(0, i) for i in sorted(self._ids_by_value.get(value, ()))]

    def value(self, id: int) -> str:
        return self._value_by_id[id]

    def __len__(self) -> int:
        return len(self._value_by_id)
