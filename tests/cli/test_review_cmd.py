"""`bastion review ...` and `bastion action add-decision-webhook` through the real entry
point, on SQLite and PostgreSQL: jobs listed, shown and decided from a terminal, queues
counted and created, and a decision delivered to a webhook signed with the secret printed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import get_args

import pytest
from PIL import Image

from bastion.actions.webhook import verify_signature
from bastion.cli import review_cmd
from bastion.pipeline import Bastion
from bastion.review import Classification, ContentSubmission, Decision, Job, JobKind
from bastion.samples import sample_pixels
from bastion.settings import Settings
from tests.actions.conftest import Receiver
from tests.actions.conftest import receiver as receiver  # a fixture, used by name
from tests.cli.conftest import CliRunner


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(out, "JPEG", quality=90)
    return out.getvalue()


KNOWN = jpeg(1)


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    """The platform's side: the same data directory and database the commands use."""
    built = Bastion(settings)
    yield built
    built.close()


@pytest.fixture
def jobs(bastion: Bastion) -> tuple[Job, Job]:
    """A match job and a user's report on the same user (so in one case)."""
    bastion.store.create_bank("known")
    bastion.add_to_bank("known", KNOWN, "known.jpg")
    bastion.actions.add_review("known")
    matched = bastion.review.submit(
        ContentSubmission(platform_id="post-1", user_id="u1", context={"thread": "t-9"}), KNOWN
    )
    reported = bastion.review.submit(
        ContentSubmission(platform_id="post-2", user_id="u1"),
        reason=JobKind.USER_REPORT,
        report={"reason": "spam"},
    )
    return matched.jobs[0], reported.jobs[0]


def test_choices_written_out_match_the_desk() -> None:
    assert get_args(review_cmd.DecisionName) == tuple(d.value for d in Decision)
    assert get_args(review_cmd.ClassificationName) == tuple(c.value for c in Classification)
    assert get_args(review_cmd.KindName) == tuple(k.value for k in JobKind)


def test_list_show_and_decide(cli: CliRunner, jobs: tuple[Job, Job]) -> None:
    match_job, report_job = jobs
    listed = cli("review", "list")
    assert listed.code == 0, listed.err
    assert "bank known entry" in listed.out
    assert "user_report" in listed.out
    as_json = json.loads(cli("review", "list", "--json").out)
    assert [(j["id"], j["kind"]) for j in as_json] == [
        (match_job.id, "match"),
        (report_job.id, "user_report"),
    ]
    only = json.loads(cli("review", "list", "--kind", "user_report", "--json").out)
    assert [j["id"] for j in only] == [report_job.id]
    unknown = cli("review", "list", "--queue", "nope")
    assert (unknown.code, unknown.err.strip()) == (2, "error: no queue named 'nope'")

    shown = cli("review", "show", str(match_job.id))
    assert shown.code == 0, shown.err
    assert f"case:     {match_job.case_id} (user:u1, open)" in shown.out
    assert '"thread": "t-9"' in shown.out
    assert str(report_job.id) in shown.out  # the case's other job
    detail = json.loads(cli("review", "show", str(match_job.id), "--json").out)
    assert detail["case"]["other_jobs"] == [
        {"id": report_job.id, "kind": "user_report", "status": "open", "queue": "default"}
    ]
    assert detail["content"]["content_id"] == "post-1"
    assert detail["content"]["media_kept"] is True  # matched: kept for a report

    decided = cli(
        "review", "decide", str(match_job.id), "confirmed", "--classification", "A2",
        "--note", "as the entry", "--as", "alice",
    )  # fmt: skip
    assert decided.code == 0, decided.err
    assert decided.out.strip() == (
        f"job {match_job.id}: confirmed by alice; 0 decision webhook(s) queued"
    )
    again = cli("review", "decide", str(match_job.id), "false_positive")
    assert again.code == 2
    assert again.err.strip() == f"error: job {match_job.id} is already decided (confirmed)"
    by_default = cli("review", "decide", str(report_job.id), "escalated")
    assert by_default.code == 0, by_default.err
    done = json.loads(cli("review", "list", "--status", "decided", "--json").out)
    assert [(j["id"], j["decision"], j["classification"]) for j in done] == [
        (report_job.id, "escalated", None),
        (match_job.id, "confirmed", "A2"),
    ]
    assert done[0]["decided_by"].startswith("cli:")
    assert done[1]["decided_by"] == "alice"
    # The escalation went on to the escalations queue; deciding it leaves nothing open.
    [escalated] = json.loads(cli("review", "list", "--json").out)
    assert (escalated["queue"], escalated["kind"]) == ("escalations", "escalation")
    assert cli("review", "decide", str(escalated["id"]), "false_positive").code == 0
    assert "no open jobs" in cli("review", "list").out
    refused = cli("review", "decide", str(report_job.id), "maybe")
    assert refused.code == 2
    assert "maybe" in refused.err


def test_a_confirmation_adds_the_content_to_a_bank(
    cli: CliRunner, jobs: tuple[Job, Job], bastion: Bastion
) -> None:
    match_job, _ = jobs
    bastion.store.create_bank("confirmed")
    decided = cli("review", "decide", str(match_job.id), "confirmed", "--add-to-bank", "confirmed")
    assert decided.code == 0, decided.err
    assert "to bank confirmed" in decided.out
    [entry] = bastion.store.iter_entries("confirmed")
    assert entry.metadata == {"review_job": match_job.id, "decision": "confirmed"}
    assert entry.provenance.added_by is not None
    assert entry.provenance.added_by.startswith("cli:")


def test_queues_are_counted_and_created(cli: CliRunner, jobs: tuple[Job, Job]) -> None:
    created = cli(
        "review", "queue-create", "urgent", "--description", "fast lane", "--sla-minutes", "30",
        "--not-child-safety", "--reviewer", "key:alice", "--reviewer", "bob",
    )  # fmt: skip
    assert (created.code, created.out.strip()) == (0, "created queue urgent")
    counted = {q["name"]: q for q in json.loads(cli("review", "queues", "--json").out)}
    assert counted["default"]["open"] == 2
    assert counted["urgent"] == {
        "name": "urgent",
        "description": "fast lane",
        "child_safety": False,
        "sla_minutes": 30,
        "reviewers": ["key:alice", "user:bob"],  # a plain name is a console user's
        "open": 0,
        "overdue": 0,
        "claimed": 0,
    }
    table = cli("review", "queues").out
    assert "urgent" in table
    assert "key:alice, user:bob" in table
    again = cli("review", "queue-create", "urgent")
    assert (again.code, again.err.strip()) == (2, "error: queue 'urgent' already exists")
    bad = cli("review", "queue-create", "no spaces")
    assert bad.code == 2
    assert "invalid queue name" in bad.err


def test_a_decision_webhook_receives_decisions_signed_with_the_secret_printed(
    cli: CliRunner, jobs: tuple[Job, Job], bastion: Bastion, receiver: Receiver
) -> None:
    added = cli("action", "add-decision-webhook", receiver.url)
    assert added.code == 0, added.err
    assert "for review decisions" in added.err
    secret = added.out.strip()
    assert len(secret) >= 32
    assert secret not in added.err
    [rule] = json.loads(cli("action", "list", "--json").out)["rules"][1:]
    assert (rule["kind"], rule["bank"], rule["url"]) == ("webhook", None, receiver.url)

    match_job, _ = jobs
    decided = cli("review", "decide", str(match_job.id), "false_positive", "--as", "alice")
    assert "1 decision webhook(s) queued" in decided.out
    assert bastion.deliver_due() == 1
    [delivery] = receiver.requests
    assert delivery.json()["event_type"] == "decision.false_positive"
    assert delivery.json()["decided_by"] == "alice"
    assert verify_signature(
        secret,
        delivery.headers["x-bastion-timestamp"],
        delivery.body,
        delivery.headers["x-bastion-signature"],
    )


def test_demo_fills_the_queue_with_matches_and_reports_after_the_first_run(
    cli: CliRunner, settings: Settings, bastion: Bastion
) -> None:
    from bastion.web.first_run import prepare

    empty = cli("review", "demo", "--posts", "2")
    assert empty.code == 0
    assert "no post matched" in empty.err  # no demo bank before the first start
    prepare(settings)
    done = cli("review", "demo", "--posts", "6")
    assert done.code == 0
    assert "6 of 6 posts matched a bank" in done.err
    opened = bastion.review.desk.jobs(limit=100)
    kinds = sorted(j.kind.value for j in opened)
    assert kinds.count("match") == 6
    assert kinds.count("user_report") == 4  # two from each run
    users = {bastion.review.desk.content(j.content_id or 0).user_id for j in opened}
    assert users == {"demo-user-1", "demo-user-2", "demo-user-3"}
    # The media of reports and of matches is kept sealed (to be previewed, revealed and
    # reported).
    for job in opened:
        content = bastion.review.desk.content(job.content_id or 0)
        assert content.evidence_id is not None, job.kind


def test_hold_keeps_a_jobs_media_from_the_purge(
    cli: CliRunner, bastion: Bastion, jobs: tuple[Job, Job]
) -> None:
    bare = bastion.review.submit(
        ContentSubmission(platform_id="post-8", user_id="u8"),
        reason=JobKind.USER_REPORT,
        report={"reason": "spam"},
    ).jobs[0]
    refused = cli("review", "hold", str(bare.id))
    assert (refused.code, refused.err.strip()) == (
        2, f"error: job {bare.id} keeps no media (none was sent with its content)",
    )  # fmt: skip
    report = bastion.review.submit(
        ContentSubmission(platform_id="post-9", user_id="u9"),
        jpeg(9),
        reason=JobKind.USER_REPORT,
        report={"reason": "spam"},
    )
    job = report.jobs[0]
    kept = report.content.evidence_id or ""
    held = cli("review", "hold", str(job.id))
    assert held.out.strip() == f"the media of job {job.id} is on legal hold"
    assert bastion.vault.get(kept).legal_hold
    lifted = cli("review", "hold", str(job.id), "--release")
    assert lifted.out.strip() == f"the media of job {job.id} is no longer on legal hold"
    assert not bastion.vault.get(kept).legal_hold
    assert [e.target for e in bastion.audit.list(action="evidence.hold")] == [kept, kept]
