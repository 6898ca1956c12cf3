"""The review console over HTTP: signing in, sessions and CSRF, who may see, decide and
reveal what (each refusal audited), the blurred preview, the single-use reveal, and
decisions that move to the next job and do things (bank, exception list, webhook)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest
from PIL import Image

from bastion.actions import Outbox
from bastion.pipeline import Bastion
from bastion.review import Decision, JobKind, JobStatus
from bastion.settings import Settings
from tests.web.conftest import running_server
from tests.web.console_helpers import (
    PASSWORD,
    csrf_of,
    jpeg,
    seed,
    signed_in,
    submit_match,
    submit_report,
)


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    made = Bastion(settings)
    seed(made)
    yield made
    made.close()


@pytest.fixture
def url(settings: Settings, bastion: Bastion) -> Iterator[str]:
    with running_server(settings) as base:
        yield base


def audited(bastion: Bastion, action: str) -> list[str]:
    return [f"{e.actor} {e.target}" for e in bastion.audit.list(action=action)]


def test_pages_need_a_session_and_send_the_browser_to_sign_in(url: str) -> None:
    with httpx.Client(base_url=url) as anonymous:
        answer = anonymous.get("/queues/default?status=open")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/?next=%2Fqueues%2Fdefault%3Fstatus%3Dopen"
        assert anonymous.post("/jobs/1/decision", data={"decision": "confirmed"}).status_code == 401
        home = anonymous.get("/")
        assert home.status_code == 200
        assert 'action="/login"' in home.text


def test_sign_in_sets_a_strict_http_only_session_and_refuses_a_wrong_password(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        client.get("/")
        nonce = client.cookies["bastion_login"]
        wrong = client.post("/login", data={"username": "ada", "password": "nope", "nonce": nonce})
        assert wrong.status_code == 401
        assert "bastion_session" not in client.cookies
        nonce = client.cookies["bastion_login"]
        right = client.post(
            "/login", data={"username": "ada", "password": PASSWORD, "nonce": nonce}
        )
        assert right.status_code == 303
        assert right.headers["location"] == "/queues"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert client.get("/queues").status_code == 200


def test_a_session_token_planted_before_sign_in_is_never_signed_in(url: str) -> None:
    planted = "attacker-chosen-token"
    with httpx.Client(base_url=url) as victim:
        victim.get("/")
        nonce = victim.cookies["bastion_login"]
        answer = victim.post(
            "/login",
            data={"username": "ada", "password": PASSWORD, "nonce": nonce},
            headers={"Cookie": f"bastion_login={nonce}; bastion_session={planted}"},
        )
        assert answer.status_code == 303
        given = answer.headers["set-cookie"].split(";", 1)[0]
        assert given.startswith("bastion_session=")
        assert given != f"bastion_session={planted}"
    with httpx.Client(base_url=url, cookies={"bastion_session": planted}) as attacker:
        assert attacker.get("/queues").status_code == 303  # still not signed in


def test_sign_in_without_the_form_nonce_is_refused(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        answer = client.post("/login", data={"username": "ada", "password": PASSWORD})
        assert answer.status_code == 401
        assert "bastion_session" not in client.cookies


def test_a_form_without_the_csrf_token_is_refused_and_audited(url: str, bastion: Bastion) -> None:
    submit_match(bastion)
    (job,) = bastion.review.desk.jobs()
    with signed_in(url, "ada") as ada:
        answer = ada.post(f"/jobs/{job.id}/decision", data={"decision": "confirmed"})
        assert answer.status_code == 403
        forged = ada.post(
            f"/jobs/{job.id}/decision", data={"decision": "confirmed", "csrf": "guessed"}
        )
        assert forged.status_code == 403
    assert bastion.review.desk.get(job.id).status is JobStatus.OPEN
    assert audited(bastion, "console.csrf_refused") == [f"user:ada job:{job.id}"] * 2


def test_an_analyst_reads_but_cannot_decide_or_reveal(url: str, bastion: Bastion) -> None:
    submit_report(bastion, queue="reports")
    (job,) = bastion.review.desk.jobs(queue="reports")
    with signed_in(url, "cy") as analyst:
        page = analyst.get(f"/jobs/{job.id}")
        assert page.status_code == 200
        assert f'action="/jobs/{job.id}/decision"' not in page.text
        csrf = csrf_of(page.text)
        decided = analyst.post(
            f"/jobs/{job.id}/decision", data={"decision": "confirmed", "csrf": csrf}
        )
        assert decided.status_code == 403
        revealed = analyst.post(f"/jobs/{job.id}/reveal", data={"csrf": csrf})
        assert revealed.status_code == 403
    assert bastion.review.desk.get(job.id).status is JobStatus.OPEN
    assert audited(bastion, "console.refused") == [f"user:cy job:{job.id}"]
    assert audited(bastion, "review.reveal_refused") == [f"user:cy job:{job.id}"]


def test_a_reviewer_cannot_open_a_child_safety_job(url: str, bastion: Bastion) -> None:
    submit_match(bastion)  # the default queue is a child-safety queue
    (job,) = bastion.review.desk.jobs()
    with signed_in(url, "bo") as reviewer:
        assert reviewer.get(f"/jobs/{job.id}").status_code == 403
        assert reviewer.get(f"/jobs/{job.id}/preview").status_code == 403
        assert "default" not in reviewer.get("/queues").text.split("<main", 1)[1]
    assert audited(bastion, "console.refused") == [f"user:bo job:{job.id}"] * 2


def test_media_is_shown_blurred_and_greyscale_until_revealed_once(
    url: str, bastion: Bastion
) -> None:
    submit_report(bastion, queue="default")  # child safety: only ada may reveal
    (job,) = bastion.review.desk.jobs()
    original = jpeg(2)
    with signed_in(url, "ada") as ada:
        page = ada.get(f"/jobs/{job.id}")
        assert page.status_code == 200
        assert original not in page.content
        preview = ada.get(f"/jobs/{job.id}/preview")
        assert preview.headers["content-type"] == "image/jpeg"
        assert preview.headers["cache-control"] == "no-store"
        shown = np.asarray(Image.open(io.BytesIO(preview.content)).convert("RGB")).astype(int)
        assert np.abs(shown[..., 0] - shown[..., 1]).max() <= 2  # greyscale
        assert preview.content != original

        granted = ada.post(f"/jobs/{job.id}/reveal", data={"csrf": csrf_of(page.text)})
        assert granted.status_code == 303  # to a page: reloading it never sends the form again
        revealed = ada.get(granted.headers["location"])
        assert revealed.status_code == 200
        (link,) = re.findall(r'src="(/reveal/[^"]+)"', revealed.text)
        first = ada.get(link)
        assert first.status_code == 200
        assert first.content == original
        again = ada.get(link)
        assert again.status_code == 403
        assert original not in again.content
        assert ada.get("/reveal/guessed-token").status_code == 403
    assert audited(bastion, "review.reveal") == [f"user:ada job:{job.id}"]
    refused = [e.detail["reason"] for e in bastion.audit.list(action="review.reveal_refused")]
    assert sorted(refused) == sorted(
        [f"reveal link already used (job {job.id})", "unknown reveal link"]
    )
    assert (
        bastion.review.reveals.exposure(bastion.users.get("ada").id, datetime.now(UTC).date()) == 1
    )


def test_someone_elses_reveal_link_is_refused(url: str, bastion: Bastion) -> None:
    bastion.users.create("eve", "child_safety_reviewer", password=PASSWORD, actor="test")
    submit_report(bastion, queue="default")
    (job,) = bastion.review.desk.jobs()
    with signed_in(url, "ada") as ada, signed_in(url, "eve") as eve:
        page = ada.get(f"/jobs/{job.id}")
        granted = ada.post(f"/jobs/{job.id}/reveal", data={"csrf": csrf_of(page.text)})
        revealed = ada.get(granted.headers["location"])
        (link,) = re.findall(r'src="(/reveal/[^"]+)"', revealed.text)
        assert eve.get(link).status_code == 403
        assert ada.get(link).status_code == 200  # still the owner's, once
    reasons = [e.detail["reason"] for e in bastion.audit.list(action="review.reveal_refused")]
    assert reasons == [f"reveal link of another person (job {job.id})"]


def test_the_daily_cap_stops_reveals(url: str, bastion: Bastion) -> None:
    bastion.users.set_daily_reveal_cap("ada", 0, actor="test")
    submit_report(bastion, queue="default")
    (job,) = bastion.review.desk.jobs()
    with signed_in(url, "ada") as ada:
        page = ada.get(f"/jobs/{job.id}")
        answer = ada.post(f"/jobs/{job.id}/reveal", data={"csrf": csrf_of(page.text)})
        assert answer.status_code == 403
        assert "daily cap of 0" in answer.text


def test_deciding_moves_to_the_next_job_and_does_what_it_says(url: str, bastion: Bastion) -> None:
    bastion.store.create_bank("confirmed", actor="test")
    for user in ("u1", "u2"):
        submit_match(bastion, user=user)
    first, second = bastion.review.desk.jobs()
    with signed_in(url, "ada") as ada:
        queue = ada.get("/queues")
        started = ada.post("/queues/default/next", data={"csrf": csrf_of(queue.text)})
        assert started.headers["location"] == f"/jobs/{first.id}"
        page = ada.get(started.headers["location"])
        done = ada.post(
            f"/jobs/{first.id}/decision",
            data={"decision": "confirmed", "classification": "B2", "add_to_bank": "confirmed",
                  "csrf": csrf_of(page.text)},
        )  # fmt: skip
        assert done.headers["location"] == f"/jobs/{second.id}"
        page = ada.get(done.headers["location"])
        last = ada.post(
            f"/jobs/{second.id}/decision",
            data={"decision": "false_positive", "csrf": csrf_of(page.text)},
        )
        assert last.headers["location"] == "/queues/default?empty=1"
    decided = bastion.review.desk.get(first.id)
    assert (decided.decision, decided.classification, decided.decided_by) == (
        Decision.CONFIRMED, "B2", "user:ada",
    )  # fmt: skip
    (entry,) = bastion.store.iter_entries("confirmed")
    assert {s.type for s in entry.signals} >= {"pdq", "md5", "sha256"}
    assert entry.provenance.added_by == "user:ada"
    assert bastion.review.exceptions.count() == 3  # its pdq, md5 and sha256 against the entry
    submit_match(bastion, user="u2")  # the false positive does not alert again
    assert bastion.review.desk.jobs() == []
    assert audited(bastion, "review.confirmed") == [f"user:ada job:{first.id}"]
    assert Outbox(bastion.db).list() == []  # no decision webhook configured


def test_two_reviewers_never_hold_the_same_job(url: str, bastion: Bastion) -> None:
    bastion.users.create("eve", "child_safety_reviewer", password=PASSWORD, actor="test")
    for user in ("u1", "u2"):
        submit_match(bastion, user=user)
    with signed_in(url, "ada") as ada, signed_in(url, "eve") as eve:
        a = ada.post("/queues/default/next", data={"csrf": csrf_of(ada.get("/queues").text)})
        e = eve.post("/queues/default/next", data={"csrf": csrf_of(eve.get("/queues").text)})
        assert a.headers["location"] != e.headers["location"]
        taken = a.headers["location"].rsplit("/", 1)[1]
        page = eve.get(f"/jobs/{taken}")
        assert "holds this job" in page.text
        refused = eve.post(
            f"/jobs/{taken}/decision", data={"decision": "confirmed", "csrf": csrf_of(page.text)}
        )
        assert refused.status_code == 409


def test_the_console_is_absent_without_the_ui_role(settings: Settings, bastion: Bastion) -> None:
    with running_server(settings, roles=["match"]) as base, httpx.Client(base_url=base) as client:
        assert client.get("/queues").status_code == 401  # an API path like any other: key first
        assert 'action="/login"' not in client.get("/").text


def test_a_known_match_shows_its_kept_media_only_blurred(url: str, bastion: Bastion) -> None:
    submit_match(bastion)
    (job,) = bastion.review.desk.jobs()
    assert job.kind is JobKind.MATCH
    assert bastion.review.desk.content(job.content_id or 0).evidence_id is not None
    with signed_in(url, "ada") as ada:
        page = ada.get(f"/jobs/{job.id}")
        assert "Blurred" in page.text
        assert "no media was sent" not in page.text
        assert "Entry added" in page.text  # the entry's provenance
        assert "by test (media)" in page.text
        preview = ada.get(f"/jobs/{job.id}/preview")
        assert preview.status_code == 200
        assert preview.content != jpeg(1)  # a rendition, never the original


def test_a_queue_with_a_reviewer_list_is_worked_only_by_them(url: str, bastion: Bastion) -> None:
    bastion.users.create("fay", "reviewer", password=PASSWORD, actor="test")
    bastion.review.desk.set_reviewers("reports", ["fay"])
    submit_report(bastion, queue="reports")
    (job,) = bastion.review.desk.jobs(queue="reports")
    with signed_in(url, "bo") as bo, signed_in(url, "fay") as fay:
        page = bo.get(f"/jobs/{job.id}")  # may see it...
        assert page.status_code == 200
        refused = bo.post(f"/jobs/{job.id}/claim", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 403  # ...but not work it
        page = fay.get(f"/jobs/{job.id}")
        taken = fay.post(f"/jobs/{job.id}/claim", data={"csrf": csrf_of(page.text)})
        assert taken.status_code == 303
    assert bastion.review.desk.get(job.id).claimed_by == "user:fay"
    assert audited(bastion, "console.refused") == [f"user:bo job:{job.id}"]


def test_a_person_sets_up_an_authenticator_and_sign_in_then_asks_for_its_code(
    url: str, bastion: Bastion
) -> None:
    from bastion.auth import totp

    with signed_in(url, "bo") as bo:
        page = bo.get("/me/second-factor")
        shown = bo.post("/me/second-factor", data={"csrf": csrf_of(page.text)})
        assert shown.status_code == 200
        assert 'src="data:image/svg+xml' in shown.text  # the QR code, made here
        (secret,) = re.findall(r"Secret: <code>([A-Z2-7]+)</code>", shown.text)
        wrong = bo.post(
            "/me/second-factor/confirm", data={"csrf": csrf_of(shown.text), "code": "000000"}
        )
        assert wrong.status_code == 400
        assert not bastion.users.get("bo").totp_enabled
        shown = bo.post("/me/second-factor", data={"csrf": csrf_of(page.text)})
        (secret,) = re.findall(r"Secret: <code>([A-Z2-7]+)</code>", shown.text)
        code = totp.code_at(secret, datetime.now(UTC))
        done = bo.post(
            "/me/second-factor/confirm", data={"csrf": csrf_of(shown.text), "code": code}
        )
        assert done.status_code == 303
    assert bastion.users.get("bo").totp_enabled
    with httpx.Client(base_url=url) as client:
        client.get("/")
        nonce = client.cookies["bastion_login"]
        without = client.post(
            "/login", data={"username": "bo", "password": PASSWORD, "nonce": nonce}
        )
        assert without.status_code == 401  # the password alone no longer signs in


def test_only_roles_that_curate_add_to_a_bank(url: str, bastion: Bastion) -> None:
    bastion.store.create_bank("confirmed", actor="test")
    submit_report(bastion, queue="reports")
    (job,) = bastion.review.desk.jobs(queue="reports")
    with signed_in(url, "bo") as reviewer:
        page = reviewer.get(f"/jobs/{job.id}")
        assert 'name="add_to_bank"' not in page.text
        refused = reviewer.post(
            f"/jobs/{job.id}/decision",
            data={"decision": "confirmed", "add_to_bank": "confirmed", "csrf": csrf_of(page.text)},
        )
        assert refused.status_code == 403
    assert bastion.review.desk.get(job.id).status is JobStatus.OPEN
    assert list(bastion.store.iter_entries("confirmed")) == []
    assert audited(bastion, "console.refused") == [f"user:bo job:{job.id}"]


def test_a_job_shows_its_level_and_the_rules_that_set_it(url: str, bastion: Bastion) -> None:
    submit_report(bastion, user="u5")
    submit_match(bastion, user="u5")
    report, match = sorted(bastion.review.desk.jobs(status=None), key=lambda j: j.kind.value)[::-1]
    bastion.review.decide(match.id, "ada", Decision.CONFIRMED)
    with signed_in(url, "ada") as ada:
        page = ada.get(f"/jobs/{report.id}").text
        assert "Level: high" in page
        assert "<code>user_report -&gt; medium</code> sets medium" in page
        assert "<code>confirmed_before &gt;= 1 -&gt; raise 1</code> raises 1" in page
        queue = ada.get("/queues/reports").text
        assert '<span class="level high">high</span>' in queue


def test_the_triage_page_shows_the_rules_and_how_decisions_went(url: str, bastion: Bastion) -> None:
    submit_report(bastion, user="u6")
    (report,) = bastion.review.desk.jobs(queue="reports")
    bastion.review.decide(report.id, "ada", Decision.CONFIRMED)
    with signed_in(url, "cy") as ana:
        page = ana.get("/triage")
        assert page.status_code == 200
        assert "<code>user_report -&gt; medium</code></th><td>sets medium</td>" in page.text
        assert "<td>1</td><td>1</td>\n<td>100%</td>" in page.text  # 1 job, 1 confirmed
        assert "1 decided jobs, 1 confirmed or reported" in " ".join(page.text.split())
    with signed_in(url, "bo") as reviewer:
        assert reviewer.get("/triage").status_code == 403
