"""Tallies of checks and matches, a UTC day at a time: what the transparency report counts.

Every check of content (an upload, a look-up, a live stream's frame, a message of a
conversation) is counted by its UTC day, its kind (`image`, `video`, `stream`, `text`,
`url`, `hash`, `message`...) and the door it came through (`api`, `hma`, `review`, `cli`,
`stream`); a check that matched a bank is counted as matched; each match is counted by its
day, bank, source (``local``, or the exchange its entry was fetched from) and signal type.
Nothing else is kept: not the content, its hashes, who sent it or when within the day.

`CheckTally` is the tables' one owner. Recording (`record`, `record_alert`) only adds to
counters in memory under a lock, a microsecond or so on the request's path, never a database
write; a thread of the tally's own writes what was recorded every `interval` seconds (5) as a
few upserts that add to the day's rows, so processes and workers that share a database add
up rather than overwrite each other, on SQLite and PostgreSQL alike. `flush` (called by
`Bastion.close`, so on every clean shutdown) writes what is left; a process killed without
one loses at most its last `interval` of counts. A failed write keeps its counts in memory
for the next pass.

Which source a matched entry came from is read when the counts are written, not when the
match is made: one query per write for the entries not seen lately (`_sources`), from the
entries' own provenance (`bank_entries.source`, `imported_from`, and the exchange's kind): a
read-only look-up here because the bank store has no query that returns it for many entries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bastion.banks.upstream import EXCHANGE_SOURCE
from bastion.errors import first_line
from bastion.matching import Match
from bastion.signals import Content, signal_types
from bastion.store import Database
from bastion.store.models import CheckTallyRow, EntryRow, ExchangeRow, MatchTallyRow

log = logging.getLogger("bastion.reporting")

#: Seconds between writes of one process's tallies.
FLUSH_SECONDS = 5.0
#: The exchange kind of bastion-to-bastion federation (`bastion.exchange.impl.federation`).
FEDERATION_KIND = "bastion"
#: Longest kind and door names (the columns' width).
NAME_LENGTH = 32

_EPOCH = date(1970, 1, 1)
_SECONDS_A_DAY = 86400
#: Rows per upsert statement (SQLite allows 32,766 bound values in one).
_ROWS_A_STATEMENT = 500
#: Entries whose source is remembered between writes.
_SOURCES_REMEMBERED = 100_000

_CHECKS: Table = CheckTallyRow.__table__  # type: ignore[assignment]
_MATCHES: Table = MatchTallyRow.__table__  # type: ignore[assignment]

#: A day's counts of one kind through one door: checked, matched, alerts.
_CheckKey = tuple[int, str, str]
#: A day's matches of one entry by one signal type: day, bank, signal type, entry id.
_MatchKey = tuple[int, str, str, int]


class CheckTally:
    """Counts checks, matches and alerts in memory and writes them, added to the day's rows,
    from a thread of its own (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()  # the counters
        self._write_lock = threading.Lock()  # one write at a time, and `flush` waits for it
        self._closed = threading.Event()
        self._checks: dict[_CheckKey, list[int]] = {}
        self._matches: dict[_MatchKey, int] = {}
        self._writer: threading.Thread | None = None
        self._sources: dict[int, tuple[str, str]] = {}

    # Recording (the request's path: memory only) ---------------------------------------

    def record(
        self,
        kind: str,
        door: str,
        matches: Sequence[Match] = (),
        *,
        checked: int = 1,
        matched: int | None = None,
    ) -> None:
        """Count `checked` checks of content of `kind` through `door`, `matched` of them
        matching (by default: one if there are `matches`), and each of `matches`."""
        day = int(self._clock() // _SECONDS_A_DAY)
        if matched is None:
            matched = 1 if matches else 0
        key = (day, kind[:NAME_LENGTH], door[:NAME_LENGTH])
        with self._lock:
            counts = self._checks.get(key)
            if counts is None:
                counts = self._checks[key] = [0, 0, 0]
            counts[0] += checked
            counts[1] += matched
            for m in matches:
                match_key = (day, m.bank, m.signal_type, m.entry_id)
                self._matches[match_key] = self._matches.get(match_key, 0) + 1
            writer = self._new_writer()
        if writer is not None:
            writer.start()

    def record_alert(self, kind: str, door: str) -> None:
        """Count an alert raised on content of `kind` (a live stream's) through `door`."""
        key = (int(self._clock() // _SECONDS_A_DAY), kind[:NAME_LENGTH], door[:NAME_LENGTH])
        with self._lock:
            self._checks.setdefault(key, [0, 0, 0])[2] += 1
            writer = self._new_writer()
        if writer is not None:
            writer.start()

    def _new_writer(self) -> threading.Thread | None:
        """A writer thread to start (outside the lock) when none is running; called under
        the lock."""
        if self._writer is not None:
            return None
        self._writer = threading.Thread(
            target=self._write_now_and_then, name="bastion-tallies", daemon=True
        )
        return self._writer

    # Writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every count recorded so far (waiting for a write under way)."""
        self._write_pending()

    def close(self) -> None:
        """`flush`, and let the writer thread end."""
        self._closed.set()
        self._write_pending()

    def _write_now_and_then(self) -> None:
        while True:
            self._closed.wait(self._interval)
            self._write_pending()
            with self._lock:
                if not self._checks and not self._matches:
                    self._writer = None
                    return

    def _write_pending(self) -> None:
        with self._write_lock:
            with self._lock:
                checks, self._checks = self._checks, {}
                matches, self._matches = self._matches, {}
            if not checks and not matches:
                return
            try:
                self._write(checks, matches)
            except Exception as e:  # the database is away: keep the counts for the next pass
                log.warning(
                    "could not write the tallies of %d check(s), kept for the next write: %s",
                    sum(c[0] for c in checks.values()),
                    first_line(e),
                )
                with self._lock:
                    for key, counts in checks.items():
                        kept = self._checks.setdefault(key, [0, 0, 0])
                        for i, n in enumerate(counts):
                            kept[i] += n
                    for mkey, n in matches.items():
                        self._matches[mkey] = self._matches.get(mkey, 0) + n

    def _write(self, checks: dict[_CheckKey, list[int]], matches: dict[_MatchKey, int]) -> None:
        with self._db.session() as s:
            # Sorted: concurrent writers lock PostgreSQL's rows in one order, so never deadlock.
            check_rows = [
                {"day": _day(d), "kind": k, "door": door, "checked": c[0], "matched": c[1],
                 "alerts": c[2]}
                for (d, k, door), c in sorted(checks.items())
            ]  # fmt: skip
            self._upsert(s, _CHECKS, check_rows, ("checked", "matched", "alerts"))
            sources = self._sources_of(s, {key[3] for key in matches})
            by_source: dict[tuple[int, str, str, str], tuple[str, int]] = {}
            for (d, bank, signal_type, entry_id), n in matches.items():
                source, source_kind = sources[entry_id]
                key = (d, bank, source, signal_type)
                before = by_source.get(key, (source_kind, 0))[1]
                by_source[key] = (source_kind, before + n)
            match_rows = [
                {"day": _day(d), "bank": bank, "source": source, "signal_type": signal_type,
                 "source_kind": source_kind, "matches": n}
                for (d, bank, source, signal_type), (source_kind, n) in sorted(by_source.items())
            ]  # fmt: skip
            self._upsert(s, _MATCHES, match_rows, ("matches",))

    def _upsert(
        self,
        s: Session,
        table: Table,
        rows: list[dict[str, object]],
        counts: tuple[str, ...],
    ) -> None:
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        keys = [c.name for c in table.primary_key.columns]
        for start in range(0, len(rows), _ROWS_A_STATEMENT):
            statement = insert(table).values(rows[start : start + _ROWS_A_STATEMENT])
            s.execute(
                statement.on_conflict_do_update(
                    index_elements=keys,
                    set_={c: table.c[c] + statement.excluded[c] for c in counts},
                )
            )

    def _sources_of(self, s: Session, entry_ids: set[int]) -> dict[int, tuple[str, str]]:
        """Each entry's source and source kind: remembered, or read (see the module
        docstring); an entry gone since it matched is ``unknown``."""
        found = {i: self._sources[i] for i in entry_ids if i in self._sources}
        missing = sorted(entry_ids - found.keys())
        for start in range(0, len(missing), _ROWS_A_STATEMENT):
            part = missing[start : start + _ROWS_A_STATEMENT]
            rows = s.execute(
                select(EntryRow.id, EntryRow.source, EntryRow.imported_from, ExchangeRow.kind)
                .outerjoin(ExchangeRow, EntryRow.exchange_id == ExchangeRow.id)
                .where(EntryRow.id.in_(part))
            )
            for entry_id, source, imported_from, kind in rows:
                found[entry_id] = _source(source, imported_from, kind)
        if len(self._sources) + len(found) > _SOURCES_REMEMBERED:
            self._sources.clear()
        self._sources.update(found)
        return {i: found.get(i, ("unknown", "unknown")) for i in entry_ids}


def _source(source: str, imported_from: str | None, kind: str | None) -> tuple[str, str]:
    if source != EXCHANGE_SOURCE:
        return "local", "local"
    name = (imported_from or "removed exchange")[:255]
    if kind is None:
        return name, "exchange"
    return name, "federation" if kind == FEDERATION_KIND else kind[:NAME_LENGTH]


def _day(number: int) -> date:
    return _EPOCH + timedelta(days=number)


# What kind of content a look-up is about --------------------------------------------------

_IMAGE = frozenset({Content.IMAGE, Content.IMAGE_FILE})
_VIDEO = frozenset({Content.VIDEO, Content.VIDEO_FILE})
_KINDS: dict[str, str] = {}


def signal_kind(type_name: str) -> str:
    """The kind of content a look-up of a `type_name` signal checks: ``image`` or ``video``
    for a type computed only from that medium (PDQ; vPDQ, TMK...), ``text`` and ``url``
    for those types, ``hash`` for a file digest of either medium (MD5, SHA-256) or a type
    bastion only stores."""
    found = _KINDS.get(type_name)
    if found is not None:
        return found
    cls = signal_types().get(type_name)
    content = cls.content if cls is not None else frozenset()
    if content and content <= _IMAGE:
        found = "image"
    elif content and content <= _VIDEO:
        found = "video"
    elif type_name in ("text", "url"):
        found = type_name
    else:
        found = "hash"
    _KINDS[type_name] = found
    return found


@dataclass(frozen=True)
class LookedUp:
    """The checks of one look-up of signals computed elsewhere, by kind: each signal is a
    check of content of its type's kind, matched if a match was made with it."""

    kind: str
    checked: int
    matched: int


def looked_up(signals: Iterable[tuple[str, str]], matches: Sequence[Match]) -> list[LookedUp]:
    """The checks of a look-up of `signals` (their type and `Signal.key`) that made
    `matches`, by kind (see `LookedUp`)."""
    hits = {(m.signal_type, m.query_value) for m in matches}
    counts: dict[str, list[int]] = {}
    for type_name, key in signals:
        kind = counts.setdefault(signal_kind(type_name), [0, 0])
        kind[0] += 1
        kind[1] += (type_name, key) in hits
    return [LookedUp(kind, n, m) for kind, (n, m) in counts.items()]


# Reading (the transparency report) ---------------------------------------------------------


@dataclass(frozen=True)
class CheckCounts:
    checked: int = 0
    matched: int = 0
    alerts: int = 0


@dataclass(frozen=True)
class MatchCount:
    bank: str
    source: str
    source_kind: str
    signal_type: str
    matches: int


def check_counts(db: Database, start: date, end: date) -> dict[tuple[str, str], CheckCounts]:
    """Checks, matched checks and alerts of the days in [start, end), by (kind, door)."""
    t = CheckTallyRow
    with db.session() as s:
        rows = s.execute(
            select(t.kind, t.door, func.sum(t.checked), func.sum(t.matched), func.sum(t.alerts))
            .where(t.day >= start, t.day < end)
            .group_by(t.kind, t.door)
        )
        return {(k, d): CheckCounts(int(c), int(m), int(a)) for k, d, c, m, a in rows}


def match_counts(db: Database, start: date, end: date) -> list[MatchCount]:
    """Matches of the days in [start, end), by bank, source and signal type."""
    t = MatchTallyRow
    with db.session() as s:
        rows = s.execute(
            select(t.bank, t.source, func.max(t.source_kind), t.signal_type, func.sum(t.matches))
            .where(t.day >= start, t.day < end)
            .group_by(t.bank, t.source, t.signal_type)
        )
        return [MatchCount(b, src, kind, st, int(n)) for b, src, kind, st, n in rows]
