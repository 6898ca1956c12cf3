"""The review console in a real browser (Debian's Chromium, driven by Playwright) against the
service on 127.0.0.1, on SQLite and PostgreSQL: signing in through the form and choosing a
password, a queue worked by keyboard alone until it is empty (its decisions adding to a bank,
sending the decision webhook and an opinion upstream to the fake NCMEC), media shown blurred
until it is revealed, once, and two reviewers who never get the same job. No request leaves
127.0.0.1 and no page logs an error. A job reported with its key opens a draft that is edited,
approved by a second person and sent by the service's worker to the fake CyberTipline. Every
page passes axe-core's checks (WCAG 2.2 A and AA, and its best practices), the report pages and
the reporting profile included.

Skipped where /usr/bin/chromium is absent, unless BASTION_REQUIRE_BROWSER=1 (.ci/run).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from bastion.actions.rules import RuleKind
from bastion.conversations.model import Message, Participant
from bastion.pipeline import Bastion
from bastion.pipeline.scan import Scanner, ScanPlan
from bastion.reporting.model import ReportStatus
from bastion.review import Decision, JobKind, JobStatus
from bastion.settings import Settings
from tests.actions.conftest import Receiver
from tests.actions.conftest import receiver as receiver  # a fixture, used by name
from tests.conversations.test_assess import GROOMING
from tests.exchange.fakes import FakeEntry, FakeNcmec
from tests.reporting.conftest import cybertipline_xsd as cybertipline_xsd  # a fixture, by name
from tests.reporting.conftest import fake_cybertipline as fake_cybertipline  # a fixture
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.web.browsing import Watched
from tests.web.browsing import browser as browser  # a fixture, used by name
from tests.web.conftest import running_server
from tests.web.console_helpers import PASSWORD, jpeg, seed, submit_match, submit_report

NEW_PASSWORD = "a password of my own choosing"
FORBIDDEN = "Failed to load resource: the server responded with a status of 403 (Forbidden)"
EMPTY = "No job is waiting for you in this queue."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The service may reach the fakes on 127.0.0.1 (the fake NCMEC, the webhook receiver)."""
    return Settings.load(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        fetch_allow_networks="127.0.0.1/32",
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


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 800})
    yield made
    made.close()


def eventually(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    """`check()`'s first true answer, waited for (the service's workers send in the
    background); a guard against a hang, not a measure."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            assert found, f"gave up waiting for {what}"
            return found
        time.sleep(0.05)


def sign_in(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    """Through the form, as a person does: Enter sends it."""
    page.goto(f"{url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/(queues|password)$"))


def tab_to(page: Page, control: Locator, presses: int = 40) -> None:
    """Move the focus with Tab alone until it reaches `control`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if control.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {control}")


def job_shown(page: Page) -> int | None:
    """The job the tab shows, or None on the queue's page."""
    found = re.search(r"/jobs/(\d+)$", page.url)
    return int(found.group(1)) if found else None


def press_and_move_on(page: Page, *keys: str) -> None:
    """Press `keys`; the last decides, and the next job (or the queue) loads by itself."""
    before = page.url
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_url(lambda shown: shown != before)
    expect(page.locator("h1")).to_be_visible()


def ncmec_entry(bastion: Bastion, fake: FakeNcmec, fake_url: str) -> int:
    """An entry NCMEC shares (the hashes of jpeg(3)), fetched by a sync; its matches are
    reviewed. The sync schedule is an hour away, so the service does not fetch it again."""
    pdq = bastion.hash_content(jpeg(3)).signal("pdq")
    assert pdq is not None
    fake.put(FakeEntry(42, "img3", "image", int(time.time()) - 100, {"pdq": pdq.value}))
    bastion.store.create_bank("ncmec", actor="test")
    bastion.exchanges.add(
        "ncmec",
        kind="ncmec",
        bank="ncmec",
        config={"base_url": fake_url, "start": int(time.time()) - 1000, "lag_seconds": 0,
                "retries": 0},
        credentials={"username": "esp", "password": "pw"},
    )  # fmt: skip
    assert bastion.syncer.sync("ncmec").error is None
    (entry,) = bastion.store.iter_entries("ncmec")
    bastion.actions.add_review("ncmec", actor="test")
    return entry.id


def alert_on_a_conversation(bastion: Bastion) -> None:
    bastion.actions.add_conversation_rule(RuleKind.REVIEW, actor="test")
    bastion.conversations.add("room-7", [], [Participant("kid", age=12)])
    for sender, text in GROOMING:
        bastion.conversations.add("room-7", [Message(sender, text)])


def test_a_new_reviewer_signs_in_chooses_a_password_and_works_a_queue_by_keyboard(
    url: str, bastion: Bastion, context: BrowserContext, receiver: Receiver
) -> None:
    fake = FakeNcmec()
    with fake.serving() as fake_url:
        fetched = ncmec_entry(bastion, fake, fake_url)
        bastion.store.create_bank("confirmed", actor="test")
        bastion.actions.add_decision_webhook(receiver.url, actor="test")
        generated = bastion.users.create("gia", "child_safety_reviewer", actor="test").password
        submit_match(bastion, user="u1", seed_=1)  # matches bank "known"
        submit_match(bastion, user="u2", seed_=3)  # matches NCMEC's entry
        alert_on_a_conversation(bastion)
        jobs = bastion.review.desk.jobs()
        assert sorted(j.kind for j in jobs) == ["conversation", "match", "match"]

        tab = Watched.open(context)
        page = tab.page
        sign_in(page, url, "gia", generated)
        # A generated password: the console asks for a new one before anything else.
        expect(page).to_have_url(f"{url}/password")
        page.goto(f"{url}/queues")
        expect(page).to_have_url(f"{url}/password")
        page.get_by_label("Current password").fill(generated)
        page.get_by_label("New password", exact=False).first.fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_label("New password again").press("Enter")
        expect(page).to_have_url(f"{url}/queues")
        assert bastion.users.get("gia").must_change_password is False

        # From the queues, by keyboard alone: Tab to "Review next", Enter.
        tab_to(page, page.get_by_role("button", name="Review next"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        # "?" shows the keys; behind the open help no key decides; Escape closes it.
        page.evaluate("window.sent = 0; addEventListener('submit', () => window.sent++)")
        page.keyboard.press("?")
        shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(shortcuts).to_be_visible()
        page.keyboard.press("c")
        assert page.evaluate("window.sent") == 0
        page.keyboard.press("Escape")
        expect(shortcuts).to_be_hidden()
        seen: list[int] = []
        while (shown := job_shown(page)) is not None:
            assert shown not in seen, f"job {shown} came back"
            seen.append(shown)
            job = bastion.review.desk.get(shown)
            expect(page.get_by_role("heading", level=1)).to_contain_text(f"Job {shown}")
            if job.kind is JobKind.CONVERSATION:
                press_and_move_on(page, "e")
            elif job.bank == "ncmec":
                press_and_move_on(page, "f")
            else:
                # Classification A1, then the bank (the select takes letters as it has the
                # focus), back to the classification, and confirm.
                page.keyboard.press("1")
                page.keyboard.press("Tab")
                expect(page.get_by_label("On confirm, add its hashes to a bank")).to_be_focused()
                page.keyboard.type("conf")
                page.keyboard.press("Shift+Tab")
                press_and_move_on(page, "c")
        expect(page).to_have_url(f"{url}/queues/default?empty=1")
        expect(page.get_by_role("status")).to_have_text(EMPTY)

        assert sorted(seen) == sorted(j.id for j in jobs)
        decided = {j.id: bastion.review.desk.get(j.id) for j in jobs}
        assert all(d.status is JobStatus.DECIDED for d in decided.values())
        assert {d.decided_by for d in decided.values()} == {"user:gia"}
        by_kind = {(d.kind, d.bank): d for d in decided.values()}
        confirmed = by_kind[(JobKind.MATCH, "known")]
        assert (confirmed.decision, confirmed.classification) == (Decision.CONFIRMED, "A1")
        assert by_kind[(JobKind.MATCH, "ncmec")].decision is Decision.FALSE_POSITIVE
        assert by_kind[(JobKind.CONVERSATION, None)].decision is Decision.ESCALATED
        (added,) = bastion.store.iter_entries("confirmed")
        assert added.provenance.added_by == "user:gia"
        assert added.metadata == {"review_job": confirmed.id, "decision": "confirmed"}

        # The service's worker delivers the decision webhooks; its scheduler sends NCMEC the
        # opinion on its entry.
        eventually(lambda: len(receiver.requests) == 3, "three decision webhooks")
        events = {r.json()["job_id"]: r.json()["event_type"] for r in receiver.requests}
        assert events == {
            confirmed.id: "decision.confirmed",
            by_kind[(JobKind.MATCH, "ncmec")].id: "decision.false_positive",
            by_kind[(JobKind.CONVERSATION, None)].id: "decision.escalated",
        }
        (opinion,) = bastion.feedback.list(entry_id=fetched)
        assert (opinion.exchange, opinion.upstream_id, opinion.opinion, opinion.given_by) == (
            "ncmec", "42-img3", "false_positive", "user:gia",
        )  # fmt: skip
        eventually(lambda: fake.feedback, "the opinion at the fake NCMEC")
        assert eventually(
            lambda: bastion.feedback.list(entry_id=fetched)[0].status == "sent", "sent"
        )
    assert tab.hosts() == {"127.0.0.1"}
    assert tab.errors == []


def test_media_is_blurred_until_revealed_and_shown_once(
    url: str, bastion: Bastion, context: BrowserContext
) -> None:
    submit_report(bastion, user="u1", seed_=2, queue="default")  # child safety: ada reveals
    (job,) = bastion.review.desk.jobs()
    original = jpeg(2)
    tab = Watched.open(context)
    page = tab.page
    media: list[tuple[str, int, bytes]] = []  # what the tab was sent: the preview, a reveal

    def keep(response: Response) -> None:
        if "/preview" in response.url or "/reveal/" in response.url:
            media.append((response.url.removeprefix(url), response.status, response.body()))

    page.on("response", keep)
    sign_in(page, url, "ada")
    tab_to(page, page.get_by_role("button", name="Review next"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/jobs/{job.id}")  # and its images loaded
    preview = page.get_by_role("img", name=re.compile("^Blurred"))
    expect(preview).to_have_attribute("src", f"/jobs/{job.id}/preview")
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    ((shown, status, blurred),) = media
    assert (shown, status) == (f"/jobs/{job.id}/preview", 200)
    assert blurred != original

    page.keyboard.press("v")
    page.wait_for_url(re.compile(rf"/jobs/{job.id}/original/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Original media of job {job.id}")
    revealed = page.get_by_role("img", name=f"The original media of job {job.id}")
    expect(revealed).to_be_visible()
    assert revealed.evaluate("img => img.complete && img.naturalWidth > 0")
    link = revealed.get_attribute("src")
    assert media[1:] == [(link, 200, original)]
    assert [e.actor for e in bastion.audit.list(action="review.reveal")] == ["user:ada"]

    # Reloading does not show the media again: the link is spent, the attempt audited.
    page.reload()
    expect(page.get_by_text("This link has been used")).to_be_visible()
    expect(revealed).to_be_hidden()
    assert len(media) == 3
    assert media[2][:2] == (link, 403)
    assert original not in media[2][2]
    assert len(bastion.audit.list(action="review.reveal")) == 1
    assert len(bastion.audit.list(action="review.reveal_granted")) == 1  # no second grant
    reasons = [e.detail["reason"] for e in bastion.audit.list(action="review.reveal_refused")]
    assert reasons == [f"reveal link already used (job {job.id})"]
    assert tab.hosts() == {"127.0.0.1"}
    # The browser itself reports the refused link; nothing else may be logged.
    assert tab.errors == [FORBIDDEN]


def test_two_reviewers_never_get_the_same_job(url: str, bastion: Bastion, browser: Browser) -> None:
    bastion.users.create("eve", "child_safety_reviewer", password=PASSWORD, actor="test")
    for n in range(6):
        submit_match(bastion, user=f"u{n}")
    every = {j.id for j in bastion.review.desk.jobs()}
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2)]
    try:
        tabs = [Watched.open(c) for c in contexts]
        for tab, name in zip(tabs, ("ada", "eve"), strict=True):
            sign_in(tab.page, url, name)
        # Both press "Review next" at once, then each decides what they got, and so on.
        for tab in tabs:
            tab.page.get_by_role("button", name="Review next").click(no_wait_after=True)
        seen: dict[str, list[int]] = {"ada": [], "eve": []}
        working = list(zip(tabs, ("ada", "eve"), strict=True))
        while working:
            for tab, _name in working:
                tab.page.wait_for_url(re.compile(r"/(jobs/\d+|queues/default\?empty=1)$"))
            held = [(t, n, job_shown(t.page)) for t, n in working]
            shown = [j for _, _, j in held if j is not None]
            assert len(shown) == len(set(shown)), f"both reviewers hold job {shown}"
            working = []
            for tab, name, job_id in held:
                if job_id is None:
                    expect(tab.page.get_by_role("status")).to_have_text(EMPTY)
                    continue
                seen[name].append(job_id)
                before = tab.page.url
                tab.page.keyboard.press("f")
                tab.page.wait_for_url(lambda u, before=before: u != before)
                working.append((tab, name))
        assert set(seen["ada"]).isdisjoint(seen["eve"])
        assert set(seen["ada"]) | set(seen["eve"]) == every
        assert {bastion.review.desk.get(j).decided_by for j in seen["ada"]} <= {"user:ada"}
        assert {bastion.review.desk.get(j).decided_by for j in seen["eve"]} <= {"user:eve"}
        for tab in tabs:
            assert tab.hosts() == {"127.0.0.1"}
            assert tab.errors == []
    finally:
        for c in contexts:
            c.close()


# Accessibility ------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds wrong with the page as shown now, a line each: its rules for WCAG
    2.0-2.2 A and AA and its best practices (every impact fails: minor ones too)."""
    path = "/" + page.url.split("/", 3)[-1]
    return [
        f"{path}: {v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"])
        for v in Axe().run(page).response["violations"]
    ]


def scanned_folder(bastion: Bastion, folder: Path) -> None:
    folder.mkdir()
    (folder / "a.jpg").write_bytes(jpeg(41))
    (folder / "b.jpg").write_bytes(b"not a picture")
    Scanner(bastion, workers=0).run(ScanPlan(str(folder), "uploads"), actor="test")


def test_every_console_page_passes_axe(
    url: str, bastion: Bastion, browser: Browser, tmp_path: Path
) -> None:
    generated = bastion.users.create("nat", "reviewer", actor="test").password
    submit_match(bastion, user="u1")  # the default queue (child safety)
    alert_on_a_conversation(bastion)
    submit_report(bastion, user="u1", queue="reports")  # media a lead may reveal
    scanned_folder(bastion, tmp_path / "uploads")  # the scans page shows one, with a failure
    jobs = {j.kind: j for j in bastion.review.desk.jobs()}
    assert set(jobs) == {JobKind.MATCH, JobKind.CONVERSATION, JobKind.USER_REPORT}
    findings: list[str] = []
    scanned: list[str] = []

    def scan(page: Page) -> None:
        page.wait_for_load_state("load")
        scanned.append(page.url.removeprefix(url))
        findings.extend(axe_violations(page))

    def visit(page: Page, path: str) -> None:
        page.goto(f"{url}{path}")
        scan(page)

    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(4)]
    try:
        anonymous, new, lead, analyst = (Watched.open(c) for c in contexts)
        visit(anonymous.page, "/")
        sign_in_form = anonymous.page
        sign_in_form.get_by_label("Username").fill("di")
        sign_in_form.get_by_label("Password").fill("not the password")
        sign_in_form.get_by_label("Password").press("Enter")
        expect(sign_in_form.get_by_role("alert")).to_be_visible()
        scan(sign_in_form)

        sign_in(new.page, url, "nat", generated)
        scan(new.page)  # /password, before anything else

        page = lead.page
        sign_in(page, url, "di")
        for path in ("/queues", "/queues/default", "/queues/reports?empty=1&status=all"):
            visit(page, path)
        for kind in (JobKind.MATCH, JobKind.CONVERSATION, JobKind.USER_REPORT):
            visit(page, f"/jobs/{jobs[kind].id}")
        page.keyboard.press("?")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        scan(page)
        page.keyboard.press("Escape")
        page.keyboard.press("v")
        page.wait_for_url(re.compile(r"/original/"))
        scan(page)
        for path in (
            f"/cases/{jobs[JobKind.MATCH].case_id}",
            "/me",
            "/team",
            "/triage",
            "/scans",
            "/jobs/999999",
        ):
            visit(page, path)
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")

        sign_in(analyst.page, url, "cy")
        visit(analyst.page, f"/jobs/{jobs[JobKind.USER_REPORT].id}")  # reads, decides nothing
        for tab in (anonymous, new, lead, analyst):
            assert tab.hosts() == {"127.0.0.1"}
    finally:
        for c in contexts:
            c.close()
    match, chat, report = (
        jobs[k].id for k in (JobKind.MATCH, JobKind.CONVERSATION, JobKind.USER_REPORT)
    )
    assert [re.sub(r"/original/.*", "/original/…", p) for p in scanned] == [
        "/", "/login", "/password", "/queues", "/queues/default",
        "/queues/reports?empty=1&status=all", f"/jobs/{match}", f"/jobs/{chat}",
        f"/jobs/{report}", f"/jobs/{report}", f"/jobs/{report}/original/…",
        f"/cases/{jobs[JobKind.MATCH].case_id}", "/me", "/team", "/triage", "/scans",
        "/jobs/999999",
        f"/jobs/{report}",
    ]  # fmt: skip
    assert findings == []


def test_a_report_from_its_key_to_ncmec_and_every_report_page_passes_axe(
    settings: Settings, bastion: Bastion, browser: Browser, fake_cybertipline: FakeCyberTipline
) -> None:
    """A child-safety reviewer reports a job with its key and lands on the draft, edits it and
    asks for approval; a lead approves, and the service's worker sends it to the fake
    CyberTipline; an admin stores the credentials. Every state of the pages passes axe."""
    bastion.users.create("al", "admin", password=PASSWORD, actor="test")
    bastion.reporting.update_profile(
        "test",
        reporter_first_name="Trust",
        reporter_last_name="Safety",
        reporter_email="reports@example.org",
        platform="Example Forum",
        approval_required=True,
    )
    bastion.reporting.set_credentials("esp", "secret", "test")
    submit_match(bastion, user="u1")
    (job,) = bastion.review.desk.jobs()
    findings: list[str] = []
    scanned: list[str] = []
    reporting = settings.with_overrides(cybertipline_url=fake_cybertipline.url)
    with running_server(reporting) as base:

        def scan(page: Page) -> None:
            page.wait_for_load_state("load")
            scanned.append(page.url.removeprefix(base))
            findings.extend(axe_violations(page))

        contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(3)]
        try:
            reviewer, lead, admin = (Watched.open(c) for c in contexts)
            page = reviewer.page
            sign_in(page, base, "ada")
            page.goto(f"{base}/jobs/{job.id}")
            press_and_move_on(page, "r")  # Report: to the case's draft
            (report,) = bastion.reporting.store.list()
            expect(page).to_have_url(f"{base}/reports/{report.id}")
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {report.id}: draft")
            scan(page)
            page.get_by_label("What happened").fill("One picture matched bank 'known'.")
            page.get_by_label("What happened").press("Tab")
            page.keyboard.type("A child may be at risk now.")  # the escalation, next
            page.get_by_role("button", name="Save").first.click()
            page.wait_for_url(f"{base}/reports/{report.id}?done=saved")
            expect(page.get_by_role("status")).to_have_text("Saved.")
            scan(page)
            held = bastion.reporting.store.get(report.id)
            assert held.incident.description == "One picture matched bank 'known'."
            assert held.incident.escalate == "A child may be at risk now."
            page.get_by_role("button", name="Ask for approval").click()
            page.wait_for_url(f"{base}/reports/{report.id}?done=awaiting")
            expect(page.get_by_role("status")).to_have_text(
                "Waiting for the approval of a lead or an admin."
            )
            scan(page)
            page.goto(f"{base}/reports")
            expect(page.get_by_role("link", name=f"#{report.id}")).to_be_visible()
            scan(page)

            page = lead.page
            sign_in(page, base, "di")
            page.goto(f"{base}/reports/{report.id}")
            page.get_by_role("button", name="Approve and send").click()
            page.wait_for_url(f"{base}/reports/{report.id}?done=approved")
            eventually(
                lambda: bastion.reporting.store.get(report.id).status is ReportStatus.FINISHED,
                "the worker to send the report",
            )
            page.goto(f"{base}/reports/{report.id}")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Report {report.id}: finished"
            )
            scan(page)
            (remote,) = fake_cybertipline.reports.values()
            assert remote.status == "finished"

            page = admin.page
            sign_in(page, base, "al")
            page.goto(f"{base}/reporting")
            scan(page)
            page.get_by_label("Username").fill("esp")
            page.get_by_label("Password").fill("secret")
            page.get_by_label("Password").press("Enter")
            page.wait_for_url(f"{base}/reporting?done=credentials")
            expect(page.get_by_role("status")).to_have_text("Credentials stored, encrypted.")
            assert "secret" not in page.content()
            scan(page)
            for tab in (reviewer, lead, admin):
                assert tab.hosts() == {"127.0.0.1"}
                assert tab.errors == []
        finally:
            for c in contexts:
                c.close()
    assert scanned == [
        f"/reports/{report.id}", f"/reports/{report.id}?done=saved",
        f"/reports/{report.id}?done=awaiting", "/reports", f"/reports/{report.id}",
        "/reporting", "/reporting?done=credentials",
    ]  # fmt: skip
    assert findings == []
