"""The review desk's use cases on real databases (`Bastion.review`): content submitted with
its context opens jobs in its user's case, and decisions do what they say: a false positive
stops the same content alerting again, a confirmation adds to a bank, decision webhooks are
delivered without media, and an opinion goes back to the source of a fetched entry.

Reports here come without media: keeping media is the evidence vault's, tested with it."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bastion.actions import Outbox
from bastion.audit import AuditLog
from bastion.banks.model import Record
from bastion.banks.upstream import upstream_writer
from bastion.errors import ValidationError
from bastion.pipeline import Bastion
from bastion.review import Classification, ContentSubmission, Decision, JobKind
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.triage.findings import Level
from tests.actions.conftest import Receiver
from tests.actions.conftest import receiver as receiver  # a fixture, used by name


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


#: A picture in the bank, and another encoding of it at another size: its PDQ is a few bits
#: away, and its bytes (MD5, SHA-256) differ.
KNOWN = jpeg(1)
RESIZED = jpeg(1, (600, 450))


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    built = Bastion(settings)
    yield built
    built.close()


@pytest.fixture
def entry_id(bastion: Bastion) -> int:
    """`KNOWN`'s entry in bank "known", whose matches open review jobs."""
    bastion.store.create_bank("known")
    added = bastion.add_to_bank("known", KNOWN, "known.jpg")
    bastion.actions.add_review("known")
    return added


def pending(bastion: Bastion) -> int:
    return Outbox(bastion.db).counts().get("pending", 0)


def test_a_match_and_a_report_open_jobs_in_the_users_case(bastion: Bastion, entry_id: int) -> None:
    review = bastion.review
    matched = review.submit(
        ContentSubmission(
            platform_id="post-1", user_id="u1", surface="chat", context={"thread": "t-9"}
        ),
        KNOWN,
    )
    assert {(m.bank, m.entry_id) for m in matched.matches} == {("known", entry_id)}
    assert matched.queued == 1
    [match_job] = matched.jobs
    assert (match_job.kind, match_job.bank, match_job.entry_id) == (
        JobKind.MATCH,
        "known",
        entry_id,
    )
    assert match_job.content_id == matched.content.id
    assert match_job.media_sha256 == matched.content.media_sha256 is not None
    assert matched.content.context == {"thread": "t-9"}
    # A match keeps its media sealed (a report sends it), while its job is open.
    assert matched.content.evidence_id is not None
    kept = bastion.vault.get(matched.content.evidence_id)
    assert (kept.retain_until, kept.purged_at) == (None, None)
    assert bastion.vault.open(kept.id) == KNOWN

    report = {"reason": "harassment", "reporter_id": "u7", "text": "see this"}
    reported = review.submit(
        ContentSubmission(platform_id="post-2", user_id="u1"),
        reason=JobKind.USER_REPORT,
        report=report,
        priority=80,
    )
    assert reported.matches == []
    [report_job] = reported.jobs
    assert (report_job.kind, report_job.priority) == (JobKind.USER_REPORT, 80)
    assert report_job.evidence["report"] == report
    assert report_job.evidence["content"]["content_id"] == "post-2"
    assert report_job.case_id == match_job.case_id
    case = review.desk.case(match_job.case_id)
    assert case.subject == "user:u1"
    assert [j.id for j in case.jobs] == [match_job.id, report_job.id]

    elsewhere = review.submit(
        ContentSubmission(user_id="u2"), reason=JobKind.ESCALATION, report={"reason": "check"}
    )
    assert elsewhere.jobs[0].case_id != match_job.case_id
    with pytest.raises(ValidationError, match="user_report or an escalation"):
        review.submit(ContentSubmission(user_id="u1"), reason=JobKind.MATCH)


def test_a_false_positive_stops_that_content_alerting_but_not_other_content(
    bastion: Bastion, entry_id: int, receiver: Receiver
) -> None:
    bastion.actions.add_webhook("known", receiver.url)
    review = bastion.review
    first = review.submit(ContentSubmission(user_id="u1"), KNOWN)
    assert first.queued == 2  # the webhook's delivery and the job
    assert pending(bastion) == 1
    [job] = first.jobs
    review.decide(job.id, "alice", Decision.FALSE_POSITIVE, note="a sunset, not a match")

    again = review.submit(ContentSubmission(user_id="u2"), KNOWN)
    assert {m.entry_id for m in again.matches} == {entry_id}  # it still matches...
    assert (again.jobs, again.queued) == ([], 0)  # ...but opens no job and sends nothing
    assert pending(bastion) == 1

    other = review.submit(ContentSubmission(user_id="u3"), RESIZED)
    assert {m.entry_id for m in other.matches} == {entry_id}
    assert other.queued == 2
    [other_job] = other.jobs
    assert other_job.entry_id == entry_id
    assert pending(bastion) == 2

    [event] = AuditLog(bastion.db).list(action="review.false_positive")
    assert (event.actor, event.target) == ("alice", f"job:{job.id}")


def test_a_confirmation_adds_the_contents_signals_to_a_bank(
    bastion: Bastion, entry_id: int
) -> None:
    bastion.store.create_bank("confirmed")
    submitted = bastion.review.submit(ContentSubmission(user_id="u1"), RESIZED)
    [job] = submitted.jobs
    with pytest.raises(ValidationError, match="only a confirmation"):
        bastion.review.decide(job.id, "alice", Decision.FALSE_POSITIVE, add_to_bank="confirmed")
    assert bastion.review.desk.get(job.id).decision is None  # refused before deciding
    decided = bastion.review.decide(
        job.id,
        "alice",
        Decision.CONFIRMED,
        classification=Classification.B2,
        note="confirmed by two reviewers",
        add_to_bank="confirmed",
    )
    assert decided.entry_id is not None
    added = bastion.store.get_entry(decided.entry_id)
    assert added.bank == "confirmed"
    assert {(s.type, s.value) for s in added.signals} == {
        (s.type, s.value) for s in submitted.content.signals
    }
    assert added.metadata == {"review_job": job.id, "decision": "confirmed"}
    assert added.provenance.added_by == "alice"
    assert [m.bank for m in bastion.look_up(list(submitted.content.signals), act=False)].count(
        "confirmed"
    ) >= 1
    assert decided.jobs[0].classification is Classification.B2


def test_a_decision_webhook_gets_the_decision_without_media(
    bastion: Bastion, entry_id: int, receiver: Receiver
) -> None:
    rule = bastion.actions.add_decision_webhook(receiver.url)
    assert rule.secret
    submitted = bastion.review.submit(
        ContentSubmission(platform_id="post-1", user_id="u1", url="https://example.com/p/1"),
        KNOWN,
    )
    [job] = submitted.jobs
    decided = bastion.review.decide(
        job.id, "alice", Decision.CONFIRMED, classification=Classification.A1
    )
    assert decided.webhooks == 1
    assert bastion.deliver_due() == 1
    [delivery] = receiver.requests
    event = delivery.json()
    assert event["event_type"] == "decision.confirmed"
    assert (event["job_id"], event["decision"], event["decided_by"]) == (
        job.id,
        "confirmed",
        "alice",
    )
    assert event["content"]["content_id"] == "post-1"
    assert event["content"]["user_id"] == "u1"
    assert set(event["content"]) == {
        "id", "content_id", "user_id", "surface", "url", "posted_at", "signals",
    }  # fmt: skip
    assert base64.b64encode(KNOWN[:300]) not in delivery.body
    assert KNOWN[:300] not in delivery.body
    assert len(delivery.body) < 4096  # a notice with hashes, nothing the size of an image
    assert delivery.headers["x-bastion-signature"].startswith("sha256=")


def test_an_opinion_goes_upstream_for_an_entry_fetched_from_an_exchange(
    bastion: Bastion, entry_id: int
) -> None:
    """An entry NCMEC sent (applied as a sync applies records; the exchange is never
    reached): deciding a match on it queues an opinion for NCMEC; one on our own entry
    queues none."""
    bank = bastion.store.create_bank("ncmec")
    exchange = bastion.exchanges.add(
        "ncmec", kind="ncmec", bank="ncmec", config={}, credentials={"username": "esp"}
    )
    other_pdq = bastion.hash_content(jpeg(2)).signal("pdq")
    assert other_pdq is not None
    with upstream_writer(
        bastion.store, bank_id=bank.id, exchange_id=exchange.id, exchange_name="ncmec"
    ) as writer:
        writer.apply([Record("42-img2", (other_pdq,), {"member": 42})])
    [fetched] = bastion.store.iter_entries("ncmec")
    assert fetched.provenance.upstream_id == "42-img2"
    bastion.actions.add_review("ncmec")

    theirs = bastion.review.submit(ContentSubmission(user_id="u1"), jpeg(2))
    [their_job] = theirs.jobs
    assert their_job.entry_id == fetched.id
    decided = bastion.review.decide(their_job.id, "alice", Decision.FALSE_POSITIVE, note="a cat")
    assert decided.feedback == 1
    [opinion] = bastion.feedback.list(entry_id=fetched.id)
    assert (opinion.exchange, opinion.upstream_id, opinion.opinion, opinion.given_by) == (
        "ncmec",
        "42-img2",
        "false_positive",
        "alice",
    )
    assert (opinion.status, opinion.note) == ("pending", "a cat")

    ours = bastion.review.submit(ContentSubmission(user_id="u1"), KNOWN)
    [our_job] = ours.jobs
    assert our_job.entry_id == entry_id
    assert bastion.review.decide(our_job.id, "alice", Decision.CONFIRMED).feedback == 0
    assert bastion.feedback.list() == [opinion]


def test_an_escalation_goes_on_to_the_escalations_queue_more_urgent(
    bastion: Bastion, entry_id: int
) -> None:
    review = bastion.review
    [job] = review.submit(ContentSubmission(platform_id="p", user_id="u1"), KNOWN).jobs
    review.decide(job.id, "user:ada", Decision.ESCALATED, note="not sure: a lead should look")
    [escalated] = review.desk.jobs(queue="escalations")
    assert escalated.kind is JobKind.ESCALATION
    assert escalated.case_id == job.case_id
    # A match is very high already; the escalation keeps the match and raises (to the cap).
    assert (job.level, escalated.level) == (Level.VERY_HIGH, Level.VERY_HIGH)
    assert escalated.triage is not None
    assert [r.rule for r in escalated.triage.reasons if r.set_level] == [
        "bank_match -> very_high", "escalation -> raise 1",
    ]  # fmt: skip
    assert (escalated.bank, escalated.entry_id, escalated.content_id) == (
        "known", entry_id, job.content_id,
    )  # fmt: skip
    assert escalated.evidence["escalation"] == {
        "from_job": job.id, "by": "user:ada", "note": "not sure: a lead should look",
    }  # fmt: skip
    assert review.desk.queue("escalations").child_safety
    assert review.desk.get(job.id).decision is Decision.ESCALATED
    # A report (medium) escalated is more urgent: high.
    [report] = review.submit(ContentSubmission(user_id="u2"), reason=JobKind.USER_REPORT).jobs
    review.decide(report.id, "user:ada", Decision.ESCALATED)
    [raised] = [j for j in review.desk.jobs(queue="escalations") if j.id != escalated.id]
    assert (report.level, raised.level) == (Level.MEDIUM, Level.HIGH)


def test_kept_media_is_preserved_while_needed_then_its_clock_starts(
    bastion: Bastion, entry_id: int
) -> None:
    review = bastion.review
    report = review.submit(
        ContentSubmission(platform_id="r", user_id="u2"),
        jpeg(7),
        reason=JobKind.USER_REPORT,
        report={"reason": "spam"},
    )
    [job] = report.jobs
    kept = report.content.evidence_id
    assert kept is not None
    review.decide(job.id, "user:ada", Decision.ESCALATED)
    assert bastion.vault.get(kept).retain_until is None  # the escalation still needs it
    [escalated] = review.desk.jobs(queue="escalations")
    review.decide(escalated.id, "user:di", Decision.FALSE_POSITIVE)
    assert bastion.vault.get(kept).retain_until is not None

    other = review.submit(
        ContentSubmission(platform_id="r2", user_id="u3"),
        jpeg(8),
        reason=JobKind.USER_REPORT,
        report={"reason": "abuse"},
    )
    review.decide(other.jobs[0].id, "user:ada", Decision.REPORTED, classification=Classification.B2)
    preserved = bastion.vault.get(other.content.evidence_id or "")
    assert preserved.reported
    assert preserved.retain_until is not None
    assert (preserved.retain_until - preserved.created_at).days >= 364
