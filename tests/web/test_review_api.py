"""The review routes over real HTTP, on SQLite and PostgreSQL: submitting content with its
context, queues, jobs claimed on a lease by keys that race for them, decisions, comments and
cases; and who may call them (scope `review`, never a key limited to some banks)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from bastion.actions import ActionStore
from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.store import Database
from tests.review.at_once import at_once
from tests.web.conftest import running_server


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


KNOWN = jpeg(1)

#: Every review route, with a body that would do (ids name nothing yet).
REVIEW_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/review/queues", None),
    ("POST", "/api/v1/review/queues", {"name": "q2"}),
    ("GET", "/api/v1/review/jobs", None),
    ("GET", "/api/v1/review/jobs/1", None),
    ("POST", "/api/v1/review/jobs/1/claim", {}),
    ("POST", "/api/v1/review/next", None),
    ("POST", "/api/v1/review/jobs/1/release", None),
    ("POST", "/api/v1/review/jobs/1/decision", {"decision": "confirmed"}),
    ("POST", "/api/v1/review/jobs/1/comments", {"body": "hm"}),
    ("GET", "/api/v1/review/cases/1", None),
]


@pytest.fixture
def keys(db: Database) -> Callable[..., str]:
    """A key of `name` with `scopes` (and `banks`), as its secret."""
    store = ApiKeyStore(db)

    def make(name: str, *scopes: Scope, banks: dict[str, list[str]] | None = None) -> str:
        return store.create(name, list(scopes), banks=banks).secret

    return make


@pytest.fixture
def client(base_url: str) -> Iterator[Callable[[str], httpx.Client]]:
    opened: list[httpx.Client] = []

    def make(secret: str) -> httpx.Client:
        made = httpx.Client(base_url=base_url, headers={"X-API-Key": secret}, timeout=60)
        opened.append(made)
        return made

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def known(db: Database, settings: Settings) -> int:
    """Bank "known" holding `KNOWN`, whose matches open review jobs; its entry's id."""
    bastion = Bastion(settings)
    try:
        BankStore(db).create_bank("known")
        entry_id = bastion.add_to_bank("known", KNOWN, "known.jpg")
    finally:
        bastion.close()
    ActionStore(db, settings.credential_box()).add_review("known")
    return entry_id


def submit(api: httpx.Client, data: bytes | None = None, **fields: Any) -> httpx.Response:
    form = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in fields.items()}
    files = None if data is None else {"file": ("upload.jpg", data, "image/jpeg")}
    return api.post("/api/v1/content", data=form, files=files)


def test_who_may_call_the_review_routes(
    keys: Callable[..., str], client: Callable[[str], httpx.Client], base_url: str
) -> None:
    match_only = client(keys("uploads", Scope.MATCH))
    reviewer = client(keys("alice", Scope.REVIEW))
    limited = client(keys("limited", Scope.REVIEW, Scope.MATCH, banks={"known": ["read"]}))
    limited_admin = client(keys("limited-admin", Scope.ADMIN, banks={"known": ["read"]}))
    for method, path, body in REVIEW_ROUTES:
        with httpx.Client(base_url=base_url) as anonymous:
            assert anonymous.request(method, path, json=body).status_code == 401, path
        refused = match_only.request(method, path, json=body)
        assert refused.status_code == 403, path
        needed = "admin" if (method, path) == ("POST", "/api/v1/review/queues") else "review"
        assert refused.json()["detail"] == f"this API key lacks the '{needed}' scope"
        for bank_limited in (limited, limited_admin) if needed == "review" else (limited_admin,):
            denied = bank_limited.request(method, path, json=body)
            assert denied.status_code == 403, path
            assert denied.json()["detail"].startswith(
                "a key limited to some banks cannot use this route"
            )
    assert reviewer.get("/api/v1/review/queues").status_code == 200
    assert reviewer.post("/api/v1/review/queues", json={"name": "q2"}).status_code == 403
    report = {"report": {"reason": "spam"}}
    assert submit(reviewer, **report).status_code == 403  # submitting needs `match`
    assert submit(limited, **report).status_code == 403  # and every bank
    assert submit(match_only, **report).status_code == 201


def test_content_submitted_opens_jobs_that_a_key_claims_and_decides(
    known: int, keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    platform = client(keys("uploads", Scope.MATCH))
    alice = client(keys("alice", Scope.REVIEW))
    matched = submit(
        platform,
        KNOWN,
        content_id="post-1",
        user_id="u1",
        surface="chat",
        url="https://example.com/p/1",
        posted_at="2026-11-30T18:02:00+01:00",
        context={"thread": "t-9", "followers": 12},
    )
    assert matched.status_code == 201, matched.text
    body = matched.json()
    content = body["content"]
    assert (content["content_id"], content["user_id"], content["surface"]) == (
        "post-1",
        "u1",
        "chat",
    )
    assert content["posted_at"] == "2026-11-30T17:02:00Z"
    assert content["context"] == {"thread": "t-9", "followers": 12}
    assert content["media_kept"] is True  # it matched: a report would send it
    assert content["media_type"] == "image/jpeg"
    assert {s["type"] for s in content["signals"]} == {"pdq", "md5", "sha256"}
    assert {(m["bank"], m["entry_id"]) for m in body["matches"]} == {("known", known)}
    assert body["queued"] == 1
    [match_job] = body["jobs"]
    assert (match_job["kind"], match_job["bank"], match_job["status"]) == (
        "match",
        "known",
        "open",
    )

    reported = submit(
        platform,
        content_id="post-2",
        user_id="u1",
        report={"reason": "harassment", "reporter_id": "u7", "text": "please look"},
        priority=95,  # above a match's very_high (90)
    )
    assert reported.status_code == 201, reported.text
    [report_job] = reported.json()["jobs"]
    assert reported.json()["matches"] == []
    assert (report_job["kind"], report_job["priority"]) == ("user_report", 95)
    assert report_job["case_id"] == match_job["case_id"]
    assert report_job["evidence"]["report"]["reporter_id"] == "u7"

    [queue] = alice.get("/api/v1/review/queues").json()
    assert (queue["name"], queue["open"], queue["claimed"], queue["overdue"]) == (
        "default",
        2,
        0,
        0,
    )
    listed = alice.get("/api/v1/review/jobs").json()
    assert [j["id"] for j in listed["jobs"]] == [report_job["id"], match_job["id"]]  # urgent first
    assert listed["next_after"] is None
    first_page = alice.get("/api/v1/review/jobs", params={"limit": 1}).json()
    assert [j["id"] for j in first_page["jobs"]] == [report_job["id"]]
    second_page = alice.get(
        "/api/v1/review/jobs", params={"limit": 1, "after": first_page["next_after"]}
    ).json()
    assert [j["id"] for j in second_page["jobs"]] == [match_job["id"]]
    kinds = alice.get("/api/v1/review/jobs", params={"kind": "match"}).json()["jobs"]
    assert [j["id"] for j in kinds] == [match_job["id"]]
    assert alice.get("/api/v1/review/jobs", params={"status": "decided"}).json()["jobs"] == []
    assert alice.get("/api/v1/review/jobs", params={"queue": "nope"}).status_code == 404

    claimed = alice.post(f"/api/v1/review/jobs/{match_job['id']}/claim", json={})
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by"] == "key:alice"
    commented = alice.post(
        f"/api/v1/review/jobs/{match_job['id']}/comments", json={"body": "same user as #2"}
    )
    assert commented.status_code == 201
    assert commented.json()["author"] == "key:alice"

    detail = alice.get(f"/api/v1/review/jobs/{match_job['id']}").json()
    assert [c["body"] for c in detail["comments"]] == ["same user as #2"]
    assert detail["case"]["subject"] == "user:u1"
    assert detail["case"]["other_jobs"] == [
        {
            "id": report_job["id"],
            "kind": "user_report",
            "status": "open",
            "queue": "default",
            "decision": None,
        }
    ]
    assert detail["content"]["context"] == {"thread": "t-9", "followers": 12}
    assert detail["evidence"]["bank"] == "known"
    assert len(json.dumps(detail)) < 8000  # hashes and context, never the media itself

    decided = alice.post(
        f"/api/v1/review/jobs/{match_job['id']}/decision",
        json={"decision": "confirmed", "classification": "A1", "note": "as the entry"},
    )
    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert (outcome["entry_id"], outcome["feedback"], outcome["webhooks"]) == (None, 0, 0)
    [job] = outcome["jobs"]
    assert (job["decision"], job["classification"], job["decided_by"], job["claimed_by"]) == (
        "confirmed",
        "A1",
        "key:alice",
        None,
    )
    twice = alice.post(
        f"/api/v1/review/jobs/{match_job['id']}/decision", json={"decision": "false_positive"}
    )
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/conflict"
    assert "already decided" in twice.json()["detail"]

    case = alice.get(f"/api/v1/review/cases/{match_job['case_id']}").json()
    assert case["status"] == "open"  # the report is still open
    assert [(j["id"], j["status"]) for j in case["jobs"]] == [
        (match_job["id"], "decided"),
        (report_job["id"], "open"),
    ]
    alice.post(f"/api/v1/review/jobs/{report_job['id']}/decision", json={"decision": "escalated"})
    # An escalation goes on, in the same case, to the escalations queue.
    still = alice.get(f"/api/v1/review/cases/{match_job['case_id']}").json()
    assert still["status"] == "open"
    escalated = still["jobs"][-1]
    assert (escalated["kind"], escalated["status"]) == ("escalation", "open")
    alice.post(f"/api/v1/review/jobs/{escalated['id']}/decision", json={"decision": "confirmed"})
    closed = alice.get(f"/api/v1/review/cases/{match_job['case_id']}").json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    done = alice.get("/api/v1/review/jobs", params={"status": "decided"}).json()["jobs"]
    assert [j["id"] for j in done] == [escalated["id"], report_job["id"], match_job["id"]]
    assert len(alice.get("/api/v1/review/jobs", params={"status": "all"}).json()["jobs"]) == 3


def test_two_keys_claiming_at_once_one_wins_and_the_other_gets_409(
    keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    platform = client(keys("uploads", Scope.MATCH))
    reviewers = {
        "alice": client(keys("alice", Scope.REVIEW)),
        "bob": client(keys("bob", Scope.REVIEW)),
    }
    ids = [
        submit(platform, user_id=f"u{i}", escalate="true").json()["jobs"][0]["id"] for i in range(5)
    ]
    for job_id in ids:

        def claim(name: str, job_id: int = job_id) -> int:
            lease = {"lease_seconds": 60}
            return (
                reviewers[name].post(f"/api/v1/review/jobs/{job_id}/claim", json=lease).status_code
            )

        answers = at_once(claim, reviewers)
        assert sorted(answers.values()) == [200, 409], answers
        winner = next(n for n, status in answers.items() if status == 200)
        loser = next(n for n in reviewers if n != winner)
        held = reviewers[loser].get(f"/api/v1/review/jobs/{job_id}").json()
        assert held["claimed_by"] == f"key:{winner}"
        refused = reviewers[loser].post(
            f"/api/v1/review/jobs/{job_id}/decision", json={"decision": "confirmed"}
        )
        assert refused.status_code == 409
        assert f"held by key:{winner}" in refused.json()["detail"]
        released = reviewers[winner].post(f"/api/v1/review/jobs/{job_id}/release")
        assert released.json()["claimed_by"] is None


def test_keys_taking_the_next_job_at_once_never_share_one(
    keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    platform = client(keys("uploads", Scope.MATCH))
    for i in range(6):
        assert submit(platform, user_id=f"u{i}", escalate="true").status_code == 201
    names = ("alice", "bob", "carol")
    reviewers = {n: client(keys(n, Scope.REVIEW)) for n in names}

    def work(name: str) -> list[int]:
        api = reviewers[name]
        taken: list[int] = []
        while (answer := api.post("/api/v1/review/next")).status_code == 200:
            job_id = answer.json()["id"]
            taken.append(job_id)
            decided = api.post(
                f"/api/v1/review/jobs/{job_id}/decision", json={"decision": "false_positive"}
            )
            assert decided.status_code == 200
        assert (answer.status_code, answer.content) == (204, b"")
        return taken

    taken = at_once(work, names)
    every = [i for ids in taken.values() for i in ids]
    assert len(every) == len(set(every)) == 6
    decided = reviewers["alice"].get("/api/v1/review/jobs", params={"status": "decided"})
    assert {j["id"]: j["decided_by"] for j in decided.json()["jobs"]} == {
        i: f"key:{n}" for n, ids in taken.items() for i in ids
    }


def test_a_lease_is_asked_for_and_capped(
    keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    platform = client(keys("uploads", Scope.MATCH))
    alice = client(keys("alice", Scope.REVIEW))
    job_id = submit(platform, escalate="true").json()["jobs"][0]["id"]
    too_long = alice.post(f"/api/v1/review/jobs/{job_id}/claim", json={"lease_seconds": 3601})
    assert too_long.status_code == 422
    assert "lease_seconds" in too_long.json()["detail"]
    short = alice.post(f"/api/v1/review/jobs/{job_id}/claim", json={"lease_seconds": 30}).json()
    default = alice.post(f"/api/v1/review/jobs/{job_id}/claim").json()  # renews: 600 s
    lease = datetime.fromisoformat(default["claimed_until"]) - datetime.fromisoformat(
        short["claimed_until"]
    )
    assert lease >= timedelta(seconds=570)  # 600 s from a moment after 30 s from an earlier
    assert alice.post("/api/v1/review/jobs/999999/claim").status_code == 404
    assert alice.get("/api/v1/review/cases/999999").status_code == 404


def test_submissions_are_checked_field_by_field(
    known: int, keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    platform = client(keys("uploads", Scope.MATCH))
    cases: list[tuple[dict[str, Any], bytes | None, str]] = [
        ({}, None, "file: send the media, a report or escalate=true"),
        ({"posted_at": "yesterday", "escalate": "true"}, None, "posted_at: not an ISO 8601"),
        ({"posted_at": "2026-11-30T18:02:00", "escalate": "true"}, None, "posted_at: give the"),
        ({"context": "{not json", "escalate": "true"}, None, "context: not valid JSON"),
        ({"context": "[1, 2]", "escalate": "true"}, None, "context: expected a JSON object"),
        ({"report": "{}"}, None, "report.reason:"),
        ({"report": {"reason": "x", "photo": "..."}}, None, "report: unknown field 'photo'"),
        ({"report": {"reason": 3}}, None, "report.reason: expected text"),
        ({"report": {"reason": "x"}, "escalate": "true"}, None, "escalate: a submission is"),
        ({"queue": "urgent"}, KNOWN, "queue: only a report or an escalation"),
        ({"user_id": "u" * 300, "escalate": "true"}, None, "user_id: at most 255"),
        ({"escalate": "true", "queue": "nope"}, None, "no queue named 'nope'"),
    ]
    for fields, data, detail in cases:
        refused = submit(platform, data, **fields)
        assert refused.status_code in (400, 404), (fields, refused.text)
        assert refused.json()["detail"].startswith(detail), (fields, refused.json()["detail"])
    # Nothing was recorded by a refused submission, nor anything opened.
    admin = client(keys("admin", Scope.ADMIN))
    assert admin.get("/api/v1/review/jobs", params={"status": "all"}).json()["jobs"] == []


def test_queues_and_the_reviewers_they_name(
    keys: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    admin = client(keys("admin", Scope.ADMIN))
    platform = client(keys("uploads", Scope.MATCH))
    alice = client(keys("alice", Scope.REVIEW))
    bob = client(keys("bob", Scope.REVIEW))
    created = admin.post(
        "/api/v1/review/queues",
        json={
            "name": "child-safety",
            "description": "trained reviewers only",
            "sla_minutes": 60,
            "reviewers": ["key:alice"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "child-safety",
        "description": "trained reviewers only",
        "child_safety": True,
        "sla_minutes": 60,
        "reviewers": ["key:alice"],
    }
    assert admin.post("/api/v1/review/queues", json={"name": "child-safety"}).status_code == 409
    assert admin.post("/api/v1/review/queues", json={"name": "a b"}).status_code == 422
    escalated = submit(platform, user_id="u1", escalate="true", queue="child-safety", priority=70)
    [job] = escalated.json()["jobs"]
    assert (job["queue"], job["priority"]) == ("child-safety", 70)

    counts = {q["name"]: q for q in bob.get("/api/v1/review/queues").json()}
    assert counts["child-safety"]["open"] == 1
    assert bob.get(f"/api/v1/review/jobs/{job['id']}").status_code == 200  # reading is open
    for refused in (
        bob.post(f"/api/v1/review/jobs/{job['id']}/claim"),
        bob.post("/api/v1/review/next", params={"queue": "child-safety"}),
        bob.post(f"/api/v1/review/jobs/{job['id']}/decision", json={"decision": "confirmed"}),
        bob.post(f"/api/v1/review/jobs/{job['id']}/comments", json={"body": "mine?"}),
    ):
        assert refused.status_code == 403
        assert "worked only by its named reviewers" in refused.json()["detail"]
    assert bob.post("/api/v1/review/next").status_code == 204  # the default queue is empty
    taken = alice.post("/api/v1/review/next", params={"queue": "child-safety"})
    assert taken.json()["id"] == job["id"]
    assert alice.post("/api/v1/review/next", params={"queue": "nope"}).status_code == 404


def test_adding_to_a_bank_on_a_decision_needs_the_curate_scope_too(
    known: int, keys: Callable[..., str], client: Callable[[str], httpx.Client], db: Database
) -> None:
    BankStore(db).create_bank("confirmed")
    platform = client(keys("uploads", Scope.MATCH))
    reviewer = client(keys("alice", Scope.REVIEW))
    curator = client(keys("lead", Scope.REVIEW, Scope.CURATE))
    submitted = submit(platform, jpeg(1, (600, 450)), user_id="u1").json()
    [job] = submitted["jobs"]
    asked = {"decision": "confirmed", "add_to_bank": "confirmed"}
    refused = reviewer.post(f"/api/v1/review/jobs/{job['id']}/decision", json=asked)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "adding to a bank needs the 'curate' scope too"
    assert reviewer.get(f"/api/v1/review/jobs/{job['id']}").json()["status"] == "open"
    decided = curator.post(f"/api/v1/review/jobs/{job['id']}/decision", json=asked)
    assert decided.status_code == 200, decided.text
    entry_id = decided.json()["entry_id"]
    entry = curator.get(f"/api/v1/entries/{entry_id}").json()
    assert entry["bank"] == "confirmed"
    assert entry["added_by"] == "key:lead"
    assert {(s["type"], s["value"]) for s in entry["signals"]} == {
        (s["type"], s["value"]) for s in submitted["content"]["signals"]
    }


def test_roles_put_submitting_with_matching_and_the_desk_with_the_ui(
    settings: Settings, keys: Callable[..., str]
) -> None:
    headers = {"X-API-Key": keys("admin", Scope.ADMIN)}
    form = {"escalate": "true"}
    with (
        running_server(settings, roles=["match"]) as url,
        httpx.Client(base_url=url, headers=headers) as api,
    ):
        assert api.post("/api/v1/content", data=form).status_code == 201
        assert api.get("/api/v1/review/jobs").status_code == 404
    with (
        running_server(settings, roles=["ui"]) as url,
        httpx.Client(base_url=url, headers=headers) as api,
    ):
        assert api.post("/api/v1/content", data=form).status_code == 404
        [job] = api.get("/api/v1/review/jobs").json()["jobs"]
        assert job["kind"] == "escalation"
