"""The report routes over real HTTP, on SQLite and PostgreSQL, with reports going to the fake
CyberTipline: reading, editing, sending and retracting reports (scope `report`), opening a draft
from decided jobs, the organisation's profile and credentials (scope `admin`), and who may call
what. The service runs without the worker role: the test's own `send_due` is the worker, so a
report asked for over HTTP is seen queued before it is sent. Every body answered is checked
against what the store holds; none carries the CyberTipline password."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from bastion.auth import ApiKeyStore, Scope
from bastion.pipeline import Bastion
from bastion.reporting.model import Report, ReportStatus
from bastion.review import ContentSubmission, Decision, JobKind
from bastion.settings import Settings
from bastion.store import Database
from tests.reporting.conftest import cybertipline_xsd as cybertipline_xsd  # a fixture, by name
from tests.reporting.conftest import fake_cybertipline as fake_cybertipline  # a fixture
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.reporting.flow import USER_CONTEXT, jpeg, report_matches, service
from tests.web.conftest import running_server

#: The CyberTipline account the admin stores over HTTP (the fake knows it).
USERNAME = "esp-from-the-api"
PASSWORD = "a-password-no-answer-may-carry-9f3b"

#: Every report route, with a body that would do (ids name nothing yet), and its scope.
ROUTES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/api/v1/reports", None, "report"),
    ("POST", "/api/v1/reports", {"jobs": [1]}, "report"),
    ("GET", "/api/v1/reports/1", None, "report"),
    ("PATCH", "/api/v1/reports/1", {"incident": {"description": "x"}}, "report"),
    ("PATCH", "/api/v1/reports/1/files/1", {"viewed_by_esp": True}, "report"),
    ("DELETE", "/api/v1/reports/1/files/1", None, "report"),
    ("POST", "/api/v1/reports/1/send", None, "report"),
    ("POST", "/api/v1/reports/1/retract", None, "report"),
    ("GET", "/api/v1/reporting/profile", None, "admin"),
    ("PATCH", "/api/v1/reporting/profile", {"platform": "x"}, "admin"),
    ("PUT", "/api/v1/reporting/credentials", {"username": "u", "password": "p"}, "admin"),
]


@pytest.fixture
def bastion(settings: Settings, fake_cybertipline: FakeCyberTipline) -> Iterator[Bastion]:
    """The worker's side: reports go to the fake; a bank of known pictures; the profile set."""
    fake_cybertipline.add_account(USERNAME, PASSWORD)
    built = service(settings, fake_cybertipline)
    yield built
    built.close()


@pytest.fixture
def base_url(
    settings: Settings, fake_cybertipline: FakeCyberTipline, bastion: Bastion
) -> Iterator[str]:
    """The service's UI role alone: no worker sends reports behind the test's back."""
    with running_server(
        settings.with_overrides(cybertipline_url=fake_cybertipline.url), roles=["ui"]
    ) as url:
        yield url


@pytest.fixture
def answers() -> list[httpx.Response]:
    """Every response any client of the test received, read whole."""
    return []


@pytest.fixture
def client(
    db: Database, base_url: str, answers: list[httpx.Response]
) -> Iterator[Callable[..., httpx.Client]]:
    """A client with a new key named `name`, of `scopes` (and `banks`); `None`: no key."""
    keys = ApiKeyStore(db)
    opened: list[httpx.Client] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        answers.append(response)

    def make(
        name: str | None, *scopes: Scope, banks: dict[str, list[str]] | None = None
    ) -> httpx.Client:
        headers = {}
        if name is not None:
            headers["X-API-Key"] = keys.create(name, list(scopes), banks=banks).secret
        made = httpx.Client(
            base_url=base_url, headers=headers, timeout=60, event_hooks={"response": [keep]}
        )
        opened.append(made)
        return made

    yield make
    for c in opened:
        c.close()


# What the store holds, as the API should show it ------------------------------------------


def when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def same_instant(shown: str | None, held: datetime | None) -> bool:
    if shown is None or held is None:
        return shown is None and held is None
    parsed = datetime.fromisoformat(shown)
    if held.tzinfo is None or parsed.tzinfo is None:  # compare wall clocks in UTC
        return parsed.replace(tzinfo=None) == held.replace(tzinfo=None)
    return parsed == held


def matches_store(body: dict[str, Any], report: Report) -> None:
    """`body` (a report as the API answers it) says what the store holds of `report`."""
    incident = report.incident
    assert (body["id"], body["destination"], body["status"]) == (
        report.id, report.sink, report.status.value,
    )  # fmt: skip
    assert (body["case_id"], body["job_ids"]) == (report.case_id, list(report.job_ids))
    shown = body["incident"]
    assert shown["type"] == incident.type.short
    assert same_instant(shown["at"], incident.at)
    assert (shown["description"], shown["text"], shown["url"], shown["chat_name"]) == (
        incident.description, incident.text, incident.url, incident.chat_name,
    )  # fmt: skip
    assert (shown["escalate"], shown["annotations"]) == (
        incident.escalate, list(incident.annotations),
    )  # fmt: skip
    assert body["reporter_email"] == (None if report.reporter is None else report.reporter.email)
    if report.person is None:
        assert body["person"] is None
    else:
        person = body["person"]
        held = report.person
        assert (person["user_id"], person["screen_name"], person["emails"]) == (
            held.user_id, held.screen_name, list(held.emails),
        )  # fmt: skip
        assert [(c["ip"], c["event"]) for c in person["ip_captures"]] == [
            (c.ip, c.event.value) for c in held.ip_captures
        ]
        assert all(
            same_instant(c["at"], h.at)
            for c, h in zip(person["ip_captures"], held.ip_captures, strict=True)
        )
    assert len(body["files"]) == len(report.files)
    for shown_file, file in zip(body["files"], report.files, strict=True):
        assert shown_file == {
            "id": file.id,
            "file_name": file.file_name,
            "content_id": file.content_id,
            "classification": None if file.classification is None else file.classification.value,
            "viewed_by_esp": file.viewed_by_esp,
            "exif_viewed_by_esp": file.exif_viewed_by_esp,
            "publicly_available": file.publicly_available,
            "original_hashes": file.original_hashes,
            "uploaded_at": shown_file["uploaded_at"],
            "location": file.location,
            "ip_capture": shown_file["ip_capture"],
            "state": file.state.value,
            "remote_id": file.remote_id,
            "remote_md5": file.remote_md5,
        }
        assert same_instant(shown_file["uploaded_at"], file.uploaded_at)
        assert (shown_file["ip_capture"] is None) == (file.ip_capture is None)
    assert (body["remote_id"], body["error"], body["attempts"]) == (
        report.remote_id, report.error, report.attempts,
    )  # fmt: skip
    assert (body["created_by"], body["approved_by"]) == (report.created_by, report.approved_by)
    for name in ("next_attempt_at", "created_at", "updated_at", "submitted_at", "finished_at"):
        assert same_instant(body[name], getattr(report, name)), name


def stored(bastion: Bastion, report_id: int) -> Report:
    return bastion.reporting.store.get(report_id)


def problem(answer: httpx.Response, status: int, kind: str) -> str:
    """The problem document's detail, once its status and type are checked."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == f"/problems/{kind}", body
    detail: str = body["detail"]
    return detail


def sends(fake: FakeCyberTipline) -> list[str]:
    """The steps that reached the fake and would change something there."""
    return [c.step for c in fake.calls if c.step not in ("status", "xsd")]


# Who may call -------------------------------------------------------------------------------


def test_who_may_call_the_report_routes(client: Callable[..., httpx.Client]) -> None:
    anonymous = client(None)
    reviewer = client("reviewer", Scope.REVIEW, Scope.MATCH)
    reporter = client("reporter", Scope.REPORT)
    limited = client("limited", Scope.REPORT, banks={"known": ["read"]})
    limited_admin = client("limited-admin", Scope.ADMIN, banks={"known": ["read"]})
    for method, path, body, scope in ROUTES:
        assert anonymous.request(method, path, json=body).status_code == 401, path
        refused = reviewer.request(method, path, json=body)
        assert problem(refused, 403, "forbidden") == f"this API key lacks the '{scope}' scope"
        for bank_limited in (limited, limited_admin) if scope == "report" else (limited_admin,):
            detail = problem(bank_limited.request(method, path, json=body), 403, "forbidden")
            assert detail.startswith("a key limited to some banks cannot use this route"), path
        if scope == "admin":
            detail = problem(reporter.request(method, path, json=body), 403, "forbidden")
            assert detail == "this API key lacks the 'admin' scope"
    assert reporter.get("/api/v1/reports").json() == []


# Reports ------------------------------------------------------------------------------------


def test_a_draft_is_read_edited_sent_and_finished_by_the_worker(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline, client: Callable[..., httpx.Client]
) -> None:
    reported = report_matches(bastion)
    report_id = reported.report.id
    api = client("moderation", Scope.REPORT)

    listed = api.get("/api/v1/reports")
    assert listed.status_code == 200
    (shown,) = listed.json()
    matches_store(shown, stored(bastion, report_id))
    detail = api.get(f"/api/v1/reports/{report_id}").json()
    matches_store(detail, stored(bastion, report_id))
    assert [(e["step"], e["outcome"], e["actor"]) for e in detail["events"]] == [
        (e.step, e.outcome, e.actor) for e in bastion.reporting.store.events(report_id)
    ]
    assert detail["events"][0]["step"] == "draft"
    assert detail["person"]["screen_name"] == "sample-user"
    assert [f["classification"] for f in detail["files"]] == ["B2"] * 3

    # The incident and the person reported.
    edited = api.patch(
        f"/api/v1/reports/{report_id}",
        json={
            "incident": {
                "type": "csam",
                "description": "Three pictures matched bank 'known'.",
                "escalate": "A child may be at risk now.",
                "annotations": ["sextortion", "spam"],
            },
            "person": {
                "user_id": "u-17",
                "screen_name": "renamed",
                "emails": ["other@example.net"],
                "ip_captures": [
                    {"ip": "192.0.2.9", "event": "Upload", "at": "2026-05-02T08:00:00Z",
                     "port": 443}
                ],
            },
        },
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    held = stored(bastion, report_id)
    matches_store(edited.json(), held)
    assert held.incident.description == "Three pictures matched bank 'known'."
    assert held.incident.escalate == "A child may be at risk now."
    assert held.incident.annotations == ("sextortion", "spam")
    assert held.incident.at == reported.report.incident.at  # left out: unchanged
    assert held.person is not None
    assert (held.person.screen_name, held.person.emails) == ("renamed", ("other@example.net",))
    assert [(c.ip, c.event.value, c.port) for c in held.person.ip_captures] == [
        ("192.0.2.9", "Upload", 443)
    ]
    invalid = api.patch(
        f"/api/v1/reports/{report_id}", json={"incident": {"annotations": ["nonsense"]}}
    )
    problem(invalid, 422, "invalid-request")
    assert stored(bastion, report_id).incident.annotations == ("sextortion", "spam")

    # A file edited, another left out.
    first, second, third = held.files
    changed = api.patch(
        f"/api/v1/reports/{report_id}/files/{first.id}",
        json={"classification": "A1", "viewed_by_esp": True, "publicly_available": True,
              "location": "https://forum.example/p/1"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    held = stored(bastion, report_id)
    matches_store(changed.json(), held)
    file = held.files[0]
    assert (file.classification, file.viewed_by_esp, file.publicly_available, file.location) == (
        "A1", True, True, "https://forum.example/p/1",
    )  # fmt: skip
    removed = api.delete(f"/api/v1/reports/{report_id}/files/{second.id}")
    assert removed.status_code == 200, removed.text
    held = stored(bastion, report_id)
    matches_store(removed.json(), held)
    assert [f.id for f in held.files] == [first.id, third.id]
    assert bastion.vault.open(second.evidence_id) == reported.media[1]  # still in the vault
    gone = api.delete(f"/api/v1/reports/{report_id}/files/{second.id}")
    assert problem(gone, 404, "not-found") == f"report {report_id} has no file {second.id}"
    assert sends(fake_cybertipline) == []

    # Sent: checked, then queued; nothing reaches the fake until the worker sends it.
    queued = api.post(f"/api/v1/reports/{report_id}/send")
    assert queued.status_code == 200, queued.text
    held = stored(bastion, report_id)
    matches_store(queued.json(), held)
    assert held.status is ReportStatus.QUEUED
    assert sends(fake_cybertipline) == []
    for method, path, body in (
        ("PATCH", f"/api/v1/reports/{report_id}", {"incident": {"description": "late"}}),
        ("PATCH", f"/api/v1/reports/{report_id}/files/{first.id}", {"viewed_by_esp": False}),
        ("DELETE", f"/api/v1/reports/{report_id}/files/{first.id}", None),
    ):
        refused = api.request(method, path, json=body)
        assert problem(refused, 409, "conflict") == (
            f"report {report_id} is queued: it can no longer be changed"
        )
    assert problem(api.post(f"/api/v1/reports/{report_id}/send"), 409, "conflict") == (
        f"report {report_id} is queued: it cannot be sent now"
    )
    assert stored(bastion, report_id) == held

    assert bastion.reporting.send_due("worker-1") == 1
    finished = api.get(f"/api/v1/reports/{report_id}")
    held = stored(bastion, report_id)
    assert held.status is ReportStatus.FINISHED, held.error
    matches_store(finished.json(), held)
    (remote,) = fake_cybertipline.reports.values()
    assert (remote.status, remote.id) == ("finished", held.remote_id)
    assert {f.remote_id for f in held.files} == set(remote.files)
    assert sorted(f.md5 for f in remote.files.values()) == sorted(f.remote_md5 for f in held.files)
    assert b"<escalateToHighPriority>A child may be at risk now." in remote.xml
    assert b"<screenName>renamed</screenName>" in remote.xml
    steps = [e["step"] for e in finished.json()["events"]]
    assert steps[-2:] == ["finish", "after"]
    assert {"request", "submit", "upload", "fileinfo"} <= set(steps)
    listed = api.get("/api/v1/reports", params={"status": "finished"}).json()
    assert [r["id"] for r in listed] == [report_id]
    assert api.get("/api/v1/reports", params={"status": "draft"}).json() == []
    late = api.post(f"/api/v1/reports/{report_id}/retract")
    assert problem(late, 409, "conflict") == (
        f"report {report_id} is finished: it cannot be retracted"
    )
    assert problem(api.get("/api/v1/reports/999999"), 404, "not-found") == "no report 999999"


def test_a_draft_opened_from_decided_jobs_and_retracted_at_the_destination(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline, client: Callable[..., httpx.Client]
) -> None:
    api = client("moderation", Scope.REPORT)
    jobs = []
    for number in (1, 2):
        submitted = bastion.review.submit(
            ContentSubmission(platform_id=f"post-{number}", user_id="u-5", context=USER_CONTEXT),
            jpeg(number, (400, 300)),
        )
        [job] = [j for j in submitted.jobs if j.kind is JobKind.MATCH]
        jobs.append(job)
    undecided = api.post("/api/v1/reports", json={"jobs": [jobs[0].id]})
    assert problem(undecided, 400, "validation") == f"job {jobs[0].id} is not decided yet"
    unknown = api.post("/api/v1/reports", json={"jobs": [999999]})
    problem(unknown, 404, "not-found")
    problem(api.post("/api/v1/reports", json={"jobs": []}), 422, "invalid-request")
    for job in jobs:  # confirmed, not reported: no draft opens by itself
        decided = bastion.review.decide(job.id, "user:ada", Decision.CONFIRMED)
        assert decided.report_id is None
    assert bastion.reporting.store.list() == []

    opened = api.post("/api/v1/reports", json={"jobs": [jobs[0].id]})
    assert opened.status_code == 201, opened.text
    report_id = opened.json()["id"]
    held = stored(bastion, report_id)
    matches_store(opened.json(), held)
    assert (held.status, held.job_ids, held.created_by) == (
        ReportStatus.DRAFT, (jobs[0].id,), "key:moderation",
    )  # fmt: skip
    assert len(held.files) == 1
    # The case's open draft gains the second job rather than a second draft opening.
    again = api.post("/api/v1/reports", json={"jobs": [jobs[1].id]})
    assert again.status_code == 201, again.text
    held = stored(bastion, report_id)
    matches_store(again.json(), held)
    assert held.job_ids == (jobs[0].id, jobs[1].id)
    assert len(held.files) == 2
    assert [r.id for r in bastion.reporting.store.list()] == [report_id]

    # Sent, and held up after NCMEC opened it: uploads fail on NCMEC's side for now.
    assert api.post(f"/api/v1/reports/{report_id}/send").json()["status"] == "queued"
    fake_cybertipline.fail("upload", times=10)
    assert bastion.reporting.send_due("worker-1") == 1
    held = stored(bastion, report_id)
    assert held.status is ReportStatus.SUBMITTED
    assert held.error is not None
    assert held.next_attempt_at is not None
    shown = api.get(f"/api/v1/reports/{report_id}").json()
    matches_store(shown, held)
    assert shown["error"] == held.error
    retracted = api.post(f"/api/v1/reports/{report_id}/retract")
    assert retracted.status_code == 200, retracted.text
    held = stored(bastion, report_id)
    matches_store(retracted.json(), held)
    assert held.status is ReportStatus.RETRACTED
    assert fake_cybertipline.report(held.remote_id or "").status == "retracted"
    assert problem(api.post(f"/api/v1/reports/{report_id}/retract"), 409, "conflict") == (
        f"report {report_id} is retracted: it cannot be retracted"
    )
    assert bastion.reporting.send_due("worker-1") == 0  # nothing left to send


def test_an_edit_that_nulls_a_field_or_gives_a_time_without_its_zone_is_refused(
    bastion: Bastion, client: Callable[..., httpx.Client]
) -> None:
    report = report_matches(bastion, (1,)).report
    (file,) = report.files
    api = client("moderation", Scope.REPORT)
    admin = client("admin", Scope.ADMIN)
    profile = bastion.reporting.profile()
    at = f"/api/v1/reports/{report.id}"
    for who, path, body, where in (
        (api, at, {"incident": {"description": None}}, "body.incident.description"),
        (api, at, {"incident": {"type": None}}, "body.incident.type"),
        (api, at, {"incident": {"at": None}}, "body.incident.at"),
        (api, at, {"incident": {"annotations": None}}, "body.incident.annotations"),
        (api, at, {"incident": {"at": "2026-05-01T10:00:00"}}, "body.incident.at"),
        (api, at, {"person": {"ip_captures": [{"ip": "192.0.2.1", "at": "2026-05-01T10:00:00"}]}},
         "body.person.ip_captures.0.at"),
        (api, f"{at}/files/{file.id}", {"viewed_by_esp": None}, "body.viewed_by_esp"),
        (api, f"{at}/files/{file.id}", {"uploaded_at": "2026-05-01T10:00:00"},
         "body.uploaded_at"),
        (admin, "/api/v1/reporting/profile", {"reporter_email": None}, "body.reporter_email"),
        (admin, "/api/v1/reporting/profile", {"approval_required": None},
         "body.approval_required"),
    ):  # fmt: skip
        refused = who.patch(path, json=body)
        assert problem(refused, 422, "invalid-request").startswith(f"{where}: "), body
    assert stored(bastion, report.id) == report
    assert bastion.reporting.profile() == profile
    # What may be emptied is: a file's classification, the person reported.
    emptied = api.patch(f"{at}/files/{file.id}", json={"classification": None})
    assert emptied.json()["files"][0]["classification"] is None
    assert stored(bastion, report.id).files[0].classification is None
    cleared = api.patch(at, json={"person": None})
    assert cleared.json()["person"] is None
    held = stored(bastion, report.id)
    assert held.person is None
    matches_store(cleared.json(), held)
    zoned = api.patch(at, json={"incident": {"at": "2026-05-01T12:00:00+02:00"}})
    assert zoned.status_code == 200, zoned.text
    assert stored(bastion, report.id).incident.at == datetime.fromisoformat("2026-05-01T10:00Z")
    # A description as long as a draft of many items makes is taken; one NCMEC's bounds
    # refuse is not.
    long = "Item matched a known hash in bank 'known'; a reviewer confirmed it. " * 100
    assert len(long) > 4000
    taken = api.patch(at, json={"incident": {"description": long}})
    assert taken.status_code == 200, taken.text
    assert stored(bastion, report.id).incident.description == long
    too_long = api.patch(at, json={"incident": {"description": "x" * 100_001}})
    problem(too_long, 422, "invalid-request")
    assert stored(bastion, report.id).incident.description == long


def test_reports_are_listed_newest_first_by_status_and_case_a_page_at_a_time(
    bastion: Bastion, client: Callable[..., httpx.Client]
) -> None:
    api = client("moderation", Scope.REPORT)
    ids = [report_matches(bastion, (1,), user=f"u-{n}").report.id for n in range(4)]
    bastion.reporting.request(ids[1], "user:ada")
    listed = api.get("/api/v1/reports").json()
    assert [r["id"] for r in listed] == list(reversed(ids))
    for shown in listed:
        matches_store(shown, stored(bastion, shown["id"]))
    first = api.get("/api/v1/reports", params={"limit": 2}).json()
    rest = api.get("/api/v1/reports", params={"limit": 2, "before": first[-1]["id"]}).json()
    assert [r["id"] for r in first + rest] == list(reversed(ids))
    drafts = api.get("/api/v1/reports", params={"status": "draft"}).json()
    assert [r["id"] for r in drafts] == [ids[3], ids[2], ids[0]]
    case = stored(bastion, ids[2]).case_id
    assert [r["id"] for r in api.get(f"/api/v1/reports?case_id={case}").json()] == [ids[2]]
    for query in ("status=bogus", "limit=0", "limit=501", "before=0", f"case_id={2**63}"):
        problem(api.get(f"/api/v1/reports?{query}"), 422, "invalid-request")
    problem(api.get(f"/api/v1/reports/{2**63}"), 422, "invalid-request")


def test_a_report_without_a_reporter_email_is_refused_before_anything_is_sent(
    bastion: Bastion, fake_cybertipline: FakeCyberTipline, client: Callable[..., httpx.Client]
) -> None:
    admin = client("admin", Scope.ADMIN)
    api = client("moderation", Scope.REPORT)
    cleared = admin.patch("/api/v1/reporting/profile", json={"reporter_email": ""})
    assert cleared.status_code == 200, cleared.text
    assert bastion.reporting.profile().reporter_email == ""
    report_id = report_matches(bastion, (1,)).report.id
    assert stored(bastion, report_id).reporter is None
    refused = api.post(f"/api/v1/reports/{report_id}/send")
    assert problem(refused, 400, "report-invalid") == (
        f"report {report_id} cannot go to the CyberTipline: reporter: missing "
        "(the organisation's reporting contact)"
    )
    held = stored(bastion, report_id)
    assert held.status is ReportStatus.DRAFT
    matches_store(api.get(f"/api/v1/reports/{report_id}").json(), held)
    assert bastion.reporting.send_due("worker-1") == 0
    assert sends(fake_cybertipline) == []
    assert fake_cybertipline.reports == {}


# The profile and the credentials --------------------------------------------------------------


def test_an_admin_sets_the_profile_and_credentials_that_are_never_shown(
    bastion: Bastion,
    fake_cybertipline: FakeCyberTipline,
    client: Callable[..., httpx.Client],
    answers: list[httpx.Response],
) -> None:
    admin = client("admin", Scope.ADMIN)
    api = client("moderation", Scope.REPORT)
    shown = admin.get("/api/v1/reporting/profile")
    assert shown.status_code == 200
    profile = bastion.reporting.profile()
    assert shown.json() == {**vars(profile), "credentials_set": True}
    assert shown.json()["reporter_email"] == "reports@example.org"

    changed = admin.patch(
        "/api/v1/reporting/profile",
        json={"platform": "Example Forum (EU)", "reporter_phone": "+1 555 0100",
              "approval_required": False, "report_bank": ""},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    profile = bastion.reporting.profile()
    assert changed.json() == {**vars(profile), "credentials_set": True}
    assert (profile.platform, profile.reporter_phone, profile.report_bank) == (
        "Example Forum (EU)", "+1 555 0100", "",
    )  # fmt: skip
    problem(admin.patch("/api/v1/reporting/profile", json={"report_bank": "nope"}), 404,
            "not-found")  # fmt: skip
    bad_email = admin.patch("/api/v1/reporting/profile", json={"reporter_email": "not an email"})
    problem(bad_email, 400, "validation")
    problem(admin.patch("/api/v1/reporting/profile", json={"environment": "staging"}), 422,
            "invalid-request")  # fmt: skip
    assert bastion.reporting.profile() == profile
    changes = bastion.audit.list(action="reporting.profile")
    assert [e.detail["changed"] for e in changes if e.actor == "key:admin"] == [
        ["approval_required", "platform", "report_bank", "reporter_phone"]
    ]  # the refused changes are not recorded

    stored_ = admin.put(
        "/api/v1/reporting/credentials", json={"username": USERNAME, "password": PASSWORD}
    )
    assert stored_.status_code == 204, stored_.text
    assert stored_.content == b""
    credentials = bastion.reporting.profiles.credentials()
    assert (credentials.username, credentials.password) == (USERNAME, PASSWORD)
    credentials_set = bastion.audit.list(action="reporting.credentials")
    assert [e.actor for e in credentials_set if e.actor.startswith("key:")] == ["key:admin"]
    problem(admin.put("/api/v1/reporting/credentials", json={"username": "x", "password": ""}),
            422, "invalid-request")  # fmt: skip
    assert admin.get("/api/v1/reporting/profile").json()["credentials_set"] is True

    # A password NCMEC refuses: the report fails, saying so, and neither the report, its
    # history nor the profile shows the password.
    wrong = PASSWORD[::-1]
    assert admin.put(
        "/api/v1/reporting/credentials", json={"username": USERNAME, "password": wrong}
    ).status_code == 204  # fmt: skip
    report_id = report_matches(bastion, (1,)).report.id
    assert api.post(f"/api/v1/reports/{report_id}/send").json()["status"] == "queued"
    assert bastion.reporting.send_due("worker-1") == 1
    failed = api.get(f"/api/v1/reports/{report_id}")
    held = stored(bastion, report_id)
    assert held.status is ReportStatus.FAILED
    matches_store(failed.json(), held)
    assert "set the credentials again" in failed.json()["error"]
    assert wrong not in failed.text
    assert wrong not in admin.get("/api/v1/reporting/profile").text

    # Sent again with the right one: the fake saw the new account, and took the report.
    admin.put("/api/v1/reporting/credentials", json={"username": USERNAME, "password": PASSWORD})
    assert api.post(f"/api/v1/reports/{report_id}/send").json()["status"] == "queued"
    assert bastion.reporting.send_due("worker-1") == 1
    assert stored(bastion, report_id).status is ReportStatus.FINISHED
    assert {c.username for c in fake_cybertipline.calls if c.step == "submit"} == {USERNAME}
    matches_store(api.get(f"/api/v1/reports/{report_id}").json(), stored(bastion, report_id))
    api.get("/api/v1/reports")

    # No answer ever carried the password: not a body, not a header.
    assert len(answers) > 10
    for answer in answers:
        for secret in (PASSWORD, wrong):
            assert secret not in answer.text, answer.request.url
            assert secret not in str(answer.headers), answer.request.url
