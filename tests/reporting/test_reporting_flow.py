"""Reports from decisions to NCMEC's fake and back, on real databases: the draft a `reported`
decision opens, sending it step by step, what follows a finished report (preservation,
banks, the package for a lawful request), approval, and every way it can go wrong."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bastion.errors import ConflictError
from bastion.pipeline import Bastion
from bastion.reporting.model import FileState, IncidentType, ReportStatus
from bastion.reporting.sink import ReportInvalid
from bastion.review import ContentSubmission, Decision, JobKind
from bastion.settings import Settings
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.reporting.flow import jpeg, report_matches, service


@pytest.fixture
def bastion(settings: Settings, fake_cybertipline: FakeCyberTipline) -> Iterator[Bastion]:
    built = service(settings, fake_cybertipline)
    yield built
    built.close()


def finished_at_fake(fake: FakeCyberTipline) -> list[object]:
    return [r for r in fake.reports.values() if r.status == "finished"]


def test_a_reported_decision_opens_one_draft_per_case(bastion: Bastion) -> None:
    reported = report_matches(bastion)
    report = reported.report
    assert report.status is ReportStatus.DRAFT
    assert report.job_ids == tuple(j.id for j in reported.jobs)  # one draft gathers the case
    assert report.case_id == reported.jobs[0].case_id
    assert report.incident.type is IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL
    assert "matched a known hash in bank 'known'" in report.incident.description
    assert report.reporter is not None
    assert report.reporter.email == "reports@example.org"
    person = report.person
    assert person is not None
    assert (person.user_id, person.screen_name, person.emails) == (
        "u-17",
        "sample-user",
        ("sample-user@example.net",),
    )
    assert [c.ip for c in person.ip_captures] == ["198.51.100.23"]
    assert [f.file_name for f in report.files] == ["photo-0.jpg", "photo-1.jpg", "photo-2.jpg"]
    for file, data in zip(report.files, reported.media, strict=True):
        assert file.classification is not None
        assert file.classification.value == "B2"
        assert file.viewed_by_esp is False  # nobody revealed it
        assert file.original_hashes["SHA256"] == hashlib.sha256(data).hexdigest()
        assert file.original_hashes["MD5"] == hashlib.md5(data).hexdigest()
        assert "PDQ" in file.original_hashes


def test_a_report_goes_to_the_cybertipline_and_what_follows_it_happens_once(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline, tmp_path: Path
) -> None:
    reported = report_matches(bastion)
    reporting = bastion.reporting
    queued = reporting.request(reported.report.id, "user:ada")
    assert queued.status is ReportStatus.QUEUED
    assert reporting.send_due("worker-1") == 1
    report = reporting.store.get(queued.id)
    assert report.status is ReportStatus.FINISHED, report.error
    assert report.receipt is not None
    [remote] = finished_at_fake(fake_cybertipline)
    assert remote.id == report.remote_id  # type: ignore[attr-defined]
    held = remote.files  # type: ignore[attr-defined]
    assert sorted(f.md5 for f in held.values()) == sorted(
        hashlib.md5(m).hexdigest() for m in reported.media
    )
    assert {f.remote_id for f in report.files} == set(held)
    assert all(f.state is FileState.DESCRIBED for f in report.files)
    assert all(b"<industryClassification>B2</industryClassification>" in f.details
               for f in held.values())  # fmt: skip
    # Preserved a year from the report, with the documents sent.
    for file in report.files:
        kept = bastion.vault.get(file.evidence_id)
        assert kept.reported
        assert kept.retain_until is not None
        assert kept.retain_until >= report.finished_at + timedelta(days=364)  # type: ignore[operator]
    documents = report.extra["preserved_documents"]
    assert set(documents) == {"report.xml"} | {f"file-{f.id}-details.xml" for f in report.files}
    assert bastion.vault.open(documents["report.xml"]) == remote.xml  # type: ignore[attr-defined]
    # The hashes went into the report bank, once.
    assert bastion.store.get_bank("reported").entry_count == 3
    assert reporting.send_due("worker-1") == 0  # nothing left: the after-work ran once
    assert bastion.store.get_bank("reported").entry_count == 3
    steps = [(e.step, e.outcome) for e in reporting.store.events(report.id)]
    assert ("finish", "ok") in steps
    assert ("after", "ok") in steps
    # The package for a lawful request.
    package = reporting.export(report.id, tmp_path / "report.zip", "cli:officer")
    assert package.files == 3
    with zipfile.ZipFile(package.path) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        sums = dict(
            reversed(line.split("  ", 1)) for line in z.read("SHA256SUMS").decode().splitlines()
        )
        for name, digest in sums.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
        media = sorted(z.read(n) for n in names if n.startswith("files/"))
        custody = [json.loads(line) for line in z.read("custody.jsonl").splitlines()]
    assert media == sorted(reported.media)
    assert "report/report.xml" in names
    assert manifest["report"]["remote_id"] == report.remote_id
    assert {f["md5"] for f in manifest["files"]} == {f.md5 for f in held.values()}
    actions = {c["action"] for c in custody}
    assert {"evidence.put", "report.finished"} <= actions
    assert (package.path.stat().st_mode & 0o777) == 0o600
    assert [e.action for e in bastion.audit.list(action="report.exported")] == ["report.exported"]
    with pytest.raises(Exception, match="exists already"):
        reporting.export(report.id, package.path, "cli:officer")


def test_a_conversation_alone_is_reported_as_enticement_with_its_excerpts(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    from bastion.review import NewJob

    evidence = {
        "conversation": "chat-9",
        "likely_groomer": "u-66",
        "evidence": [
            {"message": 4, "sender": "u-66", "excerpt": "our little secret", "indicator": "x"},
            {"message": 7, "sender": "u-66", "excerpt": "delete this chat", "indicator": "y"},
        ],
    }
    job = bastion.review.desk.open_job(
        NewJob(kind=JobKind.CONVERSATION, evidence=evidence, conversation="chat-9",
               user_id="u-66")
    )  # fmt: skip
    decided = bastion.review.decide(job.id, "user:ada", Decision.REPORTED)
    assert decided.report_id is not None
    report = bastion.reporting.store.get(decided.report_id)
    assert report.incident.type is IncidentType.ONLINE_ENTICEMENT
    assert report.files == ()
    assert report.incident.text is not None
    assert "[message 4] u-66: our little secret" in report.incident.text
    assert report.person is not None
    assert report.person.user_id == "u-66"
    bastion.reporting.request(report.id, "user:ada")
    bastion.reporting.send_due("w")
    sent = bastion.reporting.store.get(report.id)
    assert sent.status is ReportStatus.FINISHED, sent.error
    [remote] = finished_at_fake(fake_cybertipline)
    assert b"our little secret" in remote.xml  # type: ignore[attr-defined]
    assert remote.files == {}  # type: ignore[attr-defined]


def test_approval_takes_a_second_person(bastion: Bastion) -> None:
    reporting = bastion.reporting
    reporting.update_profile("test", approval_required=True)
    report = report_matches(bastion, (1,)).report
    waiting = reporting.request(report.id, "user:ada")
    assert waiting.status is ReportStatus.AWAITING_APPROVAL
    assert reporting.send_due("w") == 0  # nothing goes before approval
    with pytest.raises(ConflictError, match="cannot approve it"):
        reporting.approve(report.id, "user:ada")
    # An edit after asking sends it back to draft: what would be approved changed.
    reporting.store.update_file(report.id, report.files[0].id, "user:ada", viewed_by_esp=True)
    assert reporting.store.get(report.id).status is ReportStatus.DRAFT
    reporting.request(report.id, "user:ada")
    approved = reporting.approve(report.id, "user:lee")
    assert (approved.status, approved.approved_by) == (ReportStatus.QUEUED, "user:lee")
    reporting.send_due("w")
    assert reporting.store.get(report.id).status is ReportStatus.FINISHED


def test_a_report_is_checked_before_anything_is_sent(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    from dataclasses import replace

    reporting = bastion.reporting
    report = report_matches(bastion, (1,)).report
    long = replace(report.incident, description="x" * 200_000)
    reporting.store.update(report.id, "user:ada", incident=long)
    with pytest.raises(ReportInvalid, match="description"):
        reporting.request(report.id, "user:ada")
    spaced = replace(report.incident, url="https://forum.example.org/p 1")
    reporting.store.update(report.id, "user:ada", incident=spaced)
    with pytest.raises(ReportInvalid, match="url"):
        reporting.request(report.id, "user:ada")
    reporting.update_profile("test", reporter_email="")
    reporting.store.update(report.id, "user:ada", incident=report.incident)
    unsigned = reporting.store.get(report.id)
    assert unsigned.status is ReportStatus.DRAFT
    assert fake_cybertipline.count("submit", accepted=False) == 0
    assert fake_cybertipline.count("submit") == 0  # nothing was sent


def test_a_file_gone_from_the_vault_fails_the_report_and_leaves_nothing_half_sent(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    reporting = bastion.reporting
    report = report_matches(bastion, (1, 2)).report
    bastion.vault.objects.delete(report.files[1].evidence_id)
    reporting.request(report.id, "user:ada")
    reporting.send_due("w")
    failed = reporting.store.get(report.id)
    assert failed.status is ReportStatus.FAILED
    assert failed.error is not None
    assert "photo-1.jpg" in failed.error
    assert "evidence vault" in failed.error
    assert finished_at_fake(fake_cybertipline) == []
    assert {r.status for r in fake_cybertipline.reports.values()} == {"retracted"}
    # Leaving the file out and sending again works.
    reporting.store.remove_file(report.id, report.files[1].id, "user:ada")
    reporting.request(report.id, "user:ada")
    reporting.send_due("w")
    assert reporting.store.get(report.id).status is ReportStatus.FINISHED
    [remote] = finished_at_fake(fake_cybertipline)
    assert len(remote.files) == 1  # type: ignore[attr-defined]


def test_refused_credentials_fail_the_report_until_they_are_set_again(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    reporting = bastion.reporting
    reporting.set_credentials("esp", "expired-password", "test")
    report = report_matches(bastion, (1,)).report
    reporting.request(report.id, "user:ada")
    reporting.send_due("w")
    failed = reporting.store.get(report.id)
    assert failed.status is ReportStatus.FAILED
    assert failed.error is not None
    assert "set the credentials again" in failed.error
    assert "expired-password" not in failed.error
    assert fake_cybertipline.reports == {}
    reporting.set_credentials("esp", "secret", "test")
    reporting.request(report.id, "user:ada")
    reporting.send_due("w")
    assert reporting.store.get(report.id).status is ReportStatus.FINISHED


def test_an_outage_is_retried_later_and_a_lost_upload_answer_starts_again(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    reporting = bastion.reporting
    report = report_matches(bastion, (1, 2)).report
    reporting.request(report.id, "user:ada")
    fake_cybertipline.drop("upload", after_processing=True)  # took effect, answer lost
    reporting.send_due("w")
    waiting = reporting.store.get(report.id)
    assert waiting.status is ReportStatus.SUBMITTED
    assert waiting.next_attempt_at is not None
    assert waiting.error is not None
    assert reporting.send_due("w") == 0  # not due yet: it backs off
    reporting.send_now(report.id, "w")  # a person's "send now" does not wait
    done = reporting.store.get(report.id)
    assert done.status is ReportStatus.FINISHED, done.error
    [remote] = finished_at_fake(fake_cybertipline)
    assert len(remote.files) == 2  # type: ignore[attr-defined]
    # The first copy, which may have held the file twice, was withdrawn.
    assert sorted(r.status for r in fake_cybertipline.reports.values()) == [
        "finished",
        "retracted",
    ]


def test_retracting_withdraws_at_the_cybertipline(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    reporting = bastion.reporting
    report = report_matches(bastion, (1,)).report
    reporting.request(report.id, "user:ada")
    fake_cybertipline.fail("upload", code=1000)
    reporting.send_due("w")
    assert reporting.store.get(report.id).remote_id is not None
    retracted = reporting.retract(report.id, "user:ada")
    assert retracted.status is ReportStatus.RETRACTED
    assert [r.status for r in fake_cybertipline.reports.values()] == ["retracted"]
    assert reporting.send_due("w") == 0
    with pytest.raises(ConflictError):
        reporting.retract(report.id, "user:ada")


def test_matched_media_is_kept_and_unmatched_media_is_not(bastion: Bastion) -> None:
    matched = bastion.review.submit(ContentSubmission(platform_id="a", user_id="u"), jpeg(1))
    plain = bastion.review.submit(ContentSubmission(platform_id="b", user_id="u"), jpeg(40))
    assert matched.content.evidence_id is not None
    assert plain.content.evidence_id is None


def test_a_file_a_reviewer_revealed_is_marked_viewed(bastion: Bastion) -> None:
    from bastion.auth.roles import Role
    from bastion.review.reveals import Reviewer

    submitted = bastion.review.submit(
        ContentSubmission(platform_id="p-1", user_id="u-5", name="seen.jpg"), jpeg(2)
    )
    [job] = submitted.jobs
    cara = bastion.users.create("cara", "child_safety_reviewer", actor="test").user
    reviewer = Reviewer(cara.id, cara.actor, Role.CHILD_SAFETY_REVIEWER, daily_cap=10)
    queue = bastion.review.desk.queue(job.queue)
    token = bastion.review.reveals.grant(job, queue, reviewer, has_media=True)
    bastion.review.reveals.redeem(token, reviewer)
    decided = bastion.review.decide(job.id, cara.actor, Decision.REPORTED)
    assert decided.report_id is not None
    [file] = bastion.reporting.store.get(decided.report_id).files
    assert file.viewed_by_esp is True


def test_a_report_with_nothing_to_send_is_refused_before_sending(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    report = report_matches(bastion, (1,)).report
    bastion.reporting.store.remove_file(report.id, report.files[0].id, "user:ada")
    with pytest.raises(ReportInvalid, match="nothing to report: no file, no text"):
        bastion.reporting.request(report.id, "user:ada")
    assert bastion.reporting.store.get(report.id).status is ReportStatus.DRAFT
    assert fake_cybertipline.count("submit", accepted=False) == 0  # nothing was sent


def test_the_platform_completes_the_report_before_it_is_queued(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    platform = Platform(
        {
            "person": {
                "emails": ["second@example.net"],
                "screen_name": "ignored: the draft has one",
                "ip_captures": [{"ip": "203.0.113.77", "event": "Registration"}],
            },
            "files": {"post-u-17-0": {"uploaded_at": "2026-05-01T10:05:00Z", "location":
                      "https://forum.example.org/p/0", "publicly_available": True}},
        }
    )  # fmt: skip
    with platform as url:
        reporting = bastion.reporting
        reporting.update_profile("test", info_webhook_url=url)
        reporting.set_info_secret("platform-info-secret-0123456789", "test")
        report = report_matches(bastion, (1,)).report
        queued = reporting.request(report.id, "user:ada")
    assert queued.status is ReportStatus.QUEUED
    person = queued.person
    assert person is not None
    assert person.screen_name == "sample-user"  # what the draft said stays
    assert person.emails == ("sample-user@example.net",)
    assert [c.ip for c in person.ip_captures] == ["198.51.100.23"]  # the draft's own, kept
    [file] = queued.files
    assert (file.location, file.publicly_available) == ("https://forum.example.org/p/0", True)
    assert file.uploaded_at is not None
    reporting.send_due("w")
    [remote] = finished_at_fake(fake_cybertipline)
    [details] = [f.details for f in remote.files.values()]  # type: ignore[attr-defined]
    assert b"https://forum.example.org/p/0" in details


class Platform:
    """A platform's additional-information webhook on 127.0.0.1 answering `answer`."""

    def __init__(self, answer: dict[str, object]) -> None:
        import http.server
        import threading

        body = json.dumps(answer).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/info"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_credentials_refused_after_a_lost_finish_never_lead_to_a_second_report(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    reporting = bastion.reporting
    report = report_matches(bastion, (1,)).report
    reporting.request(report.id, "user:ada")
    fake_cybertipline.drop("finish", after_processing=True)  # finished there, answer lost
    reporting.send_due("w")
    assert reporting.store.get(report.id).status is ReportStatus.DETAILS_SENT
    reporting.set_credentials("esp", "revoked", "test")
    failed = reporting.send_now(report.id, "w")
    assert failed.status is ReportStatus.FAILED
    assert failed.remote_id is not None  # what NCMEC holds is kept
    with pytest.raises(ConflictError, match="held unfinished by its destination"):
        reporting.store.update_file(report.id, failed.files[0].id, "user:ada", viewed_by_esp=True)
    reporting.set_credentials("esp", "secret", "test")
    resumed = reporting.request(report.id, "user:ada")
    assert resumed.status is ReportStatus.DETAILS_SENT  # where it stopped, not from scratch
    done = reporting.send_now(report.id, "w")
    assert done.status is ReportStatus.FINISHED, done.error
    assert fake_cybertipline.count("submit") == 1
    assert len(finished_at_fake(fake_cybertipline)) == 1


def test_without_credentials_a_report_is_not_sent_and_says_why(
    settings: Settings, fake_cybertipline: FakeCyberTipline
) -> None:
    from bastion.errors import ValidationError

    bastion = Bastion(settings.with_overrides(cybertipline_url=fake_cybertipline.url))
    try:
        bastion.store.create_bank("known")
        bastion.add_to_bank("known", jpeg(1), "known.jpg")
        bastion.actions.add_review("known")
        bastion.reporting.update_profile("test", reporter_email="reports@example.org")
        report = report_matches(bastion, (1,)).report
        with pytest.raises(ValidationError, match="no CyberTipline credentials are set"):
            bastion.reporting.request(report.id, "user:ada")
        assert bastion.reporting.store.get(report.id).status is ReportStatus.DRAFT
        assert fake_cybertipline.calls == []
    finally:
        bastion.close()
