"""`Syncer`: one fetch of one exchange into its bank, resumable from its last checkpoint.

A sync claims the exchange (`ExchangeStore.claim`: no other process syncs it meanwhile),
asks the adapter for pages from the stored checkpoint, and applies each page and stores its
checkpoint in one transaction (`upstream_writer` and `ExchangeStore.save_progress`). If the
process dies, or the source fails mid-way, everything up to the last committed page stays,
and the next sync starts from there: no duplicates (records are keyed by their upstream id)
and no gaps (the checkpoint never runs ahead of what was applied). A full-list exchange
deletes what a complete read did not mention, and only after a complete read. Failures are
recorded on the exchange (`last_error`, with the next attempt backed off) and logged; a
sync's result says what it did.

One bad record does not fail a sync: a record the bank could not hold (an id over 256
characters or not valid text, metadata that is not a JSON object within `METADATA_LIMITS`,
more signals than an entry may have) is counted as skipped, like a malformed signal, and
the rest of its page is applied. What the exchange may read is the `SourceAccess` of its
store, checked again as it reads.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from bastion.audit import AuditLog
from bastion.banks import BankStore
from bastion.banks.model import MAX_SIGNALS_PER_ENTRY
from bastion.banks.upstream import ApplyCounts, UpstreamWriter, upstream_writer
from bastion.errors import BastionError, ConflictError, ValidationError
from bastion.exchange.api import ExchangeError, FetchPage, Record
from bastion.exchange.impl import make_exchange
from bastion.exchange.store import ExchangeStore, SyncClaim
from bastion.validation import METADATA_LIMITS, checked_object, checked_text

log = logging.getLogger("bastion.exchange")

#: How long a sync holds its exchange between committed pages.
LEASE = timedelta(minutes=5)
#: Longest upstream id an entry keeps.
MAX_UPSTREAM_ID = 256


@dataclass
class SyncResult:
    name: str
    pages: int = 0
    counts: ApplyCounts = field(default_factory=ApplyCounts)
    #: Records the source sent that could not be used (malformed or unknown signals,
    #: metadata or ids the bank cannot hold).
    skipped: int = 0
    #: Entries a full-list exchange deleted because a complete read no longer held them.
    swept: int = 0
    error: str | None = None


class Syncer:
    def __init__(
        self,
        banks: BankStore,
        exchanges: ExchangeStore,
        *,
        transport: httpx.BaseTransport | None = None,
        lease: timedelta = LEASE,
        actor: str = "scheduler",
    ) -> None:
        self._banks, self._exchanges = banks, exchanges
        self._actor = actor
        self._transport, self._lease = transport, lease
        #: This process, as exchange leases name it.
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def sync(self, name: str, *, on_page: Callable[[SyncResult], None] | None = None) -> SyncResult:
        """Sync `name` now. ConflictError if another process is syncing it; the source's
        failures end the sync with `error` set (and recorded) rather than raising."""
        claim = self._exchanges.claim(name, self.owner, lease=self._lease)
        if claim is None:
            raise ConflictError(f"exchange {name!r} is being synced by another process")
        result = SyncResult(name)
        log.info("exchange %s: sync %d started", name, claim.run)
        try:
            self._run(claim, result, on_page)
        except BastionError as e:
            result.error = e.message
        except Exception as e:  # a bug, not the source: keep the worker alive, say what broke
            log.exception("exchange %s: sync failed", name)
            result.error = f"internal error ({type(e).__name__}); see the service log"
        self._exchanges.finish(claim, error=result.error)
        counts = result.counts
        AuditLog(self._banks.db).record(
            self._actor, "exchange.sync", name, run=claim.run, pages=result.pages,
            added=counts.added, updated=counts.updated, deleted=counts.deleted,
            skipped=result.skipped, error=result.error,
        )  # fmt: skip
        if result.error is None:
            log.info(
                "exchange %s: sync %d done: %d pages, %d added, %d updated, %d deleted, "
                "%d unchanged, %d skipped, %d swept",
                name, claim.run, result.pages, counts.added, counts.updated, counts.deleted,
                counts.unchanged, result.skipped, result.swept,
            )  # fmt: skip
        else:
            log.warning("exchange %s: sync %d failed: %s", name, claim.run, result.error)
        return result

    def _run(
        self, claim: SyncClaim, result: SyncResult, on_page: Callable[[SyncResult], None] | None
    ) -> None:
        exchange = make_exchange(
            claim.kind,
            claim.name,
            claim.config,
            claim.credentials,
            access=self._exchanges.access,
            transport=self._transport,
        )
        run = claim.run if exchange.full_list else None
        # A full list's new checkpoint says "read completely": it is committed with the sweep
        # that follows the read, never before (a crash in between would skip the sweep).
        checkpoint, pending = claim.checkpoint, claim.checkpoint
        for page in _prefetched(exchange.fetch(claim.checkpoint)):
            if page.checkpoint is not None:
                pending = page.checkpoint
                checkpoint = checkpoint if run is not None else pending
            if page.sweep is not None and page.sweep != page.mark:
                raise ExchangeError(f"{claim.name}: a page sweeps what it did not mark")
            records, unusable = _usable(claim.name, page.records)
            with self._writer(claim, run if run is not None else page.mark) as writer:
                result.counts += writer.apply(records)
                if page.sweep is not None:  # the end of a snapshot of the whole source
                    swept = writer.sweep()
                    result.swept += swept
                    result.counts.deleted += swept
                self._exchanges.save_progress(
                    writer.session, claim, checkpoint, fetched=len(page.records), lease=self._lease
                )
            result.pages += 1
            result.skipped += page.skipped + unusable
            if on_page is not None:
                on_page(result)
        if run is not None and result.pages:  # a complete read of the whole list
            with self._writer(claim, run) as writer:
                swept = writer.sweep()
                self._exchanges.save_progress(
                    writer.session, claim, pending, fetched=0, lease=self._lease
                )
            result.swept += swept
            result.counts.deleted += swept

    def _writer(self, claim: SyncClaim, run: int | None) -> AbstractContextManager[UpstreamWriter]:
        return upstream_writer(
            self._banks,
            bank_id=claim.bank_id,
            exchange_id=claim.id,
            exchange_name=claim.name,
            run=run,
        )


def _usable(name: str, records: list[Record]) -> tuple[list[Record], int]:
    """The records a bank can hold, and how many others there were (logged, by reason
    only: the record's content may be anything)."""
    kept: list[Record] = []
    first: str | None = None
    for record in records:
        try:
            checked_text(record.upstream_id, "upstream id", max_length=MAX_UPSTREAM_ID)
            if not record.deleted:
                checked_object(record.metadata, "metadata", METADATA_LIMITS)
                if len(record.signals) > MAX_SIGNALS_PER_ENTRY:
                    raise ValidationError(f"more than {MAX_SIGNALS_PER_ENTRY} signals")
        except ValidationError as e:
            first = first or e.message
            continue
        kept.append(record)
    if first is not None:
        log.warning(
            "exchange %s: %d records skipped (the first: %s)",
            name, len(records) - len(kept), first[:200],
        )  # fmt: skip
    return kept, len(records) - len(kept)


def _prefetched(pages: Iterator[FetchPage], depth: int = 2) -> Iterator[FetchPage]:
    """`pages`, with the next ones fetched in a thread while the current one is applied
    (in order; an error in the fetching ends the iteration where it happened)."""
    handoff: queue.Queue[FetchPage | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def pump() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        handoff.put(page, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(None)
        except BaseException as e:  # raised again in the applying thread
            handoff.put(e)
        finally:
            close = getattr(pages, "close", None)
            if stop.is_set() and close is not None:
                close()

    thread = threading.Thread(target=pump, name="exchange fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let the fetcher see `stop` and close its source
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                thread.join(timeout=0.1)
