"""The index interface: values in, ids of near (or equal) values out, updated incrementally."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class IndexHit:
    distance: int
    id: int


class SignalIndex(ABC):
    """Holds (id, value) pairs of one signal type. Ids are unique; values need not be."""

    @abstractmethod
    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        """Add pairs; adding an id that is already present replaces its value."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> None:
        """Remove ids; unknown ids are ignored."""

    @abstractmethod
    def query(self, value: str, threshold: int) -> list[IndexHit]:
        """Every id whose value is within `threshold` of `value`, nearest first."""

    @abstractmethod
    def __len__(self) -> int: ...
