"""NCMEC's Hash Sharing API v2, against a fake NCMEC on 127.0.0.1: fetching by window and
page, tombstones, resuming after failures, bad answers and feedback."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bastion.banks import BankStore
from bastion.exchange.api import ExchangeError, Opinion, Record
from bastion.exchange.clients.ncmec import NcmecClient
from bastion.exchange.impl import make_exchange
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.matching import Matcher
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store import Database
from tests.exchange.fakes import LOOPBACK, FakeEntry, FakeNcmec

NOW = int(time.time())
DAY = 86_400


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


def md5(n: int) -> str:
    return f"{n:032x}"


@pytest.fixture
def fake() -> FakeNcmec:
    fake = FakeNcmec(page_size=3)
    for n in range(8):  # images over the last eight days
        prints = {"md5": md5(n), "sha1": f"{n:040x}", "pdq": pdq(n), "pdna": f"PD{n}"}
        fake.put(FakeEntry(42, f"img{n}", "image", NOW - (8 - n) * DAY, prints))
    fake.put(FakeEntry(43, "vid1", "video", NOW - 3 * DAY, {"md5": md5(100)}, member="Other"))
    fake.put(FakeEntry(42, "gone", "image", NOW - 2 * DAY, {"md5": md5(200)}))
    fake.delete(42, "gone", NOW - DAY)
    return fake


@pytest.fixture
def base_url(fake: FakeNcmec) -> Iterator[str]:
    with fake.serving() as url:
        yield url


@pytest.fixture
def exchanges(db: Database, tmp_path: Path) -> ExchangeStore:
    return ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "keys"), access=LOOPBACK)


def add_ncmec(store: BankStore, exchanges: ExchangeStore, base_url: str, **config: object) -> None:
    store.create_bank("ncmec")
    exchanges.add(
        "ncmec",
        kind="ncmec",
        bank="ncmec",
        config={"base_url": base_url, "start": NOW - 30 * DAY, "lag_seconds": 0, **config},
        credentials={"username": "esp", "password": "pw"},
    )


def held(store: BankStore) -> dict[str, dict]:
    return {e.provenance.upstream_id: e for e in store.iter_entries("ncmec")}


def test_entries_are_fetched_by_window_and_page_into_the_bank(
    store: BankStore, exchanges: ExchangeStore, fake: FakeNcmec, base_url: str,
    settings: Settings,
) -> None:  # fmt: skip
    add_ncmec(store, exchanges, base_url)
    result = Syncer(store, exchanges).sync("ncmec")
    assert result.error is None
    entries = held(store)
    assert sorted(entries) == sorted([f"42-img{n}" for n in range(8)] + ["43-vid1"])
    image = entries["42-img3"]
    assert {s.type: s.value for s in image.signals} == {
        "md5": md5(3), "sha1": f"{3:040x}", "pdq": pdq(3), "photodna": "PD3",
    }  # fmt: skip
    assert image.metadata["ncmec"]["classification"] == "A1"
    assert image.metadata["ncmec"]["member_id"] == 42
    assert image.provenance.imported_from == "ncmec"
    assert {s.type for s in entries["43-vid1"].signals} == {"video_md5"}
    # Several windows, each read to its last page.
    pages = [p for m, p in fake.requests if "/v2/entries" in p]
    assert any("start=4" in p for p in pages)
    assert Matcher(store, settings.matching_options()).match_signals([Signal("pdq", pdq(5), 100)])
    status = exchanges.get("ncmec")
    assert status.checkpoint is not None
    assert status.checkpoint["from"] >= NOW - 5  # up to date

    # Changes upstream after the checkpoint: one edited, one deleted, one new.
    after = status.checkpoint["from"] + 1
    fake.put(FakeEntry(42, "img1", "image", after, {"md5": md5(1)}, classification="A2"))
    fake.delete(42, "img2", after)
    fake.put(FakeEntry(42, "new", "image", after, {"md5": md5(300)}))
    while time.time() < after + 1:  # the next sync reads up to its own "now"
        time.sleep(0.05)
    second = Syncer(store, exchanges).sync("ncmec")
    assert second.error is None
    c = second.counts
    assert (c.added, c.updated, c.deleted) == (1, 1, 1)
    entries = held(store)
    assert "42-img2" not in entries
    assert entries["42-img1"].metadata["ncmec"]["classification"] == "A2"
    assert {s.type for s in entries["42-img1"].signals} == {"md5"}


def test_only_chosen_members_are_kept(
    store: BankStore, exchanges: ExchangeStore, base_url: str
) -> None:
    add_ncmec(store, exchanges, base_url, only_esp_ids=[43])
    result = Syncer(store, exchanges).sync("ncmec")
    assert sorted(held(store)) == ["43-vid1"]
    assert result.skipped == 9  # eight images of member 42, and its tombstone


def test_a_failed_sync_resumes_from_its_last_page(
    store: BankStore, exchanges: ExchangeStore, fake: FakeNcmec, base_url: str
) -> None:
    add_ncmec(store, exchanges, base_url, start=NOW - 9 * DAY)
    exchanges.update("ncmec", interval_seconds=60)
    fake.put(FakeEntry(42, "burst", "image", NOW - 8 * DAY, {"md5": md5(400)}))
    fake.malformed_starts = {4}  # the second page of the first window is broken
    broken = Syncer(store, exchanges).sync("ncmec")
    assert broken.error is not None
    assert "malformed XML" in broken.error
    first_page = set(held(store))
    assert len(first_page) == 3
    checkpoint = exchanges.get("ncmec").checkpoint
    assert checkpoint is not None
    assert "start=4" in checkpoint["next"]
    asked_before = len(fake.requests)
    resumed = Syncer(store, exchanges).sync("ncmec")
    assert resumed.error is None
    assert len(held(store)) == 10
    assert first_page < set(held(store))
    # The resumed sync began at the page that failed, not at the start of the window.
    first_asked = next(p for _, p in fake.requests[asked_before:] if "/v2/entries" in p)
    assert "start=4" in first_asked
    assert exchanges.get("ncmec").failures == 0


def test_server_errors_are_retried_and_refused_credentials_reported(
    store: BankStore, exchanges: ExchangeStore, fake: FakeNcmec, base_url: str
) -> None:
    add_ncmec(store, exchanges, base_url)
    fake.fail_next = [503, 502]
    assert Syncer(store, exchanges).sync("ncmec").error is None  # retried with backoff
    exchanges.update("ncmec", credentials={"username": "esp", "password": "expired"})
    exchanges.reset("ncmec")
    refused = Syncer(store, exchanges).sync("ncmec")
    assert refused.error is not None
    assert "HTTP 401 (credentials refused or expired)" in refused.error
    assert "expired" not in refused.error.replace("refused or expired", "")
    assert len(held(store)) == 9  # nothing lost


def test_dtds_and_foreign_paging_links_are_refused(fake: FakeNcmec, base_url: str) -> None:
    client = NcmecClient(base_url, "esp", "pw")
    with pytest.raises(ExchangeError, match="DTD is refused"):
        client._page(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><queryResult/>', "entries")
    with pytest.raises(ExchangeError, match="unexpected paging link"):
        client.next_page("https://elsewhere.example/v2/entries?start=1")
    with pytest.raises(ExchangeError, match="an entry without an id"):
        client._page(
            b"<queryResult><images><image><member id='1'/></image></images></queryResult>", "x"
        )
    assert client.status() == (1, "Our Service")
    client.close()


def test_feedback_agrees_and_disagrees_per_fingerprint(fake: FakeNcmec, base_url: str) -> None:
    ncmec = make_exchange(
        "ncmec", "ncmec", {"base_url": base_url}, {"username": "esp", "password": "pw"},
        access=LOOPBACK,
    )  # fmt: skip
    ncmec.send_feedback(Record("42-img1", (Signal("md5", md5(1)),)), Opinion.TRUE_POSITIVE, "")
    ncmec.send_feedback(Record("42-img1", (Signal("pdq", pdq(1)),)), Opinion.FALSE_POSITIVE, "")
    (first_path, first), (second_path, second) = fake.feedback
    assert first_path == "/v2/entries/42/img1/MD5/feedback"
    assert first == (
        b'<feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2">'
        b"<affirmative /></feedbackSubmission>"
    )
    assert second_path == "/v2/entries/42/img1/PDQ/feedback"
    assert b"<negative><reasonIds><guid>01234567-abcd-0123-4567-012345678900</guid>" in second
    fake.reasons["89abcdef-0000-0000-0000-000000000000"] = "Another reason"
    with pytest.raises(ExchangeError, match="set false_positive_reason"):
        ncmec.send_feedback(Record("42-img1", (Signal("md5", md5(1)),)), Opinion.FALSE_POSITIVE, "")
    with pytest.raises(ExchangeError, match="agreement or disagreement only"):
        ncmec.send_feedback(Record("42-img1", (Signal("md5", md5(1)),)), Opinion.DISPUTED, "")
    with pytest.raises(ExchangeError, match="not an NCMEC entry id"):
        ncmec.send_feedback(Record("img1", (Signal("md5", md5(1)),)), Opinion.TRUE_POSITIVE, "")
    with pytest.raises(ExchangeError, match="no feedback on vpdq"):
        ncmec.send_feedback(Record("42-v", (Signal("vpdq", "[]"),)), Opinion.TRUE_POSITIVE, "")


def test_a_huge_window_is_narrowed_before_anything_is_applied(
    store: BankStore, exchanges: ExchangeStore
) -> None:
    start = NOW - 3 * DAY
    fake = FakeNcmec(page_size=2)
    for n in range(5):  # all in the first minute of the first window
        fake.put(FakeEntry(42, f"e{n}", "image", start + 10 + n, {"md5": md5(n)}))
    fake.announce_max = 500_000  # every window claims to hold half a million entries
    with fake.serving() as url:
        add_ncmec(store, exchanges, url, start=start)
        result = Syncer(store, exchanges).sync("ncmec")
    assert result.error is None
    assert sorted(held(store)) == [f"42-e{n}" for n in range(5)]
    firsts = [parse_qs(urlsplit(p).query) for _, p in fake.requests if "start=" not in p]
    spans = [
        datetime.fromisoformat(q["to"][0]).timestamp()
        - datetime.fromisoformat(q["from"][0]).timestamp()
        for q in firsts[:6]
    ]
    assert spans == [DAY, DAY / 4, DAY / 16, DAY / 64, 337, 84]  # until a window is small
