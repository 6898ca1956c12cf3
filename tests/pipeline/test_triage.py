"""Triage on real databases (`Bastion.triage`): classifiers and outside services run after
the match answer, what they find raises the jobs over the same media or opens a `triage` job,
near misses are found past a bank's threshold, an outside match acts like any match, and a
confirmation raises the user's other open jobs.

The classifiers and services here are stand-ins with fixed answers: the built-in classifier
and the real services' clients are tested with them (tests/triage)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from bastion.pipeline import Bastion
from bastion.pipeline.housekeeping import Housekeeping
from bastion.pipeline.triage import TRIAGE_QUEUE, Triage, TriageItem
from bastion.review import ContentSubmission, Decision, JobKind
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store.models import TriageFindingRow, TriageRunRow
from bastion.triage.classifiers import Label
from bastion.triage.findings import Finding, FindingKind, Level
from bastion.triage.outside import Answer, Item, State


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


PHOTO = jpeg(3)


@dataclass
class FixedClassifier:
    """A classifier that gives every image the same score, and can be made to wait."""

    score: float
    name: str = "fixed"
    version: str = "1"
    kinds: frozenset[str] = frozenset({"image"})
    gate: threading.Event | None = None
    seen: list[tuple[int, int]] = field(default_factory=list)

    def classify_images(self, images: list[Image.Image]) -> list[tuple[Label, ...]]:
        if self.gate is not None:
            assert self.gate.wait(10)
        self.seen += [image.size for image in images]
        return [(Label("nsfw", self.score), Label("sfw", 1 - self.score)) for _ in images]

    def classify_texts(self, texts: list[str]) -> list[tuple[Label, ...]]:
        raise NotImplementedError


@dataclass
class FixedService:
    """An outside service with one answer for everything, that can be made to hang."""

    answer: State
    name: str = "lists"
    accepts: frozenset[str] = frozenset({"image"})
    gate: threading.Event | None = None
    asked: list[Item] = field(default_factory=list)

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        if self.gate is not None:
            assert self.gate.wait(10)
        self.asked += items
        findings: tuple[Finding, ...] = ()
        if self.answer is State.MATCHED:
            findings = (Finding(FindingKind.OUTSIDE_MATCH, self.name, "csam", 1.0),)
        return [Answer(self.name, self.answer, findings, {"id": "m-1"}) for _ in items]


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    built = Bastion(settings)
    yield built
    built.close()


def use(bastion: Bastion, *classifiers: FixedClassifier, services: tuple = ()) -> Triage:
    """`bastion`'s triage with these classifiers and services instead of the settings'."""
    triage = Triage(bastion, classifiers=list(classifiers), services=lambda: list(services))
    bastion.__dict__["triage"] = triage
    return triage


def item(data: bytes, bastion: Bastion, **context: object) -> TriageItem:
    return TriageItem(data, bastion.hash_content(data, for_matching=True), context=dict(context))


def test_a_high_score_opens_a_triage_job_with_its_media_kept_and_its_reasons(
    bastion: Bastion,
) -> None:
    triage = use(bastion, FixedClassifier(0.95))
    done = triage.run(item(PHOTO, bastion, content_id="post-7", user_id="u7"))
    assert done.assessment.level is Level.HIGH
    assert done.opened is not None
    job = bastion.review.desk.get(done.opened)
    assert (job.kind, job.queue, job.level) == (JobKind.TRIAGE, TRIAGE_QUEUE, Level.HIGH)
    assert job.triage is not None
    [setter] = [r for r in job.triage.reasons if r.set_level]
    assert (setter.finding.kind, setter.finding.source, setter.finding.label) == (
        FindingKind.CLASSIFIER,
        "fixed",
        "nsfw",
    )
    assert setter.finding.detail == {"version": "1"}
    content = bastion.review.desk.content(job.content_id or 0)
    assert (content.platform_id, content.user_id) == ("post-7", "u7")
    assert content.evidence_id is not None  # a person must see it to decide: kept, sealed
    assert bastion.vault.open(content.evidence_id) == PHOTO
    assert [(r.source, r.state) for r in triage.runs(done.media_sha256)] == [
        ("fixed", "classified")
    ]


def test_a_low_score_is_kept_but_opens_nothing(bastion: Bastion) -> None:
    triage = use(bastion, FixedClassifier(0.2))
    done = triage.run(item(PHOTO, bastion))
    assert done.assessment.level < Level.HIGH
    assert done.opened is None
    assert bastion.review.desk.jobs(status=None) == []
    assert [f.score for f in done.findings if f.label == "nsfw"] == [0.2]


def test_the_match_answer_never_waits_for_triage(bastion: Bastion) -> None:
    gate = threading.Event()
    slow = FixedClassifier(0.95, gate=gate)
    hanging = FixedService(State.NO_MATCH, gate=gate)
    triage = use(bastion, slow, services=(hanging,))
    bastion.store.create_bank("known")
    started = time.monotonic()
    checked = bastion.check_content(PHOTO, "photo.jpg")
    answered = time.monotonic() - started
    assert checked.matches == []
    assert slow.seen == []
    assert hanging.asked == []
    assert answered < 5
    gate.set()
    triage.close()  # waits for the item in flight
    assert slow.seen == [(640, 480)]
    assert len(hanging.asked) == 1
    [job] = bastion.review.desk.jobs()
    assert job.kind is JobKind.TRIAGE


def test_findings_raise_the_open_match_job_over_the_same_media(bastion: Bastion) -> None:
    bastion.store.create_bank("known")
    bastion.add_to_bank("known", PHOTO, "known.jpg")
    bastion.actions.add_review("known")
    triage = use(bastion, FixedClassifier(0.95))
    submitted = bastion.review.submit(ContentSubmission(platform_id="p1", user_id="u1"), PHOTO)
    triage.close()
    [job] = bastion.review.desk.jobs()
    assert job.id == submitted.jobs[0].id
    assert job.kind is JobKind.MATCH
    assert job.level is Level.VERY_HIGH  # the bank match sets it
    kinds = {f.kind for f in job.findings}
    assert {FindingKind.BANK_MATCH, FindingKind.CLASSIFIER} <= kinds
    assert len(bastion.review.desk.jobs(status=None)) == 1  # no second job for the media


def test_a_near_miss_is_found_past_the_threshold_and_only_there(settings: Settings) -> None:
    wide = Bastion(settings.with_overrides(triage_open_level="medium"))
    try:
        triage = use(wide)
        wide.store.create_bank("known")
        pdq = wide.hash_content(PHOTO).signal("pdq")
        assert pdq is not None
        bits = int(pdq.value, 16)
        # Entries 30, 36 and 50 bits away, added one at a time: 30 matches (threshold 31),
        # 36 is a near miss (margin 12), 50 is neither.
        for distance, expected in ((30, []), (36, [36.0]), (50, [36.0])):
            flipped = bits ^ ((1 << distance) - 1)
            wide.add_to_bank("known", [Signal("pdq", f"{flipped:064x}")])
            misses = [f for f in triage.run(item(PHOTO, wide)).findings
                      if f.kind is FindingKind.NEAR_MISS]  # fmt: skip
            assert [f.score for f in misses] == expected
        jobs = wide.review.desk.jobs(status=None)
        assert [(j.kind, j.level) for j in jobs] == [(JobKind.TRIAGE, Level.MEDIUM)]
    finally:
        wide.close()


def test_an_outside_match_is_a_match_of_the_services_bank(bastion: Bastion) -> None:
    service = FixedService(State.MATCHED, name="shield")
    triage = use(bastion, services=(service,))
    done = triage.run(item(PHOTO, bastion, media_type="image/jpeg"))
    [match] = done.outside_matches
    assert match.bank == "outside-shield"
    entry = bastion.store.get_entry(match.entry_id)
    assert entry.metadata["outside"]["service"] == "shield"
    assert {s.type for s in entry.signals} >= {"sha256", "pdq"}
    assert service.asked[0].media_type == "image/jpeg"
    assert service.asked[0].pdq == bastion.hash_content(PHOTO).signal("pdq").value  # type: ignore[union-attr]
    job = bastion.review.desk.get(done.opened or 0)
    assert job.level is Level.VERY_HIGH
    assert any(r.finding.kind is FindingKind.OUTSIDE_MATCH for r in job.triage.reasons)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "state", [State.TIMEOUT, State.RATE_LIMITED, State.BAD_CREDENTIALS, State.MALFORMED]
)
def test_a_failed_service_is_recorded_and_opens_nothing(bastion: Bastion, state: State) -> None:
    triage = use(bastion, services=(FixedService(state),))
    done = triage.run(item(PHOTO, bastion))
    assert [(r.source, r.state) for r in triage.runs(done.media_sha256)] == [("lists", state.value)]
    assert done.opened is None


def test_a_classifier_that_cannot_read_the_media_is_recorded(bastion: Bastion) -> None:
    triage = use(bastion, FixedClassifier(0.99))
    hashed = bastion.hash_content(PHOTO, for_matching=True)
    done = triage.run(TriageItem(PHOTO[: len(PHOTO) // 3], hashed))
    [run] = done.runs
    assert run.state == "failed"
    assert run.error
    assert done.opened is None


def test_a_full_backlog_drops_items_instead_of_holding_them(settings: Settings) -> None:
    small = Bastion(settings.with_overrides(triage_backlog=1))
    gate = threading.Event()
    try:
        triage = use(small, FixedClassifier(0.1, gate=gate))
        first = triage.submit(item(PHOTO, small))
        second = triage.submit(item(jpeg(4), small))
        assert first is not None
        assert second is None
        assert triage.dropped == 1
        gate.set()
        first.result(10)
    finally:
        small.close()


def test_a_confirmation_raises_the_users_other_open_jobs(bastion: Bastion) -> None:
    review = bastion.review
    first = review.submit(ContentSubmission(user_id="u9"), reason=JobKind.USER_REPORT).jobs[0]
    second = review.submit(ContentSubmission(user_id="u9"), reason=JobKind.USER_REPORT).jobs[0]
    before = review.desk.get(second.id)
    review.decide(first.id, "alice", Decision.CONFIRMED)
    after = review.desk.get(second.id)
    assert after.level == Level(before.level + 1)
    assert FindingKind.CONFIRMED_BEFORE in {f.kind for f in after.findings}


def test_a_submission_no_bank_knows_is_kept_when_triage_opens_its_job(bastion: Bastion) -> None:
    triage = use(bastion, FixedClassifier(0.97))
    submitted = bastion.review.submit(ContentSubmission(platform_id="p9", user_id="u9"), PHOTO)
    assert submitted.jobs == []
    assert submitted.content.evidence_id is None  # nothing matched: not kept at first
    triage.close()
    [job] = bastion.review.desk.jobs()
    assert (job.kind, job.content_id) == (JobKind.TRIAGE, submitted.content.id)
    kept = bastion.review.desk.content(submitted.content.id).evidence_id
    assert kept is not None
    assert bastion.vault.open(kept) == PHOTO


def test_media_a_person_cleared_does_not_open_another_job(bastion: Bastion) -> None:
    triage = use(bastion, FixedClassifier(0.95))
    first = triage.run(item(PHOTO, bastion))
    assert first.opened is not None
    bastion.review.decide(first.opened, "ada", Decision.FALSE_POSITIVE)
    again = triage.run(item(PHOTO, bastion))
    assert again.opened is None
    assert triage.run(item(jpeg(5), bastion)).opened is not None  # other media still does


def test_housekeeping_forgets_triages_rows_but_a_job_keeps_its_findings(
    bastion: Bastion,
) -> None:
    triage = use(bastion, FixedClassifier(0.95))
    kept = triage.run(item(PHOTO, bastion))  # opens a job
    assert kept.opened is not None
    housekeeping = Housekeeping(
        bastion.vault, bastion.sessions, bastion.triage, triage_retention=timedelta(days=30)
    )
    assert housekeeping.run().triage == 0  # nothing is 30 days old yet
    assert bastion.triage.purge_before(datetime.now(UTC) + timedelta(seconds=1)) == 3
    with bastion.db.session() as s:  # one run, two labels
        assert s.scalars(select(TriageFindingRow)).all() == []
        assert s.scalars(select(TriageRunRow)).all() == []
    job = bastion.review.desk.get(kept.opened)
    assert {(f.source, f.label) for f in job.findings} == {("fixed", "nsfw"), ("fixed", "sfw")}


def test_a_classifier_that_is_not_installed_stops_the_start(settings: Settings) -> None:
    from bastion.errors import ConfigurationError

    wrong = Bastion(settings.with_overrides(classifiers="opennsfw,nope"))
    try:
        with pytest.raises(ConfigurationError, match="unknown classifier 'nope'"):
            wrong.open()
    finally:
        wrong.close()
