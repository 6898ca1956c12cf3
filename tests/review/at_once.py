"""Running the same work in several threads started together (reviewers racing)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def at_once(work: Callable[[str], T], names: Iterable[str]) -> dict[str, T]:
    """`work(name)` for each name, each in a thread of its own, all let go together; what
    each returned, by name. An error in one is raised here."""
    names = list(names)
    start = threading.Barrier(len(names))
    results: dict[str, T] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        start.wait()
        try:
            results[name] = work(name)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    assert sorted(results) == sorted(names), "a thread did not finish"
    return results
