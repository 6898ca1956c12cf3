"""The console's report pages over real HTTP, on SQLite and PostgreSQL, with reports going to the
fake CyberTipline: a child-safety reviewer reports a job and lands on its draft, edits it and
sends it; approval by a second person (never the one who asked); the reports list; the
organisation's profile and credentials (the password never shown again); who may do what, each
refusal audited; and the notices a page shows. The service runs without the worker role: the
test's `send_due` is the worker, so a queued report stays queued until the test sends it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import httpx
import pytest

from bastion.pipeline import Bastion
from bastion.reporting.model import Incident, IncidentType, ReportStatus
from bastion.reporting.store import NewReport
from bastion.review import ContentSubmission, Decision, JobStatus
from bastion.settings import Settings
from tests.reporting.conftest import cybertipline_xsd as cybertipline_xsd  # a fixture, by name
from tests.reporting.conftest import fake_cybertipline as fake_cybertipline  # a fixture
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.reporting.flow import jpeg
from tests.web.conftest import running_server
from tests.web.console_helpers import PASSWORD, csrf_of, seed, signed_in, submit_match

#: The CyberTipline account an admin stores through the console (the fake knows it).
ESP_USERNAME = "esp-from-the-console"
ESP_PASSWORD = "a-console-password-never-shown-7c1e"


@pytest.fixture
def bastion(settings: Settings, fake_cybertipline: FakeCyberTipline) -> Iterator[Bastion]:
    """People of each role (`al` the admin, `eli` a second lead), a bank whose matches open
    jobs in the child-safety queue, and the reporting profile set for the fake."""
    fake_cybertipline.add_account(ESP_USERNAME, ESP_PASSWORD)
    made = Bastion(settings.with_overrides(cybertipline_url=fake_cybertipline.url))
    seed(made)
    made.users.create("al", "admin", password=PASSWORD, actor="test")
    made.users.create("eli", "lead", password=PASSWORD, actor="test")
    made.reporting.update_profile(
        "test",
        reporter_first_name="Trust",
        reporter_last_name="Safety",
        reporter_email="reports@example.org",
        platform="Example Forum",
    )
    made.reporting.set_credentials("esp", "secret", "test")
    yield made
    made.close()


@pytest.fixture
def url(settings: Settings, fake_cybertipline: FakeCyberTipline, bastion: Bastion) -> Iterator[str]:
    with running_server(
        settings.with_overrides(cybertipline_url=fake_cybertipline.url), roles=["ui"]
    ) as base:
        yield base


def audited(bastion: Bastion, action: str) -> list[str]:
    """Who was refused what, oldest first."""
    return [f"{e.actor} {e.target}" for e in reversed(bastion.audit.list(action=action))]


def reported(bastion: Bastion, user: str = "u1") -> int:
    """A match of `user`'s decided `reported` (as ada, not over HTTP): its draft's id."""
    submit_match(bastion, user=user)
    job = bastion.review.desk.jobs(status=JobStatus.OPEN)[-1]
    decided = bastion.review.decide(job.id, "user:ada", Decision.REPORTED)
    assert decided.report_id is not None
    return decided.report_id


def notice(html: str) -> str | None:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S)
    return None if found is None else unescape(found.group(1))


def alerts(html: str) -> list[str]:
    return [unescape(a) for a in re.findall(r'<p class="form-error" role="alert">(.*?)</p>', html)]


def heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, "no heading"
    return unescape(found.group(1))


def report_ids(html: str) -> list[int]:
    """The reports a list page shows, in its order."""
    return [int(i) for i in re.findall(r'<th scope="row"><a href="/reports/(\d+)">', html)]


# A report from a decision to NCMEC ------------------------------------------------------------


def test_a_child_safety_reviewer_reports_a_job_edits_the_draft_and_sends_it(
    url: str, bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    submit_match(bastion, user="u1")
    bastion.review.submit(  # the same picture, re-encoded, posted again by the same user
        ContentSubmission(platform_id="post-u1-again", user_id="u1"), jpeg(1, (400, 300))
    )
    job, again = bastion.review.desk.jobs()
    with signed_in(url, "ada") as ada:
        for number, decided_job in enumerate((job, again)):
            page = ada.get(f"/jobs/{decided_job.id}")
            decided = ada.post(
                f"/jobs/{decided_job.id}/decision",
                data={"decision": "reported", "classification": "A2", "then": "next",
                      "csrf": csrf_of(page.text)},
            )  # fmt: skip
            assert decided.status_code == 303, decided.text
            (report,) = bastion.reporting.store.list()  # the case's one draft
            report_id = report.id
            assert decided.headers["location"] == f"/reports/{report_id}"
            assert len(report.files) == number + 1
        page = ada.get(decided.headers["location"])
        assert page.status_code == 200
        assert heading(page.text) == f"Report {report_id}: draft"
        assert f'action="/reports/{report_id}/incident"' in page.text
        assert "Send to NCMEC" in page.text
        assert report.job_ids == (job.id, again.id)
        assert report.person is not None
        assert report.person.user_id == "u1"
        file, extra = report.files
        assert (file.classification, extra.classification) == ("A2", "A2")

        left_out = ada.post(
            f"/reports/{report_id}/files/{extra.id}",
            data={"csrf": csrf_of(page.text), "classification": "A2", "remove": "true"},
        )
        assert left_out.headers["location"] == f"/reports/{report_id}?done=removed"
        page = ada.get(left_out.headers["location"])
        assert notice(page.text) == (
            "The file is left out of the report (it stays in the evidence vault)."
        )
        assert [f.id for f in bastion.reporting.store.get(report_id).files] == [file.id]
        assert f'action="/reports/{report_id}/files/{extra.id}"' not in page.text

        # The incident, then the file.
        saved = ada.post(
            f"/reports/{report_id}/incident",
            data={"csrf": csrf_of(page.text), "incident_type": "csam",
                  "description": "  One picture matched bank 'known'.  ",
                  "escalate": "The user says they will meet the child today.",
                  "annotations": ["sextortion", "minorToMinorInteraction"]},
        )  # fmt: skip
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"/reports/{report_id}?done=saved"
        held = bastion.reporting.store.get(report_id)
        assert held.incident.description == "One picture matched bank 'known'."
        assert held.incident.escalate == "The user says they will meet the child today."
        assert held.incident.annotations == ("sextortion", "minorToMinorInteraction")
        page = ada.get(saved.headers["location"])
        assert notice(page.text) == "Saved."
        assert "One picture matched bank &#39;known&#39;." in page.text
        assert re.search(r'value="sextortion" checked', page.text)
        assert not re.search(r'value="spam" checked', page.text)

        filed = ada.post(
            f"/reports/{report_id}/files/{file.id}",
            data={"csrf": csrf_of(page.text), "classification": "B1", "viewed_by_esp": "true",
                  "publicly_available": "true"},
        )  # fmt: skip
        assert filed.status_code == 303, filed.text
        (file,) = bastion.reporting.store.get(report_id).files
        assert (file.classification, file.viewed_by_esp, file.exif_viewed_by_esp) == (
            "B1", True, False,
        )  # fmt: skip
        assert file.publicly_available is True
        page = ada.get(filed.headers["location"])
        assert re.search(r'<option value="B1" selected>', page.text)

        # A form without the session's token changes nothing.
        forged = ada.post(f"/reports/{report_id}/send", data={"csrf": "guessed"})
        assert forged.status_code == 403
        assert bastion.reporting.store.get(report_id).status is ReportStatus.DRAFT
        assert audited(bastion, "console.csrf_refused") == [f"user:ada report:{report_id}"]

        # Sent: queued for the worker; nothing reached NCMEC yet.
        sent = ada.post(f"/reports/{report_id}/send", data={"csrf": csrf_of(page.text)})
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/reports/{report_id}?done=queued"
        assert bastion.reporting.store.get(report_id).status is ReportStatus.QUEUED
        page = ada.get(sent.headers["location"])
        assert heading(page.text) == f"Report {report_id}: queued"
        assert notice(page.text) == "Queued: the worker sends it within seconds."
        assert "The worker is sending it." in page.text
        assert f'action="/reports/{report_id}/incident"' not in page.text  # no longer editable
        late = ada.post(
            f"/reports/{report_id}/incident",
            data={"csrf": csrf_of(page.text), "incident_type": "csam", "description": "late"},
        )
        assert late.status_code == 400
        assert alerts(late.text) == [f"report {report_id} is queued: it can no longer be changed"]
        assert [c.step for c in fake_cybertipline.calls if c.step not in ("status", "xsd")] == []

        assert bastion.reporting.send_due("worker-1") == 1
        held = bastion.reporting.store.get(report_id)
        assert held.status is ReportStatus.FINISHED, held.error
        page = ada.get(f"/reports/{report_id}")
        assert heading(page.text) == f"Report {report_id}: finished"
        assert f"Received by NCMEC as report {held.remote_id}" in page.text
        assert "Retract" not in page.text
    (remote,) = fake_cybertipline.reports.values()
    assert (remote.id, remote.status) == (held.remote_id, "finished")
    assert b"<escalateToHighPriority>The user says they will meet" in remote.xml
    (details,) = [f.details for f in remote.files.values()]
    assert details is not None
    assert b"<industryClassification>B1</industryClassification>" in details
    assert b"<fileViewedByEsp>true</fileViewedByEsp>" in details


def test_a_report_ncmec_refused_shows_why_and_is_sent_again(
    url: str, bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    report_id = reported(bastion)
    bastion.reporting.request(report_id, "user:ada")
    fake_cybertipline.fail("submit", code=4100, status=200)
    assert bastion.reporting.send_due("worker-1") == 1
    failed = bastion.reporting.store.get(report_id)
    assert failed.status is ReportStatus.FAILED
    assert failed.error is not None
    assert "4100" in failed.error
    with signed_in(url, "ada") as ada:
        listed = ada.get("/reports?status=failed")
        assert report_ids(listed.text) == [report_id]
        assert failed.error[:40] in unescape(listed.text)
        page = ada.get(f"/reports/{report_id}")
        assert heading(page.text) == f"Report {report_id}: failed"
        assert alerts(page.text) == [failed.error]
        assert f'action="/reports/{report_id}/incident"' in page.text  # to fix, then again
        again = ada.post(f"/reports/{report_id}/send", data={"csrf": csrf_of(page.text)})
        assert again.headers["location"] == f"/reports/{report_id}?done=queued"
        page = ada.get(again.headers["location"])
        assert alerts(page.text) == []  # the error is gone with the new request
    assert bastion.reporting.send_due("worker-1") == 1
    held = bastion.reporting.store.get(report_id)
    assert held.status is ReportStatus.FINISHED, held.error
    assert [r.status for r in fake_cybertipline.reports.values()] == ["finished"]


def test_with_approval_a_second_person_approves_never_the_one_who_asked(
    url: str, bastion: Bastion
) -> None:
    bastion.reporting.update_profile("test", approval_required=True)
    first, second = reported(bastion, "u1"), reported(bastion, "u2")
    with (
        signed_in(url, "ada") as ada,
        signed_in(url, "di") as lead,
        signed_in(url, "eli") as other_lead,
    ):
        page = ada.get(f"/reports/{first}")
        assert "Ask for approval" in page.text
        asked = ada.post(f"/reports/{first}/send", data={"csrf": csrf_of(page.text)})
        assert asked.headers["location"] == f"/reports/{first}?done=awaiting"
        page = ada.get(asked.headers["location"])
        assert notice(page.text) == "Waiting for the approval of a lead or an admin."
        assert heading(page.text) == f"Report {first}: awaiting approval"
        assert f'action="/reports/{first}/approve"' not in page.text  # ada may not approve
        refused = ada.post(f"/reports/{first}/approve", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 403
        assert "may not approve reports" in refused.text
        assert bastion.reporting.store.get(first).status is ReportStatus.AWAITING_APPROVAL

        page = lead.get(f"/reports/{first}")
        assert f'action="/reports/{first}/approve"' in page.text
        approved = lead.post(f"/reports/{first}/approve", data={"csrf": csrf_of(page.text)})
        assert approved.headers["location"] == f"/reports/{first}?done=approved"
        held = bastion.reporting.store.get(first)
        assert (held.status, held.approved_by) == (ReportStatus.QUEUED, "user:di")
        page = lead.get(approved.headers["location"])
        assert notice(page.text) == "Approved: the worker sends it within seconds."
        assert "Approved by</dt><dd>user:di" in page.text

        # A lead who asks cannot approve their own request; another lead can.
        page = lead.get(f"/reports/{second}")
        asked = lead.post(f"/reports/{second}/send", data={"csrf": csrf_of(page.text)})
        assert bastion.reporting.store.get(second).status is ReportStatus.AWAITING_APPROVAL
        page = lead.get(asked.headers["location"])
        assert "Asked to send by</dt><dd>user:di" in page.text
        assert f'action="/reports/{second}/approve"' not in page.text  # not to the one who asked
        assert "Waiting for a lead or an admin other than the one who asked." in page.text
        own = lead.post(f"/reports/{second}/approve", data={"csrf": csrf_of(page.text)})
        assert own.status_code == 400
        assert alerts(own.text) == [
            "the person who asked to send a report cannot approve it: another lead or admin must"
        ]
        assert heading(own.text) == f"Report {second}: awaiting approval"
        assert bastion.reporting.store.get(second).status is ReportStatus.AWAITING_APPROVAL
        page = other_lead.get(f"/reports/{second}")
        done = other_lead.post(f"/reports/{second}/approve", data={"csrf": csrf_of(page.text)})
        assert done.status_code == 303
    held = bastion.reporting.store.get(second)
    assert (held.status, held.approved_by) == (ReportStatus.QUEUED, "user:eli")
    assert audited(bastion, "console.refused") == [f"user:ada report:{first}"]
    assert bastion.reporting.send_due("worker-1") == 2
    statuses = {bastion.reporting.store.get(i).status for i in (first, second)}
    assert statuses == {ReportStatus.FINISHED}


def test_the_reports_list_filters_by_status(url: str, bastion: Bastion) -> None:
    drafts = [reported(bastion, f"u{n}") for n in range(3)]
    queued = drafts.pop()
    bastion.reporting.request(queued, "user:ada")
    retracted = reported(bastion, "u9")
    with signed_in(url, "ada") as ada:
        page = ada.get(f"/reports/{retracted}")
        done = ada.post(f"/reports/{retracted}/retract", data={"csrf": csrf_of(page.text)})
        assert done.headers["location"] == f"/reports/{retracted}?done=retracted"
        page = ada.get(done.headers["location"])
        assert heading(page.text) == f"Report {retracted}: retracted"
        assert notice(page.text) == "Retracted."
        assert f'action="/reports/{retracted}/retract"' not in page.text
    assert bastion.reporting.store.get(retracted).status is ReportStatus.RETRACTED
    with signed_in(url, "ada") as ada:
        every = ada.get("/reports")
        assert every.status_code == 200
        assert report_ids(every.text) == [retracted, queued, *reversed(drafts)]
        only = ada.get("/reports", params={"status": "draft"})
        assert report_ids(only.text) == list(reversed(drafts))
        assert '<option value="draft" selected>' in only.text
        assert report_ids(ada.get("/reports?status=queued").text) == [queued]
        none = ada.get("/reports?status=finished")
        assert report_ids(none.text) == []
        assert "No reports finished." in none.text
        unknown = ada.get("/reports?status=bogus")  # unknown: every report, said so
        assert report_ids(unknown.text) == report_ids(every.text)
        assert "selected>" not in unknown.text.split('id="status"', 1)[1].split("</select>")[0]
        assert 'href="/reporting"' not in every.text  # the profile is for admins
    with signed_in(url, "cy") as analyst:  # reports name people: only those who report read
        assert analyst.get("/reports").status_code == 403
    with signed_in(url, "al") as admin:
        assert 'href="/reporting"' in admin.get("/reports").text


def test_the_reports_list_pages_back_fifty_at_a_time(url: str, bastion: Bastion) -> None:
    incident = Incident(IncidentType.ONLINE_ENTICEMENT, datetime.now(UTC), text="excerpts")
    made = [
        bastion.reporting.store.create(NewReport("cybertipline", incident), "test").id
        for _ in range(53)
    ]
    with signed_in(url, "ada") as ada:
        first = ada.get("/reports?status=draft")
        assert report_ids(first.text) == list(reversed(made))[:50]
        (link,) = re.findall(r'<a href="(/reports\?[^"]+)">Next page</a>', first.text)
        second = ada.get(unescape(link))
        assert unescape(link) == f"/reports?status=draft&before={made[3]}"
        assert report_ids(second.text) == [made[2], made[1], made[0]]
        assert "Next page" not in second.text


# The profile ---------------------------------------------------------------------------------


def test_an_admin_sets_the_profile_and_credentials_and_the_password_is_never_shown(
    url: str, bastion: Bastion, fake_cybertipline: FakeCyberTipline
) -> None:
    bastion.store.create_bank("reported", actor="test")
    with signed_in(url, "al") as admin:
        page = admin.get("/reporting")
        assert page.status_code == 200
        assert heading(page.text) == "Reporting profile"
        assert 'value="reports@example.org"' in page.text
        assert "Stored, encrypted." in page.text
        form = {
            "csrf": csrf_of(page.text), "environment": "test",
            "reporter_first_name": "Ada", "reporter_last_name": "Byron",
            "reporter_email": "safety@example.org", "reporter_phone": "+1 555 0100",
            "platform": "Example Forum", "legal_url": "https://forum.example/legal",
            "approval_required": "true", "report_bank": "reported", "info_webhook_url": "",
        }  # fmt: skip
        saved = admin.post("/reporting", data=form)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/reporting?done=saved"
        page = admin.get(saved.headers["location"])
        assert notice(page.text) == "Saved."
        profile = bastion.reporting.profile()
        assert (profile.reporter_first_name, profile.reporter_email, profile.legal_url) == (
            "Ada", "safety@example.org", "https://forum.example/legal",
        )  # fmt: skip
        assert (profile.approval_required, profile.report_bank) == (True, "reported")
        assert re.search(r'name="approval_required" value="true" checked', page.text)
        assert '<option value="reported" selected>' in page.text
        assert audited(bastion, "reporting.profile")[-1] == "user:al reporting"

        wrong = admin.post("/reporting", data={**form, "reporter_email": "not an email"})
        assert wrong.status_code == 400
        assert alerts(wrong.text) == ["reporter_email 'not an email' is not an email address"]
        assert bastion.reporting.profile() == profile

        stored = admin.post(
            "/reporting/credentials",
            data={"csrf": csrf_of(page.text), "username": f" {ESP_USERNAME} ",
                  "password": ESP_PASSWORD},
        )  # fmt: skip
        assert stored.status_code == 303, stored.text  # a reload never sends it again
        assert stored.headers["location"] == "/reporting?done=credentials"
        page = admin.get(stored.headers["location"])
        assert notice(page.text) == "Credentials stored, encrypted."
        assert notice(admin.get("/reporting?done=%3Cb%3E").text) is None
        credentials = bastion.reporting.profiles.credentials()
        assert (credentials.username, credentials.password) == (ESP_USERNAME, ESP_PASSWORD)
        empty = admin.post(
            "/reporting/credentials",
            data={"csrf": csrf_of(page.text), "username": "x", "password": ""},
        )
        assert empty.status_code == 400
        assert alerts(empty.text) == ["both a username and a password are needed"]
        for shown in (stored, page, empty, admin.get("/reporting")):
            assert ESP_PASSWORD not in shown.text
            assert ESP_USERNAME not in shown.text  # not echoed either
    assert audited(bastion, "reporting.credentials") == ["test reporting", "user:al reporting"]
    # The next report goes with them.
    report_id = reported(bastion)
    bastion.reporting.request(report_id, "user:ada")
    bastion.reporting.approve(report_id, "user:di")
    assert bastion.reporting.send_due("worker-1") == 1
    assert bastion.reporting.store.get(report_id).status is ReportStatus.FINISHED
    assert {c.username for c in fake_cybertipline.calls if c.step == "submit"} == {ESP_USERNAME}


# Who may do what -----------------------------------------------------------------------------


def test_a_reviewer_and_an_analyst_neither_read_nor_change_reports(
    url: str, bastion: Bastion
) -> None:
    report_id = reported(bastion)
    (file,) = bastion.reporting.store.get(report_id).files
    before = bastion.reporting.store.get(report_id)
    with signed_in(url, "bo") as reviewer:
        # Reports name the people reported: a reviewer decides jobs but reads no report.
        page = reviewer.get(f"/reports/{report_id}")
        assert page.status_code == 403
        assert heading(page.text) == "Not allowed"
        assert "Reports</a>" not in reviewer.get("/queues").text  # nor is it offered
        csrf = csrf_of(reviewer.get("/queues").text)  # the sign-out form's
        for path, form in (
            (f"/reports/{report_id}/incident", {"incident_type": "csam", "description": "x"}),
            (f"/reports/{report_id}/files/{file.id}", {"classification": "A1"}),
            (f"/reports/{report_id}/files/{file.id}", {"remove": "true"}),
            (f"/reports/{report_id}/send", {}),
            (f"/reports/{report_id}/retract", {}),
            (f"/reports/{report_id}/approve", {}),
        ):
            refused = reviewer.post(path, data={"csrf": csrf, **form})
            assert refused.status_code == 403, path
            assert heading(refused.text) == "Not allowed"
        assert reviewer.get("/reporting").status_code == 403
    assert bastion.reporting.store.get(report_id) == before
    assert audited(bastion, "console.refused") == [f"user:bo report:{report_id}"] * 7 + [
        "user:bo reporting"
    ]
    with signed_in(url, "cy") as analyst:
        assert analyst.get(f"/reports/{report_id}").status_code == 403
        refused = analyst.get("/reporting")
        assert refused.status_code == 403
        assert alerts(refused.text) == ["the analyst role may not manage reporting"]
        csrf = csrf_of(analyst.get("/queues").text)
        posted = analyst.post("/reporting", data={"csrf": csrf, "reporter_email": "x@y.org"})
        assert posted.status_code == 403
        credentials = analyst.post(
            "/reporting/credentials", data={"csrf": csrf, "username": "u", "password": "p"}
        )
        assert credentials.status_code == 403
    assert bastion.reporting.profile().reporter_email == "reports@example.org"
    assert bastion.reporting.profiles.credentials().username == "esp"
    assert audited(bastion, "console.refused")[-3:] == ["user:cy reporting"] * 3


def test_an_unknown_report_is_a_not_found_page(url: str, bastion: Bastion) -> None:
    with signed_in(url, "ada") as ada:
        for path in ("/reports/424242", f"/reports/{2**63 - 1}", f"/reports/{2**70}"):
            missing = ada.get(path)
            assert missing.status_code == 404, path
            assert heading(missing.text) == "Not found"
        csrf = csrf_of(ada.get("/reports").text)
        sent = ada.post("/reports/424242/send", data={"csrf": csrf})
        assert sent.status_code == 404
        assert alerts(sent.text) == ["no report 424242"]
    with httpx.Client(base_url=url) as anonymous:
        answer = anonymous.get("/reports/1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/?next=%2Freports%2F1"


def test_notices_are_fixed_texts_chosen_by_name(url: str, bastion: Bastion) -> None:
    report_id = reported(bastion)
    with signed_in(url, "ada") as ada:
        for done, text in (
            ("saved", "Saved."),
            ("removed", "The file is left out of the report (it stays in the evidence vault)."),
            ("retracted", "Retracted."),
        ):
            assert notice(ada.get(f"/reports/{report_id}?done={done}").text) == text
        for done in ("<script>alert(1)</script>", "Saved.", "nonsense", ""):
            page = ada.get(f"/reports/{report_id}", params={"done": done})
            assert page.status_code == 200
            assert notice(page.text) is None
            assert "<script>alert" not in page.text
            assert "alert(1)" not in page.text


def test_a_case_lists_its_reports_and_ids_past_64_bits_are_not_found(
    url: str, bastion: Bastion
) -> None:
    report_id = reported(bastion)
    case_id = bastion.reporting.store.get(report_id).case_id
    with signed_in(url, "ada") as ada:
        case = ada.get(f"/cases/{case_id}")
        assert f'<a href="/reports/{report_id}">Report {report_id}</a>: draft' in case.text
        for path in (f"/jobs/{2**70}", f"/cases/{2**70}", f"/jobs/{2**63}/preview"):
            assert ada.get(path).status_code == 404, path
    with signed_in(url, "bo") as reviewer:  # reports name people: not shown to a reviewer
        assert "/reports/" not in reviewer.get(f"/cases/{case_id}").text
