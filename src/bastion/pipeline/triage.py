"""`Triage`: classifiers, outside services and near misses on checked content, after the match
answer, and the review job that what they find opens or raises.

Every door checks content through `Bastion.check_content`; when triage is on (a classifier
named in `classifiers`, an outside service enabled, or `near_miss_margin` above 0), the
checked item is handed to this process's triage threads and the match answer returns at once:
no classifier or outside service ever delays it. There, within `triage_budget_seconds`:

1. near misses: bank entries the item's PDQ misses by at most `near_miss_margin`;
2. each classifier labels the image (a video: its frames every `classifier_frame_seconds`,
   each label with its time);
3. each enabled outside service is asked through its guard (rate limit, deadline, circuit
   breaker); a list match is recorded in the service's bank, ``outside-<service>``, and acted
   on like any match (its bank's rules: webhooks, review jobs), saying where it came from.

What they found is kept about the media (its SHA-256; never the media), with how each run
ended. Then the open jobs over the same media are assessed again with it; with none, content
the policy puts at `triage_open_level` or above gets a `triage` job, its media kept sealed in
the evidence vault (a person must see what no bank knows to decide it), unless a person has
already found this very media a false positive.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from PIL import Image
from sqlalchemy import delete, func, select

from bastion.actions import content_info
from bastion.banks import NewEntry
from bastion.errors import BastionError, ConflictError
from bastion.hashing import HashedContent
from bastion.matching import Match
from bastion.media.frames import sampled_frames, still_frame
from bastion.pipeline.checks import media_type_of
from bastion.review import ContentSubmission, JobKind, NewJob
from bastion.signals import Signal
from bastion.store.models import TriageFindingRow, TriageRunRow, utcnow
from bastion.triage.classifiers import Classifier, load_classifier
from bastion.triage.findings import Finding, FindingKind, Level
from bastion.triage.outside import Answer, Item
from bastion.triage.policy import Assessment

if TYPE_CHECKING:
    from bastion.banks import BankStore
    from bastion.pipeline.live import LiveMatcher
    from bastion.review import EvidenceVault, ReviewDesk
    from bastion.settings import Settings
    from bastion.store import Database
    from bastion.triage.policy import Policy

log = logging.getLogger(__name__)

#: The queue `triage` jobs go to (made when first needed).
TRIAGE_QUEUE = "triage"
#: Prefix of the bank that records an outside service's matches.
OUTSIDE_BANK_PREFIX = "outside-"


class Desked(Protocol):
    """The review use cases, as far as triage uses them: their desk."""

    @property
    def desk(self) -> ReviewDesk: ...


class Root(Protocol):
    """What triage uses of the composition root (`Bastion` is one)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def store(self) -> BankStore: ...
    @property
    def matcher(self) -> LiveMatcher: ...
    @property
    def review(self) -> Desked: ...
    @property
    def vault(self) -> EvidenceVault: ...
    @property
    def policy(self) -> Policy: ...
    def outside_services(self) -> Sequence[Asker]: ...
    def act(
        self,
        matches: list[Match],
        content: dict[str, Any],
        *,
        content_id: int | None = ...,
        media_sha256: str | None = ...,
    ) -> int: ...


class Asker(Protocol):
    """An outside service behind its guard (`bastion.triage.outside.guard.Guard`)."""

    name: str
    accepts: frozenset[str]

    def ask(self, items: list[Item], timeout: float) -> list[Answer]: ...


@dataclass(frozen=True)
class TriageItem:
    """One checked item, as triage needs it."""

    data: bytes
    hashed: HashedContent
    #: A submission's content row, when it came through the review desk.
    content_id: int | None = None
    #: The platform's ids and context (``content_id``, ``user_id``...), for a job's evidence.
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """How one classifier's or service's run over an item ended."""

    source: str
    source_kind: str
    state: str
    error: str = ""
    seconds: float = 0.0
    at: datetime | None = None


@dataclass(frozen=True)
class Triaged:
    """What triage found about one item and what it did."""

    media_sha256: str
    findings: tuple[Finding, ...]
    runs: tuple[Run, ...]
    #: The level the policy gives the findings alone.
    assessment: Assessment
    #: Open jobs over the media assessed again, and the job opened (if any).
    reassessed: tuple[int, ...] = ()
    opened: int | None = None
    #: Matches outside services found (recorded in their banks and acted on).
    outside_matches: tuple[Match, ...] = ()


class Triage:
    """This process's triage: its threads, its classifiers and its outside services."""

    def __init__(
        self,
        bastion: Root,
        *,
        classifiers: Sequence[Classifier] | None = None,
        services: Callable[[], Sequence[Asker]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`classifiers`, `services`: instead of those the settings name and the service
        store enables (a test's, a benchmark's)."""
        self._bastion = bastion
        if classifiers is not None:
            self.__dict__["classifiers"] = list(classifiers)
        self._settings = bastion.settings
        self._services = services if services is not None else bastion.outside_services
        self._clock = clock
        self._slots = threading.BoundedSemaphore(self._settings.triage_backlog)
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        #: Items not triaged because the backlog was full.
        self.dropped = 0

    @cached_property
    def classifiers(self) -> list[Classifier]:
        """The classifiers `classifiers` names, their models loaded (once)."""
        names = [n.strip() for n in self._settings.classifiers.split(",") if n.strip()]
        return [load_classifier(name) for name in names]

    @property
    def active(self) -> bool:
        """Whether checked content is worth handing to triage at all."""
        return bool(
            self._settings.classifiers.strip()
            or self._settings.near_miss_margin > 0
            or self._services()
        )

    # Handing over ------------------------------------------------------------------------

    def submit(self, item: TriageItem) -> Future[Triaged] | None:
        """Triage `item` in this process's triage threads; returns at once. None when triage
        is off, or the backlog is full (the item is counted in `dropped` and logged)."""
        if not self.active:
            return None
        if not self._slots.acquire(blocking=False):
            with self._lock:
                self.dropped += 1
            log.warning(
                "triage backlog full (%d items): an item was not triaged",
                self._settings.triage_backlog,
            )
            return None
        return self._pool().submit(self._run_held, item)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self._settings.triage_workers, thread_name_prefix="triage"
                )
            return self._executor

    def _run_held(self, item: TriageItem) -> Triaged:
        try:
            return self.run(item)
        except Exception:
            log.exception("triage of an item failed")
            raise
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop the threads; items still waiting are not triaged."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def runs(self, media_sha256: str, limit: int = 50) -> list[Run]:
        """The latest runs over the media with this SHA-256, newest first."""
        with self._bastion.db.session() as s:
            rows = s.scalars(
                select(TriageRunRow)
                .where(TriageRunRow.media_sha256 == media_sha256)
                .order_by(TriageRunRow.id.desc())
                .limit(limit)
            )
            return [Run(r.source, r.source_kind, r.state, r.error, r.seconds, r.at) for r in rows]

    def run_counts(self, since: datetime) -> dict[tuple[str, str], dict[str, int]]:
        """How the runs since `since` ended: per (source kind, source), a count per state."""
        found: dict[tuple[str, str], dict[str, int]] = {}
        with self._bastion.db.session() as s:
            rows = s.execute(
                select(
                    TriageRunRow.source_kind, TriageRunRow.source, TriageRunRow.state, func.count()
                )
                .where(TriageRunRow.at >= since)
                .group_by(TriageRunRow.source_kind, TriageRunRow.source, TriageRunRow.state)
            )
            for kind, source, state, count in rows:
                found.setdefault((kind, source), {})[state] = int(count)
        return found

    def purge_before(self, cutoff: datetime, *, batch: int = 10_000) -> int:
        """Forget the runs and findings from before `cutoff` (at most `batch` of each per
        call); returns how many rows went. A job keeps its findings in its assessment."""
        gone = 0
        with self._bastion.db.session() as s:
            for table, at in (
                (TriageRunRow, TriageRunRow.at),
                (TriageFindingRow, TriageFindingRow.created_at),
            ):
                old = select(table.id).where(at < cutoff).limit(batch).scalar_subquery()
                gone += s.execute(
                    delete(table)
                    .where(table.id.in_(old))
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
        return gone

    # One item ----------------------------------------------------------------------------

    def run(self, item: TriageItem) -> Triaged:
        """Triage `item` now, in this thread; see the module's docstring."""
        deadline = self._clock() + self._settings.triage_budget_seconds
        digest = _sha256(item)
        findings: list[Finding] = list(self._near_misses(item.hashed))
        runs: list[Run] = []
        for classifier in self.classifiers:
            found, run = self._classify(classifier, item, deadline)
            findings += found
            runs.append(run)
        answers: list[tuple[Asker, Answer]] = []
        for service in self._services():
            answer, run = self._ask(service, item, deadline)
            runs.append(run)
            if answer is not None:
                findings += answer.findings
                answers.append((service, answer))
        outside = [self._record_outside(s, a, item) for s, a in answers if a.matched]
        assessment = self._bastion.policy.assess(findings)
        if not findings and not runs:  # nothing ran, nothing found: nothing to write
            return Triaged(digest, (), (), assessment)
        reassessed, opened = self._settle(item, digest, findings, runs, assessment)
        return Triaged(
            digest, tuple(findings), tuple(runs), assessment, reassessed, opened, tuple(outside)
        )

    def _near_misses(self, hashed: HashedContent) -> list[Finding]:
        margin = self._settings.near_miss_margin
        if margin <= 0 or hashed.kind != "image":
            return []
        misses = self._bastion.matcher.near_misses(hashed.signals, margin, lookups=hashed.lookups)
        return [
            Finding(
                FindingKind.NEAR_MISS,
                m.bank,
                m.signal_type,
                float(m.distance),
                {"entry_id": m.entry_id, "query_how": m.query_how},
            )
            for m in misses
        ]

    def _classify(
        self, classifier: Classifier, item: TriageItem, deadline: float
    ) -> tuple[list[Finding], Run]:
        start = self._clock()
        if start >= deadline:
            return [], Run(classifier.name, "classifier", "skipped", "the triage budget ran out")
        if "image" not in classifier.kinds:
            return [], Run(classifier.name, "classifier", "skipped", "it does not read images")
        try:
            frames = self._pictures(item)
            labels = classifier.classify_images([picture for _, picture in frames])
        except BastionError as e:
            return [], Run(classifier.name, "classifier", "failed", str(e), self._clock() - start)
        found = []
        for (at, _), given in zip(frames, labels, strict=True):
            for label in given:
                detail: dict[str, Any] = {"version": classifier.version}
                if at is not None:
                    detail["at_seconds"] = round(at, 3)
                found.append(
                    Finding(
                        FindingKind.CLASSIFIER, classifier.name, label.name, label.score, detail
                    )
                )
        return _strongest(found), Run(
            classifier.name, "classifier", "classified", "", self._clock() - start
        )

    def _pictures(self, item: TriageItem) -> list[tuple[float | None, Image.Image]]:
        """The image, or a video's sampled frames with their times, in RGB."""
        if item.hashed.kind == "video":
            return [
                (at, picture)
                for at, picture in sampled_frames(
                    item.data,
                    every_seconds=self._settings.classifier_frame_seconds,
                    max_frames=self._settings.classifier_max_frames,
                    limits=self._settings.video_limits(),
                )
            ]
        return [(None, still_frame(item.data, max_pixels=self._settings.max_image_pixels))]

    def _ask(self, service: Asker, item: TriageItem, deadline: float) -> tuple[Answer | None, Run]:
        start = self._clock()
        left = deadline - start
        if item.hashed.kind not in service.accepts:
            return None, Run(service.name, "outside", "skipped", f"it takes no {item.hashed.kind}")
        if left <= 0:
            return None, Run(service.name, "outside", "skipped", "the triage budget ran out")
        pdq = item.hashed.signal("pdq")
        media_type = _media_type(item)
        (answer,) = service.ask(
            [
                Item(
                    item.data,
                    item.hashed.kind,
                    media_type,
                    None if pdq is None else pdq.value,
                    _text(item.context.get("url"), 4096),
                )
            ],
            left,
        )
        return answer, Run(
            service.name, "outside", answer.state.value, answer.error, self._clock() - start
        )

    def _record_outside(self, service: Asker, answer: Answer, item: TriageItem) -> Match:
        """A service's list match, as a match like any other: an entry of the service's bank
        holding the item's signals and what the service said, acted on by that bank's
        rules."""
        bastion = self._bastion
        bank = OUTSIDE_BANK_PREFIX + service.name
        with contextlib.suppress(ConflictError):
            bastion.store.create_bank(
                bank,
                description=f"Content that the outside service {service.name!r} matched",
                actor="triage",
            )
        signals = [s for s in item.hashed.signals if s.type in ("pdq", "md5", "sha256")]
        metadata = {
            "outside": {
                "service": service.name,
                "state": answer.state.value,
                "detail": answer.detail,
            }
        }
        (entry_id,) = bastion.store.add_entries(
            bank,
            [NewEntry(signals=tuple(signals), metadata=metadata)],
            source="outside",
            added_by=f"outside:{service.name}",
        )
        key = _strongest_signal(signals)
        match = Match(
            bank=bank,
            entry_id=entry_id,
            signal_type=key.type,
            bank_value=key.value,
            query_value=key.value,
            distance=0,
            quality=None,
            metadata=metadata,
        )
        info = {**content_info(item.hashed), **_platform(item.context)}
        bastion.act([match], info, content_id=item.content_id, media_sha256=_sha256(item))
        return match

    # What it does ------------------------------------------------------------------------

    def _settle(
        self,
        item: TriageItem,
        digest: str,
        findings: list[Finding],
        runs: list[Run],
        assessment: Assessment,
    ) -> tuple[tuple[int, ...], int | None]:
        """Keep the findings and runs; assess the open jobs over the media again, or open a
        `triage` job when the level calls for one."""
        bastion = self._bastion
        desk = bastion.review.desk
        now = utcnow()
        with bastion.db.session() as s:
            s.add_all(
                TriageFindingRow(
                    media_sha256=digest,
                    content_id=item.content_id,
                    kind=f.kind.value,
                    source=f.source,
                    label=f.label,
                    score=f.score,
                    detail=f.detail,
                    created_at=now,
                )
                for f in findings
            )
            s.add_all(
                TriageRunRow(
                    media_sha256=digest,
                    source=r.source,
                    source_kind=r.source_kind,
                    state=r.state,
                    error=r.error[:2000],
                    seconds=r.seconds,
                    at=now,
                )
                for r in runs
            )
            s.flush()
            rows = desk.assessor.reassess_open_in(s, media_sha256=digest)
            reassessed = tuple(r.id for r in rows)
        if reassessed or not findings:
            return reassessed, None
        if assessment.level < Level.parse(self._settings.triage_open_level):
            return reassessed, None
        if desk.cleared(digest):  # a person found this very media benign before
            return reassessed, None
        return reassessed, self._open(item, digest, assessment)

    def _open(self, item: TriageItem, digest: str, assessment: Assessment) -> int:
        """A `triage` job over content no job covers: its media kept sealed in the vault."""
        bastion = self._bastion
        review = bastion.review
        hashed = item.hashed
        content_id = item.content_id
        if content_id is not None and review.desk.content(content_id).evidence_id is None:
            evidence = bastion.vault.put(item.data, _media_type(item), actor="triage").id
            review.desk.keep_media(content_id, evidence)  # a person must see it to decide
        if content_id is None:
            evidence = bastion.vault.put(item.data, _media_type(item), actor="triage").id
            content_id = review.desk.submit(
                ContentSubmission(
                    platform_id=_text(item.context.get("content_id")),
                    user_id=_text(item.context.get("user_id")),
                    name=_text(item.context.get("name")),
                    media_type=_media_type(item),
                    signals=tuple(s for s in hashed.signals if len(s.value) <= 4096),
                    media_sha256=digest,
                    evidence_id=evidence,
                )
            ).id
        review.desk.ensure_queue(
            TRIAGE_QUEUE,
            description="Content no bank knows that the triage policy ranked high",
            child_safety=True,
            sla_minutes=24 * 60,
        )
        job = review.desk.open_job(
            NewJob(
                kind=JobKind.TRIAGE,
                evidence={
                    "content": {**content_info(hashed), **_platform(item.context)},
                    "triage": assessment.to_json(),
                },
                queue=TRIAGE_QUEUE,
                content_id=content_id,
                user_id=_text(item.context.get("user_id")),
                media_sha256=digest,
            )
        )
        return job.id


def _strongest(found: list[Finding]) -> list[Finding]:
    """One finding per classifier and label: a video's highest frame."""
    best: dict[tuple[str, str], Finding] = {}
    for f in found:
        key = (f.source, f.label)
        if key not in best or f.score > best[key].score:
            best[key] = f
    return list(best.values())


def _strongest_signal(signals: list[Signal]) -> Signal:
    """The signal an outside match's entry is named by: its SHA-256 if known."""
    for kind in ("sha256", "md5", "pdq"):
        for s in signals:
            if s.type == kind:
                return s
    raise BastionError("an outside match needs the content's SHA-256, MD5 or PDQ")


def _sha256(item: TriageItem) -> str:
    found = item.hashed.signal("sha256")
    return found.value if found is not None else hashlib.sha256(item.data).hexdigest()


def _media_type(item: TriageItem) -> str:
    given = item.context.get("media_type")
    return given if isinstance(given, str) and given else media_type_of(item.hashed)


def _platform(context: dict[str, Any]) -> dict[str, Any]:
    return {k: context[k] for k in ("content_id", "user_id") if context.get(k) is not None}


def _text(value: object, longest: int = 255) -> str | None:
    return None if value is None else str(value)[:longest]
