"""Bulk scans: every item of a folder, a bucket or a manifest checked through the one
pipeline, on a Dask cluster, exactly once.

The client (`Scanner.run`, what `bastion scan` calls) records the scan and its listing in the
database (`bastion.scanning.ScanStore`), makes sure the matcher's index snapshot is published
(`SnapshotShelf`: workers on the machine map it rather than each rebuilding it), and hands
the items not yet done to the cluster in batches. A worker process builds one `Bastion` from
the scan's settings the first time it is given a batch, and for each item reads it, hashes it
for matching, matches it, and then, in **one transaction**, marks it done, queues its
matches' actions (webhooks, review jobs) and keeps its signals (when
`checked_retention_days` is on). The mark is a conditional update: if a worker dies and Dask
gives its batch to another, whichever commits first acts, and the other acts on nothing. An
item that cannot be read or decoded is marked failed with its error; it never stops the scan,
and a re-run tries it again.

Without Dask installed (the runtime install, `make serve`), or with ``workers=0``, the items are
checked in this process, the same way.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.util import find_spec
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bastion.actions import content_info
from bastion.errors import BastionError, ValidationError, first_line
from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.pipeline.bastion import Bastion
from bastion.scanning import (
    Scan,
    ScanCounts,
    ScanStore,
    WorkItem,
    list_items,
    read_item,
    source_kind,
)
from bastion.scanning.store import Listed
from bastion.settings import Settings

log = logging.getLogger("bastion.scan")

#: Items per task handed to a worker: enough to make a task's overhead small, few enough that
#: a dying worker costs little work and progress moves smoothly.
DEFAULT_BATCH = 16
#: Tasks in flight per worker thread: one running, one waiting.
IN_FLIGHT_PER_THREAD = 2
#: The tallies' door for scanned items.
DOOR = "scan"
#: Dask settings of the local cluster's workers, for hashing at the speed of a plain process
#: (docs/benchmarks.md, "Bulk scans"):
#: - Dask starts workers with glibc's malloc told to give memory back eagerly
#:   (MALLOC_TRIM_THRESHOLD_=65536), which keeps large arrays on fresh mmap'd pages: every
#:   decoded image then costs page faults, and hashing ran 40% slower. Unset, malloc reuses
#:   what it freed, as in any other process.
#: - Its statistical profiler samples the worker's threads every 10 ms, under the GIL that
#:   hashing needs.
LOCAL_WORKER_CONFIG: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


@dataclass(frozen=True)
class ScanPlan:
    """What to scan and how."""

    source: str
    name: str
    #: Queue the matches' actions (webhooks, review jobs); False only reports.
    act: bool = True
    retry_failed: bool = True
    batch: int = DEFAULT_BATCH
    #: Options for the bucket's file system (fsspec), e.g. ``endpoint_url``.
    storage_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    """How a batch went: items checked, failed, already done elsewhere; matches and actions."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    matched: int = 0
    queued: int = 0

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            self.done + other.done,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.matched + other.matched,
            self.queued + other.queued,
        )


@dataclass(frozen=True)
class ScanOutcome:
    scan: Scan
    listed: Listed
    #: What this run did.
    result: BatchResult
    #: The scan's totals, this run and earlier ones.
    counts: ScanCounts
    seconds: float
    #: The Dask dashboard's address (None: no dashboard, or no Dask).
    dashboard: str | None = None
    #: Where the items were checked: ``dask`` or ``this process``.
    ran_on: str = "dask"


class Progress(Protocol):
    """What a scan tells whoever watches it (the CLI's progress bar)."""

    def listed(self, listed: Listed, todo: int) -> None:
        """The source was listed: what it held, and how many items are to be checked."""

    def started(self, dashboard: str | None, workers: int) -> None:
        """Checking began on `workers` Dask workers (0: in this process), with the Dask
        dashboard at `dashboard` (None: none)."""

    def advanced(self, result: BatchResult) -> None:
        """A batch was checked."""


class _Unwatched:
    def listed(self, listed: Listed, todo: int) -> None:
        pass

    def started(self, dashboard: str | None, workers: int) -> None:
        pass

    def advanced(self, result: BatchResult) -> None:
        pass


# Checking items (on a worker, or in this process) -----------------------------------------


def check_items(
    bastion: Bastion,
    scan: Scan,
    items: Sequence[WorkItem],
    *,
    act: bool,
    storage_options: dict[str, Any],
) -> BatchResult:
    """Check `items` of `scan` through `bastion`'s pipeline, each exactly once: read, hash
    and match each, then record them all and act on their matches in one transaction (a
    worker dying before it commits leaves the whole batch to be checked again)."""
    checked = [_check_one(bastion, item, storage_options) for item in items]
    if act:  # reviewers' exceptions, read before the transaction
        checked = [
            replace(c, acted=bastion.review.exceptions.drop_excepted(c.matches)) if c.matches else c
            for c in checked
        ]
    total = BatchResult()
    store = ScanStore(bastion.db)
    now = datetime.now(UTC)
    with bastion.db.session() as s:
        for one in checked:
            total = total + _record_in(s, bastion, store, scan, one, act, now)
    bastion.tally.flush()
    return total


@dataclass(frozen=True)
class _Checked:
    """One item read, hashed and matched (or why it could not be)."""

    item: WorkItem
    hashed: HashedContent | None = None
    matches: list[Match] = field(default_factory=list)
    #: The matches to act on (less those reviewers found false).
    acted: list[Match] = field(default_factory=list)
    error: str = ""


def _check_one(bastion: Bastion, item: WorkItem, storage_options: dict[str, Any]) -> _Checked:
    settings = bastion.settings
    try:
        data = read_item(
            item.location,
            max_bytes=settings.max_media_bytes,
            fetch_policy=settings.fetch_policy(),
            storage_options=storage_options,
        )
        hashed = bastion.hash_content(data, item.key, for_matching=True)
    except BastionError as e:
        return _Checked(item, error=first_line(e) or type(e).__name__)
    except (MemoryError, RecursionError, OverflowError, ValueError, OSError) as e:
        # A decoder's own failure on hostile bytes: the item's error, never the scan's.
        return _Checked(item, error=f"cannot decode: {type(e).__name__}: {e}")
    matches = bastion.check_content(hashed, act=False, door=DOOR).matches
    return _Checked(item, hashed, matches, matches)


def _record_in(
    s: Session,
    bastion: Bastion,
    store: ScanStore,
    scan: Scan,
    one: _Checked,
    act: bool,
    now: datetime,
) -> BatchResult:
    """Record how `one` went, and act on its matches, in the batch's transaction `s`."""
    item, hashed = one.item, one.hashed
    if hashed is None:
        store.fail_in(s, item.id, one.error, at=now)
        return BatchResult(failed=1)
    signals = {sig.type: sig.key for sig in hashed.signals}
    if not store.finish_in(s, item.id, signals=signals, matches=len(one.matches), at=now):
        return BatchResult(skipped=1)  # another worker checked it first
    info = {
        **content_info(hashed),
        "scan": scan.name,
        "key": item.key[:500],
        **({"content_id": item.content_id} if item.content_id else {}),
        **({"user_id": item.user_id} if item.user_id else {}),
    }
    queued = 0
    if act and one.acted:
        queued = bastion.actions.record_matches_in(s, one.acted, content=info, user_id=item.user_id)
        store.set_queued_in(s, item.id, queued)
    bastion.remember_in(
        s,
        hashed,
        one.matches,
        door=f"{DOOR}:{scan.name}",
        content_id=item.content_id,
        user_id=item.user_id,
        info=info,
    )
    return BatchResult(done=1, matched=int(bool(one.matches)), queued=queued)


_worker_lock = threading.Lock()
_worker_bastions: dict[tuple[str, str], Bastion] = {}


def _worker_bastion(settings: Settings) -> Bastion:
    """This worker process's `Bastion` for `settings`, built once (its matcher maps the
    published snapshot) and kept for the process's life."""
    key = (settings.database_url, str(settings.data_dir))
    with _worker_lock:
        found = _worker_bastions.get(key)
        if found is None:
            found = _worker_bastions[key] = Bastion(settings, door=DOOR)
    found.matcher.status()  # loaded (the snapshot mapped) and fresh
    return found


def prepare_worker(settings: Settings) -> int:
    """Run on every worker before the first task: its `Bastion` built and its index loaded
    (the snapshot mapped), so that the first batches are not slowed by it. Returns how many
    signals the index holds."""
    return _worker_bastion(settings).matcher.status().signals


def check_batch(
    settings: Settings,
    scan: Scan,
    items: Sequence[WorkItem],
    act: bool,
    storage_options: dict[str, Any],
) -> BatchResult:
    """A Dask task: check `items` in this worker process."""
    return check_items(
        _worker_bastion(settings), scan, items, act=act, storage_options=storage_options
    )


# Running a scan ---------------------------------------------------------------------------


class Scanner:
    """Runs scans from this process: records them, and checks their items on a Dask cluster
    (`workers` local processes, or the cluster at `scheduler`) or here (`workers=0`)."""

    def __init__(
        self,
        bastion: Bastion,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        dashboard: bool = True,
    ) -> None:
        if workers is not None and workers < 0:
            raise ValidationError("workers must be 0 (this process) or more")
        if scheduler is not None and not plain_text_is_local(scheduler):
            log.warning(
                "the scan's settings (the database URL, the secret key) go to the workers "
                "at %s unencrypted: use a tls:// scheduler address (docs/scans.md)",
                scheduler,
            )
        self.bastion = bastion
        self.workers = workers
        self.scheduler = scheduler
        self.dashboard = dashboard
        self.store = ScanStore(bastion.db)

    def run(self, plan: ScanPlan, *, actor: str, progress: Progress | None = None) -> ScanOutcome:
        """Scan `plan.source` as scan `plan.name`, resuming it if it ran before."""
        if plan.batch < 1:
            raise ValidationError("batch must be 1 or more")
        watch = progress or _Unwatched()
        started = time.monotonic()
        source_kind(plan.source)  # a source that is none is refused before it is recorded
        options = {"act": plan.act, "retry_failed": plan.retry_failed}
        scan = self.store.start(plan.name, plan.source, options, actor=actor)
        try:
            listed = self.store.record_listing(
                scan.id, list_items(plan.source, storage_options=plan.storage_options)
            )
            counts = self.store.counts(scan.id)
            todo = counts.pending + (counts.failed if plan.retry_failed else 0)
            watch.listed(listed, todo)
            # Load (and publish, when large) the index before any worker starts: workers on
            # this machine then map the snapshot instead of each building its own.
            self.bastion.matcher.status()
            batches = self._batches(scan, plan)
            here = self.workers == 0 or (
                self.scheduler is None and find_spec("distributed") is None
            )
            dashboard = None
            if here:
                result = self._here(scan, plan, batches, watch)
            else:
                result, dashboard = self._on_dask(scan, plan, batches, watch)
        finally:
            ended = self.store.end(scan.id)
        return ScanOutcome(
            scan=ended,
            listed=listed,
            result=result,
            counts=self.store.counts(scan.id),
            seconds=time.monotonic() - started,
            dashboard=dashboard,
            ran_on="this process" if here else "dask",
        )

    def _batches(self, scan: Scan, plan: ScanPlan) -> Iterator[list[WorkItem]]:
        for page in self.store.pending(scan.id, retry_failed=plan.retry_failed):
            for start in range(0, len(page), plan.batch):
                yield page[start : start + plan.batch]

    def _here(
        self, scan: Scan, plan: ScanPlan, batches: Iterator[list[WorkItem]], watch: Progress
    ) -> BatchResult:
        watch.started(None, 0)
        total = BatchResult()
        for batch in batches:
            done = check_items(
                self.bastion, scan, batch, act=plan.act, storage_options=plan.storage_options
            )
            total = total + done
            watch.advanced(done)
        return total

    def _on_dask(
        self, scan: Scan, plan: ScanPlan, batches: Iterator[list[WorkItem]], watch: Progress
    ) -> tuple[BatchResult, str | None]:
        with self._client() as client:
            threads = sum(client.nthreads().values()) or 1
            dashboard = _dashboard_of(client) if self.dashboard else None
            settings = self.bastion.settings
            client.run(prepare_worker, settings)
            watch.started(dashboard, len(client.nthreads()))
            submit = _submitter(client, settings, scan, plan)
            queue = _distributed().as_completed()
            limit = threads * IN_FLIGHT_PER_THREAD
            in_flight: dict[Any, list[WorkItem]] = {}
            for batch in batches:
                future = submit(batch)
                in_flight[future] = batch
                queue.add(future)
                if len(in_flight) >= limit:
                    break
            total = BatchResult()
            for future in queue:
                batch = in_flight.pop(future)
                done = self._outcome(future, batch)
                total = total + done
                watch.advanced(done)
                for more in batches:
                    next_future = submit(more)
                    in_flight[next_future] = more
                    queue.add(next_future)
                    break
            return total, dashboard

    def _outcome(self, future: Any, batch: list[WorkItem]) -> BatchResult:
        """A finished task's result; a task that failed (its worker died again and again,
        or the code raised) marks its items failed with why, and the scan goes on."""
        try:
            result: BatchResult = future.result()
            return result
        except Exception as e:  # a worker's failure, in whatever form Dask reports it
            error = f"worker failed on this batch: {type(e).__name__}: {first_line(e)}"
            log.warning("scan batch of %d items failed: %s", len(batch), error)
            now = datetime.now(UTC)
            for item in batch:
                self.store.fail(item.id, error, at=now)
            return BatchResult(failed=len(batch))

    @contextmanager
    def _client(self) -> Iterator[Any]:
        dask = _distributed()
        if self.scheduler is not None:
            with dask.Client(self.scheduler, timeout="20s") as client:
                yield client
            return
        workers = self.workers or max(1, os.cpu_count() or 1)
        address = ":0" if self.dashboard and find_spec("bokeh") is not None else None
        with (
            importlib.import_module("dask").config.set(LOCAL_WORKER_CONFIG),
            dask.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=address,
                host="127.0.0.1",
            ) as cluster,
            dask.Client(cluster) as client,
        ):
            yield client


def plain_text_is_local(address: str) -> bool:
    """Whether settings sent to the scheduler at `address` stay private: TLS, or a
    connection that never leaves this machine."""
    scheme, _, rest = address.partition("://")
    if not rest:
        scheme, rest = "tcp", address
    if scheme in ("tls", "inproc"):
        return True
    host = rest.rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _distributed() -> Any:
    """Dask's `distributed` (the scan extra), typed as what it is to mypy: untyped."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise ValidationError(
            "scanning on a Dask cluster needs distributed (pip install 'bastion[scan]'); "
            "--workers 0 scans in this process"
        ) from None


def _submitter(
    client: Any, settings: Settings, scan: Scan, plan: ScanPlan
) -> Callable[[list[WorkItem]], Any]:
    # The settings go to the cluster once, not with every task.
    [shared] = client.scatter([settings], broadcast=True, hash=False)
    options = dict(plan.storage_options)

    def submit(batch: list[WorkItem]) -> Any:
        return client.submit(
            check_batch, shared, scan, batch, plan.act, options, pure=False, retries=0
        )

    return submit


def _dashboard_of(client: Any) -> str | None:
    try:
        link = str(client.dashboard_link)
    except (KeyError, AttributeError):
        return None
    return link if find_spec("bokeh") is not None else None
