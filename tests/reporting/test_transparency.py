"""The transparency report over a real installation, on SQLite and PostgreSQL: checks made
through the pipeline, jobs opened and decided at known times, conversations that alerted,
entries fetched from a fake NCMEC and feedback sent to it, a collaboration and its partner's
feedback, and CyberTipline reports filed through the reports store. Then: the figures, small
counts withheld, periods cut at midnight UTC, and the report as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bastion.banks.model import Opinion
from bastion.conversations.model import Message, Participant
from bastion.exchange.feedback import FeedbackQueue
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.pipeline import Bastion
from bastion.reporting.figures import filed_reports
from bastion.reporting.model import Incident, IncidentType
from bastion.reporting.store import NewReport, ReportStore
from bastion.reporting.tallies import CheckTally
from bastion.reporting.transparency import (
    Figure,
    Period,
    Unit,
    Withheld,
    build_report,
    suppress,
)
from bastion.review import Decision, JobKind, NewJob, ReviewDesk
from bastion.settings import Settings
from bastion.store import Database
from bastion.web.transparency_page import standalone_html
from tests.conversations.test_assess import GROOMING
from tests.exchange.fakes import LOOPBACK, FakeEntry, FakeNcmec
from tests.web.console_helpers import jpeg

NOW = datetime.now(UTC).replace(microsecond=0)
#: The period around now: every real-time event of the scenario falls in it.
AROUND_NOW = Period(NOW.date() - timedelta(days=60), NOW.date() + timedelta(days=2))
#: When the scenario's jobs are opened (their decisions follow, an hour apart).
OPENED = NOW - timedelta(days=20)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def filed(db: Database, kind: IncidentType, jobs: list[int], submitted: datetime,
          finished: datetime | None) -> None:  # fmt: skip
    """A report of `jobs` through the reports store: submitted, and finished unless None
    (then a draft)."""
    clock = Clock(submitted)
    store = ReportStore(db, clock=clock)
    report = store.create(
        NewReport(sink="cybertipline", incident=Incident(kind, submitted), job_ids=tuple(jobs)),
        "test",
    )
    if finished is None:
        return
    store.request(report.id, "test", approval_required=False)
    store.claim(report.id, "sender")
    store.record_submitted(report.id, "sender", "4564654")
    clock.now = finished
    store.record_finished(report.id, "sender", ())


@pytest.fixture
def fake_ncmec() -> Iterator[str]:
    fake = FakeNcmec()
    md5 = hashlib.md5(jpeg(5)).hexdigest()
    fake.put(FakeEntry(42, "img1", "image", int(time.time()) - 100, {"md5": md5}))
    with fake.serving() as url:
        yield url


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    made = Bastion(settings)
    yield made
    made.close()


def scenario(bastion: Bastion, ncmec_url: str) -> dict[str, list[int]]:
    """Everything the report counts, made the way the installation makes it."""
    db = bastion.db
    bastion.store.create_bank("known", actor="test")
    bastion.add_to_bank("known", jpeg(1), added_by="test")
    # Content checked: 11 matching uploads and 12 others; 3 look-ups; a stream's frames.
    for _ in range(11):
        bastion.check_content(jpeg(1))
    for seed in range(20, 32):
        bastion.check_content(jpeg(seed), door="hma")
    pdq = bastion.hash_content(jpeg(1)).signal("pdq")
    assert pdq is not None
    bastion.look_up([pdq])
    for _ in range(4):
        bastion.look_up_frame([pdq], [])
    bastion._alert([], {})  # what a stream watcher calls when frames match
    # Hashes received from NCMEC (a fake on 127.0.0.1); one matches, and an opinion is sent.
    exchanges = ExchangeStore(db, bastion.box, access=LOOPBACK)
    bastion.store.create_bank("ncmec", actor="test")
    exchanges.add(
        "ncmec-list",
        kind="ncmec",
        bank="ncmec",
        config={"base_url": ncmec_url, "start": int(time.time()) - 1000, "lag_seconds": 0,
                "retries": 0},
        credentials={"username": "esp", "password": "pw"},
    )  # fmt: skip
    assert Syncer(bastion.store, exchanges).sync("ncmec-list").error is None
    bastion.check_content(jpeg(5))
    [fetched] = bastion.store.iter_entries("ncmec")
    feedback = FeedbackQueue(db, bastion.box, access=LOOPBACK)
    feedback.give(fetched.id, "true_positive", given_by="test")
    assert feedback.deliver_due() == 1
    # Published to a partner, who answers.
    bastion.collabs.create("partners", ["known"], actor="test")
    partner = bastion.collabs.add_partner("partners", "partner-org-7", actor="test")
    key = bastion.keys.authenticate(partner.secret)
    collab_id, partner_id, _ = bastion.collabs.partner_of("partners", key)
    [own] = bastion.store.iter_entries("known")
    bastion.collabs.give_feedback(collab_id, partner_id, own.id, Opinion.TRUE_POSITIVE, "")
    # A conversation that alerts.
    bastion.conversations.add("chat-1", [], [Participant("kid", age=12)])
    for sender, text in GROOMING:
        bastion.conversations.add("chat-1", [Message(sender, text)])
    # Jobs: 12 matches opened 20 days ago, decided 1 to 12 hours later (10 confirmed, 2
    # false); 2 conversation alerts confirmed; one match still open.
    clock = Clock(OPENED)
    desk = ReviewDesk(db, clock=clock)
    match_jobs = [
        desk.open_job(NewJob(kind=JobKind.MATCH, evidence={}, user_id=f"platform-user-{i}")).id
        for i in range(12)
    ]
    talk_jobs = [
        desk.open_job(NewJob(kind=JobKind.CONVERSATION, evidence={}, conversation=f"c{i}")).id
        for i in range(2)
    ]
    desk.open_job(NewJob(kind=JobKind.MATCH, evidence={}, user_id="open"))
    for i, job in enumerate(match_jobs):
        clock.now = OPENED + timedelta(hours=i + 1)
        desk.decide(job, "user:di", Decision.FALSE_POSITIVE if i in (3, 7) else Decision.CONFIRMED)
    clock.now = OPENED  # the alerts are decided at once
    for job in talk_jobs:
        desk.decide(job, "user:di", Decision.CONFIRMED)
    # Reports: 12 of CSAM and one of enticement, finished; a draft; one finished long ago.
    csam = IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL
    for i, job in enumerate(match_jobs):
        submitted = OPENED + timedelta(hours=2 * (i + 1))
        filed(db, csam, [job], submitted, submitted + timedelta(minutes=5))
    day = OPENED + timedelta(days=1)
    filed(db, IncidentType.ONLINE_ENTICEMENT, talk_jobs, day, day)
    filed(db, csam, [], OPENED, None)  # a draft
    long_ago = OPENED - timedelta(days=400)
    filed(db, csam, [], long_ago, long_ago)
    return {"match_jobs": match_jobs, "talk_jobs": talk_jobs}


def test_the_figures_of_a_real_installation(bastion: Bastion, fake_ncmec: str) -> None:
    scenario(bastion, fake_ncmec)
    report = bastion.transparency(AROUND_NOW, suppress_below=1)
    v = report.value
    assert report.unavailable == ()
    # Content checked: 11 + 12 + 1 uploads, 1 look-up, 4 frames.
    assert v("content_checked", "image", "by_kind") == 11 + 12 + 1 + 1
    assert v("content_checked", "stream", "by_kind") == 4
    assert v("content_checked", "hma", "by_door") == 12
    assert v("content_checked", "stream", "by_door") == 4
    assert v("content_checked", "total") == 29
    assert v("content_checked", "matched") == 11 + 1 + 1 + 4
    # Matches: the known image by PDQ, MD5 and SHA-256 (the look-up and frames by PDQ);
    # the NCMEC entry by MD5.
    assert v("matches", "known", "by_bank") == 11 * 3 + 1 + 4
    assert v("matches", "ncmec", "by_bank") == 1
    assert v("matches", "ncmec-list", "by_source") == 1
    assert v("matches", "ncmec", "by_source_kind") == 1
    assert v("matches", "local", "by_source") == 38
    assert v("matches", "md5", "by_signal_type") == 12
    assert report.source_kinds["ncmec-list"] == "ncmec"
    # Review: 15 opened, 14 decided, 2 of 12 matches false; the median of 1..12 hours is
    # 6.5 hours (the conversations' jobs, decided at once, pull it to 5.5).
    assert v("review", "jobs_opened") == 15
    assert v("review", "match", "jobs_opened_by_kind") == 13
    assert v("review", "jobs_decided") == 14
    assert v("review", "confirmed", "decided_by_decision") == 12
    assert v("review", "false_positive", "decided_by_decision") == 2
    assert v("review", "false_positive_rate") == pytest.approx(2 / 12)
    assert v("review", "median_seconds_to_decision") == pytest.approx(5.5 * 3600)
    # Reports: 13 filed; detection to report 2, 4, ... 24 hours for the CSAM reports and a
    # day for the other: the median of 13 is the 7th, 14 hours.
    assert v("reports", "filed") == 13
    assert v("reports", "csam", "by_incident_type") == 12
    assert v("reports", "enticement", "by_incident_type") == 1
    assert v("reports", "trafficking", "by_incident_type") == 0
    assert v("reports", "median_seconds_to_report") == pytest.approx(14 * 3600)
    # Sharing.
    assert v("sharing", "received") == 1
    assert v("sharing", "ncmec-list", "received_by_exchange") == 1
    assert v("sharing", "published") == 1
    assert v("sharing", "partners", "published_by_collaboration") == 1
    assert v("sharing", "feedback_sent") == 1
    assert v("sharing", "true_positive", "feedback_sent_by_opinion") == 1
    assert v("sharing", "partner_feedback_received") == 1
    # Conversations and streams.
    assert v("conversations", "alerts") == 1
    assert v("conversations", "confirmed", "alerts_decided_by_decision") == 2
    assert v("streams", "frames_checked") == 4
    assert v("streams", "frames_matched") == 4
    assert v("streams", "alerts") == 1


def test_small_counts_are_withheld_and_what_would_give_them_away(
    bastion: Bastion, fake_ncmec: str
) -> None:
    scenario(bastion, fake_ncmec)
    report = bastion.transparency(AROUND_NOW)  # below 10 withheld
    f = report.figure
    assert f("reports", "filed").value == 13
    enticement = f("reports", "enticement", "by_incident_type")
    csam = f("reports", "csam", "by_incident_type")
    assert (enticement.value, enticement.withheld) == (None, Withheld.SMALL)
    # 13 filed less 12 of CSAM would give the one away: CSAM is withheld with it.
    assert (csam.value, csam.withheld) == (None, Withheld.COMPLEMENTARY)
    assert f("reports", "trafficking", "by_incident_type").value == 0  # zero is shown
    # 2 of 12 false positives: the count and the rate that would tell it are withheld.
    assert f("review", "false_positive", "decided_by_decision").withheld is Withheld.SMALL
    assert f("review", "false_positive_rate").withheld is Withheld.SMALL
    assert f("review", "median_seconds_to_decision").value == pytest.approx(5.5 * 3600)
    # A median of fewer than 10 durations is withheld; 13 are enough.
    assert f("reports", "median_seconds_to_report").value == pytest.approx(14 * 3600)
    strict = bastion.transparency(AROUND_NOW, suppress_below=14)
    assert strict.figure("reports", "median_seconds_to_report").withheld is Withheld.SMALL
    assert strict.figure("reports", "filed").withheld is Withheld.SMALL

    doc = report.to_json()
    assert doc["sections"]["reports"]["by_incident_type"]["enticement"] == {
        "value": None,
        "suppressed": True,
    }
    rows = {
        (r["section"], r["name"]): r["value"] for r in csv.DictReader(io.StringIO(report.to_csv()))
    }
    assert rows[("reports", "by_incident_type/enticement")] == "<10"
    assert rows[("reports", "by_incident_type/csam")] == "suppressed"
    assert rows[("reports", "filed")] == "13"


def test_suppression_rules() -> None:
    def count(section: str, group: str | None, name: str, value: int) -> Figure:
        return Figure(section, group, name, value)

    figures = [
        count("review", None, "jobs_decided", 1205),
        count("review", "decided_by_decision", "confirmed", 1000),
        count("review", "decided_by_decision", "escalated", 200),
        count("review", "decided_by_decision", "false_positive", 5),
        count("review", "decided_by_decision", "reported", 0),
        count("review", "decided_by_kind", "match", 1195),
        count("review", "decided_by_kind", "conversation", 6),
        count("review", "decided_by_kind", "user_report", 4),
        count("matches", None, "total", 1005),
        count("matches", "by_bank", "a", 1000),
        count("matches", "by_bank", "b", 5),
        Figure("review", None, "median", 100.0, Unit.SECONDS),
        Figure("review", None, "rate", 0.5, Unit.RATIO),
    ]
    sizes = {("review", "median"): (9,), ("review", "rate"): (10, 20)}
    out = {(f.group, f.name): f.withheld for f in suppress(figures, 10, sizes)}
    assert out[("decided_by_decision", "false_positive")] is Withheld.SMALL
    # The total less the others would give it away: the smallest other non-zero goes too.
    assert out[("decided_by_decision", "escalated")] is Withheld.COMPLEMENTARY
    assert out[("decided_by_decision", "confirmed")] is None
    assert out[("decided_by_decision", "reported")] is None  # zero says nothing
    # Two small cells already hide each other.
    assert [out[("decided_by_kind", n)] for n in ("match", "conversation", "user_report")] == [
        None, Withheld.SMALL, Withheld.SMALL
    ]  # fmt: skip
    # Volumes of content are not about a case: only the small count is withheld.
    assert (out[("by_bank", "b")], out[("by_bank", "a")]) == (Withheld.SMALL, None)
    assert out[(None, "median")] is Withheld.SMALL  # from 9 durations
    assert out[(None, "rate")] is None  # 10 of 20
    assert out[(None, "jobs_decided")] is None
    assert suppress([count("review", None, "jobs_decided", 9)], 1)[0].withheld is None


def test_periods_are_whole_utc_days_cut_at_midnight(db: Database) -> None:
    now = [datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()]
    tally = CheckTally(db, clock=lambda: now[0])
    for _ in range(10):
        tally.record("image", "api")
    now[0] = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    for _ in range(20):
        tally.record("image", "api")
    tally.close()
    year = build_report(db, Period.year(2026))
    assert year.value("content_checked", "total") == 10
    assert build_report(db, Period.year(2027)).value("content_checked", "total") == 20
    assert (
        build_report(db, Period(date(2026, 12, 31), date(2027, 1, 2))).value(
            "content_checked", "total"
        )
        == 30
    )
    assert year.unavailable == ("reports",)  # no reports source given: not available, not 0
    assert year.value("reports", "filed") is None
    with pytest.raises(Exception, match="must end after it starts"):
        Period(date(2027, 1, 1), date(2027, 1, 1))
    with pytest.raises(Exception, match="not a date"):
        Period.parse("2026-13-01", "2027-01-01")


TRAFFICKING = IncidentType.CHILD_SEX_TRAFFICKING.value


def test_reports_are_read_from_the_reports_store(db: Database) -> None:
    start, end = Period.year(2026).start_at, Period.year(2026).end_at
    assert filed_reports(db, start, end) == []
    at = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    filed(db, IncidentType.CHILD_SEX_TRAFFICKING, [3, 4], at, at)
    filed(db, IncidentType.ONLINE_ENTICEMENT, [], at, at + timedelta(seconds=1))
    filed(db, IncidentType.CHILD_SEX_TRAFFICKING, [5], at, None)  # a draft: not filed
    [one] = filed_reports(db, start, end)
    assert (one.incident, one.reported_at, one.job_ids) == ("trafficking", at, (3, 4))
    [later] = filed_reports(db, end, end + timedelta(days=1))
    assert later.incident == "enticement"


def test_json_csv_and_html(bastion: Bastion, fake_ncmec: str, tmp_path: Path) -> None:
    scenario(bastion, fake_ncmec)
    report = bastion.transparency(AROUND_NOW)
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["format"] == "bastion-transparency-report"
    assert doc["version"] == 1
    assert doc["period"] == {
        "from": AROUND_NOW.start.isoformat(),
        "to": AROUND_NOW.end.isoformat(),
    }
    assert list(doc["sections"]) == [
        "content_checked", "matches", "review", "reports", "sharing", "conversations", "streams"
    ]  # fmt: skip
    assert doc["sections"]["content_checked"]["total"] == {"value": 29, "suppressed": False}
    assert doc["sections"]["sharing"]["received_by_exchange"]["ncmec-list"] == {
        "value": None,
        "suppressed": True,
    }
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    assert rows[0] == ["section", "name", "value"]
    assert len(rows) == len(report.figures) + 1
    assert ["matches", "by_bank/known", "38"] in rows
    assert ["review", "median_seconds_to_decision", "19800"] in rows

    html = standalone_html(report)
    assert "<script" not in html
    # Self-contained: nothing is fetched (the only URL names SVG's namespace).
    assert re.findall(r"(?:src|href)=", html) == []
    assert set(re.findall(r"https?://[^\"'\s<]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "<svg" in html
    # Every chart is hidden from screen readers and followed by its table.
    assert html.count("<svg") == html.count('aria-hidden="true"')
    assert html.count("<svg") <= html.count("<table")
    assert '<th scope="row">known</th><td class="number">38</td>' in html
    assert "&lt;10" in html
    assert "5.5 h" in html  # the median to decision, for people
    # No personal data: no user, reviewer, hash or conversation of the scenario.
    for private in (
        "platform-user-1",
        "user:di",
        "chat-1",
        hashlib.md5(jpeg(5)).hexdigest(),
        "partner-org-7",
    ):
        assert private not in html
        assert private not in report.to_csv()
        assert private not in json.dumps(doc)
