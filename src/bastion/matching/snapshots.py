"""`SnapshotShelf`: saved Hamming indexes that every process on a machine maps and shares.

A *generation* is a directory `<root>/<seq>/` holding one saved `HammingSnapshot` per signal
type, all as of change `seq`. A matcher starting up maps the newest generation read-only and
replays the changes after `seq` from the database, so N worker processes hold one copy of a
large index in the page cache instead of N private copies, and start in seconds.

One process at a time publishes (an exclusive lock on `<root>/.lock`; where file locks are not
available, nothing is published and each process keeps a private index, which is slower to
start but just as correct). A generation is written into a temporary directory and renamed
into place, so a reader never sees half of one. Older generations are pruned, keeping the
previous one for processes that still map it (POSIX keeps a deleted file readable while it is
mapped).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bastion.index import MultiIndexHammingIndex
from bastion.store.database import redact
from bastion.store.private_files import (
    FILE_MODE,
    make_private_dir,
    make_tree_owner_only,
)

log = logging.getLogger(__name__)

KEEP = 2


@dataclass(frozen=True)
class Generation:
    seq: int
    path: Path

    @property
    def stamp(self) -> str:
        """The identity of change `seq` it was saved at (see `BankStore.change_stamp`)."""
        return (self.path / "COMPLETE").read_text().strip()

    def types(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir() if (p / "meta.json").exists())


class SnapshotShelf:
    def __init__(self, root: Path, *, min_signals: int = 100_000) -> None:
        self.root = root
        self.min_signals = min_signals

    @classmethod
    def for_database(
        cls, data_dir: Path, database_url: str, *, min_signals: int
    ) -> SnapshotShelf | None:
        """The shelf for this data directory and database, used from `min_signals` Hamming
        signals on (None when that is 0 or less: snapshots are off)."""
        if min_signals <= 0:
            return None
        database = hashlib.sha256(redact(database_url).encode()).hexdigest()[:16]
        return cls(data_dir / "index" / database, min_signals=min_signals)

    def latest(self) -> Generation | None:
        """The newest complete generation, if any."""
        if not self.root.is_dir():
            return None
        complete = [
            Generation(int(p.name), p)
            for p in self.root.iterdir()
            if p.name.isdigit() and (p / "COMPLETE").exists()
        ]
        return max(complete, key=lambda g: g.seq, default=None)

    def open(self, generation: Generation) -> dict[str, MultiIndexHammingIndex]:
        """Map every index of `generation`; raises ValueError for a damaged one."""
        indexes = {}
        for type_name in generation.types():
            indexes[type_name], _ = MultiIndexHammingIndex.open(generation.path / type_name)
        if not indexes:
            raise ValueError(f"{generation.path} holds no index")
        return indexes

    def discard(self, generation: Generation) -> None:
        """Remove an unusable generation, so the next load publishes a good one."""
        shutil.rmtree(generation.path, ignore_errors=True)

    def publish(
        self, seq: int, stamp: str, indexes: Mapping[str, MultiIndexHammingIndex]
    ) -> Generation | None:
        """Save `indexes` (as of change `seq`, whose stamp is `stamp`) as a new generation.

        Returns None when another process is publishing, or this platform cannot lock.
        """
        with self._locked() as locked:
            if not locked:
                return None
            latest = self.latest()
            if latest is not None and latest.seq >= seq:
                return latest
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
            try:
                for type_name, index in indexes.items():
                    index.save(staging / type_name, extra={"seq": seq})
                (staging / "COMPLETE").write_text(f"{stamp}\n")
                make_tree_owner_only(staging)  # before any reader can see it
                final = self.root / str(seq)
                staging.rename(final)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._prune()
            log.info("published index snapshot at change %d", seq)
            return Generation(seq, final)

    @contextmanager
    def _locked(self) -> Iterator[bool]:
        if sys.platform == "win32":  # no flock: no shared publishing
            yield False
            return
        import fcntl

        make_private_dir(self.root)
        make_tree_owner_only(self.root)  # generations an older version left readable
        lock = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
        with os.fdopen(lock, "r+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _prune(self) -> None:
        generations = sorted(
            (int(p.name), p) for p in self.root.iterdir() if p.name.isdigit() and p.is_dir()
        )
        for _, path in generations[:-KEEP]:
            shutil.rmtree(path, ignore_errors=True)
