"""Retroactive matching: when a bank gains entries, the content bastion checked before is
matched against those entries alone, and what now matches is acted on like a fresh match.

Content checked while `checked_retention_days` is on keeps its signals (`CheckedStore`). This
follows the bank's change log from a cursor: every entry added or changed since (an import,
an exchange sync, a federation feed, a reviewer's decision: they all write the log) is a
*new* entry. Its signals find candidates in the history:

- exact types (MD5, SHA-256...): an indexed look-up of the new values;
- PDQ (and any Hamming type): the history is read a page at a time; against a page, a few new
  codes are compared directly, many are searched in a multi-index built over the page, within
  the largest threshold of any bank.

Each candidate is then matched by the live matcher, exactly as an upload would be (enabled
banks and entries, each bank's threshold, reviewers' exceptions), keeping only matches of new
entries that it did not match when it was checked. A pair is claimed once
(`retro_matches`), in the transaction that queues its actions: running this twice, or in
two processes at once, acts once. The event says ``"retroactive": true``, with when the
content was checked and its content and user ids.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

import numpy as np

from bastion.banks import IndexRow
from bastion.index import HammingSnapshot
from bastion.index.codes import distances, hex_to_words
from bastion.matching import Match
from bastion.matching.catch_up import read_steps
from bastion.matching.checked import CheckedContent
from bastion.matching.thresholds import threshold_for
from bastion.pipeline.bastion import Bastion
from bastion.pipeline.periodic import every
from bastion.signals import MatchKind, signal_types

log = logging.getLogger("bastion.retroactive")

#: Kept signals read per page of history.
HISTORY_PAGE = 1_000_000
#: Up to this many new codes are compared with a page directly (each comparison reads the
#: whole page); more are searched in an index built over the page.
DIRECT_CODES = 32
#: Candidates read from the store at a time.
CANDIDATES_READ = 1_000
#: Bank changes read per step.
STEP_CHANGES = 10_000
#: New signals matched against the history in one pass over it.
BATCH_SIGNALS = 250_000


@dataclass(frozen=True)
class RetroResult:
    #: Bank changes looked at, and the new entries' signals among them.
    changes: int = 0
    new_signals: int = 0
    #: Checked content that came near a new entry, and the pairs that matched (acted on once).
    candidates: int = 0
    matched: int = 0
    queued: int = 0
    seconds: float = 0.0

    def __add__(self, other: RetroResult) -> RetroResult:
        return RetroResult(
            self.changes + other.changes,
            self.new_signals + other.new_signals,
            self.candidates + other.candidates,
            self.matched + other.matched,
            self.queued + other.queued,
            self.seconds + other.seconds,
        )


class Retroactive:
    def __init__(self, bastion: Bastion, *, history_page: int = HISTORY_PAGE) -> None:
        self.bastion = bastion
        self.history_page = history_page

    def run(self) -> RetroResult:
        """Match the entries added since the last run against the kept content."""
        started = time.monotonic()
        checked = self.bastion.checked
        store = self.bastion.store
        cursor = checked.cursor()
        if cursor is None:  # first run: from the oldest content kept, or from now
            oldest = checked.oldest_seq()
            cursor = oldest if oldest is not None else store.head_seq()
            with self.bastion.db.session() as s:
                checked.move_cursor_in(s, cursor)
        head = self.bastion.matcher.catch_up()  # the matcher knows the new entries
        total = RetroResult()
        if head <= cursor:
            return total
        # Steps are gathered until they hold `BATCH_SIGNALS` signals: each batch reads the
        # whole history once, so 100,000 new entries cost one pass, not ten.
        rows: list[IndexRow] = []
        changes = 0
        for step in read_steps(store, cursor, until=head, size=STEP_CHANGES):
            rows += step.rows
            changes += step.count
            if len(rows) >= BATCH_SIGNALS or step.seq >= head:
                total = total + self._batch(rows, changes, step.seq)
                rows, changes = [], 0
        if changes:  # the last steps, when the log ended before `head` (purged changes)
            total = total + self._batch(rows, changes, head)
        if total.matched:
            log.info(
                "retroactive matching: %d pairs of checked content and new entries matched "
                "(%d bank changes)",
                total.matched, total.changes,
            )  # fmt: skip
        return replace(total, seconds=time.monotonic() - started)

    def _batch(self, rows: list[IndexRow], changes: int, seq: int) -> RetroResult:
        """Match the signals `rows` against the history, act, and move the cursor to `seq`."""
        found = self._match_rows(rows) if rows else RetroResult()
        with self.bastion.db.session() as s:
            self.bastion.checked.move_cursor_in(s, seq)
        return replace(found, changes=changes)

    # Finding candidates -------------------------------------------------------------------

    def _match_rows(self, rows: list[IndexRow]) -> RetroResult:
        new_entries = {r.entry_id for r in rows}
        by_type: dict[str, list[str]] = {}
        for row in rows:
            by_type.setdefault(row.signal_type, []).append(row.value)
        candidates: set[int] = set()
        installed = signal_types()
        for type_name, values in by_type.items():
            signal_type = installed.get(type_name)
            if signal_type is None:
                continue  # a type no longer installed: the matcher does not match it either
            if signal_type.match_kind == MatchKind.EXACT:
                candidates |= self.bastion.checked.with_values(type_name, values)
            elif signal_type.match_kind == MatchKind.HAMMING:
                hex_length = getattr(signal_type, "hex_length", 0)
                if hex_length:
                    candidates |= self._near(type_name, values, hex_length * 4)
        matched = queued = 0
        ordered = sorted(candidates)
        for start in range(0, len(ordered), CANDIDATES_READ):  # a popular hash may have many
            for item in self.bastion.checked.get(ordered[start : start + CANDIDATES_READ]).values():
                m, q = self._act_on(item, new_entries)
                matched, queued = matched + m, queued + q
        signals = sum(len(v) for v in by_type.values())
        return RetroResult(0, signals, len(candidates), matched, queued)

    def _near(self, type_name: str, values: list[str], bits: int) -> set[int]:
        """Kept content with a `type_name` value within the largest bank threshold of one of
        `values`."""
        signal_type = signal_types()[type_name]
        options = self.bastion.settings.matching_options()
        banks = self.bastion.store.banks_by_id().values()
        radius = max(
            [threshold_for(b, signal_type, options) for b in banks if b.enabled], default=-1
        )
        if radius < 0:
            return set()
        queries = hex_to_words(sorted(set(values)), bits)
        found: set[int] = set()
        after = 0
        while page := self.bastion.checked.page(type_name, after=after, limit=self.history_page):
            after = page[-1][0]
            owners = np.fromiter((c for _, c, _ in page), dtype=np.int64, count=len(page))
            codes = hex_to_words([v for _, _, v in page], bits)
            if len(queries) <= DIRECT_CODES:
                for query in queries:
                    near = distances(codes, query) <= radius
                    found.update(owners[near].tolist())
            else:
                snapshot = HammingSnapshot.build(np.arange(len(page)), codes, bits)
                for query in queries:
                    rows, _ = snapshot.search(query, radius)
                    found.update(owners[rows].tolist())
        return found

    # Acting -------------------------------------------------------------------------------

    def _act_on(self, item: CheckedContent, new_entries: set[int]) -> tuple[int, int]:
        bastion = self.bastion
        matches = [
            m
            for m in bastion.matcher.match_signals(list(item.signals))
            if m.entry_id in new_entries and m.entry_id not in item.matched
        ]
        matches = bastion.review.exceptions.drop_excepted(matches)
        if not matches:
            return 0, 0
        content = {
            **item.info,
            "retroactive": True,
            "checked_at": item.checked_at.isoformat(),
            **({"content_id": item.content_id} if item.content_id else {}),
            **({"user_id": item.user_id} if item.user_id else {}),
        }
        by_entry: dict[int, list[Match]] = {}
        for match in matches:
            by_entry.setdefault(match.entry_id, []).append(match)
        matched = queued = 0
        for entry_id, entry_matches in sorted(by_entry.items()):
            with bastion.db.session() as s:
                if not bastion.checked.claim_in(s, item.id, entry_id, entry_matches[0].bank):
                    continue  # already acted on, by an earlier run or another process
                matched += 1
                queued += bastion.actions.record_matches_in(
                    s, entry_matches, content=content, user_id=item.user_id
                )
        return matched, queued

    def in_background(self, interval: float = 10.0) -> AbstractContextManager[threading.Thread]:
        return every(interval, self.run, name="retroactive", log=log)
