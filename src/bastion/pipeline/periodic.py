"""`every`: run a task now and then on a thread of its own, for as long as a `with` block
lasts (the worker's housekeeping, the report sender).

A `BastionError` (the database or a bucket away for a moment) is logged as a warning and
tried again next time; any other exception is logged with its traceback, and the loop goes
on: a bug in one round never ends the worker's task for good.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bastion.errors import BastionError


@contextmanager
def every(
    interval: float, task: Callable[[], object], *, name: str, log: logging.Logger
) -> Iterator[threading.Thread]:
    halt = threading.Event()

    def loop() -> None:
        while not halt.is_set():
            try:
                task()
            except BastionError as e:
                log.warning("%s: %s", name, e)
            except Exception:
                log.exception("%s failed", name)
            halt.wait(interval)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        halt.set()
        thread.join(timeout=30)
