"""StopNCII against a fake StopNCII on 127.0.0.1: paging with continuation tokens, the next
start, tombstones by status, malformed records and feedback."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.banks import BankStore
from bastion.exchange.api import ExchangeError, Opinion, Record
from bastion.exchange.impl import make_exchange
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.signals import Signal
from bastion.store import Database
from tests.exchange.fakes import LOOPBACK, FakeStopNcii

CREDENTIALS = {"subscription_key": "sub", "fetch_key": "fk", "feedback_key": "bk"}


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


@pytest.fixture
def fake() -> FakeStopNcii:
    fake = FakeStopNcii()
    blocked = [{"source": "Facebook", "feedbackValue": "Blocked", "tags": ["t"]}]
    for n in range(7):
        fake.put("ImagePDQ", pdq(n), "Active", 1_625_000_000 + n, CSPFeedbacks=blocked)
    fake.put("VideoMD5", "c" * 32, "Received", 1_625_000_100)
    fake.put("VideoTMK", "xyz", "Active", 1_625_000_101)  # not a type bastion takes
    fake.put("URL", "https://example.org/shared", "Active", 1_625_000_101)
    fake.extra_raw = [{"signalType": "ImagePDQ", "hashValue": pdq(99), "hashStatus": "Undefined"}]
    return fake


@pytest.fixture
def url(fake: FakeStopNcii) -> Iterator[str]:
    with fake.serving() as base:
        yield base


@pytest.fixture
def exchanges(db: Database, tmp_path: Path) -> ExchangeStore:
    return ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "keys"), access=LOOPBACK)


def test_hashes_are_paged_synced_and_withdrawn(
    store: BankStore, exchanges: ExchangeStore, fake: FakeStopNcii, url: str
) -> None:
    store.create_bank("ncii")
    exchanges.add(
        "ncii", kind="stop_ncii", bank="ncii",
        config={"base_url": url, "page_size": 3}, credentials=CREDENTIALS,
    )  # fmt: skip
    result = Syncer(store, exchanges).sync("ncii")
    assert result.error is None
    held = {e.provenance.upstream_id: e for e in store.iter_entries("ncii")}
    assert len(held) == 9
    assert held["URL:https://example.org/shared"].signals == (Signal("url", "example.org/shared"),)
    assert result.skipped == 2  # the TMK record, and the one with an undocumented status
    entry = held[f"ImagePDQ:{pdq(3)}"]
    assert entry.signals == (Signal("pdq", pdq(3)),)
    assert entry.metadata["stopncii"]["feedbacks"][0]["feedbackValue"] == "Blocked"
    assert any("nextPageToken" in r for r in fake.requests)
    assert exchanges.get("ncii").checkpoint == {"start": 1_625_000_102}  # the last + 1

    fake.put("ImagePDQ", pdq(1), "Withdrawn", 1_625_000_200)
    fake.put("ImagePDQ", pdq(50), "Active", 1_625_000_201)
    again = Syncer(store, exchanges).sync("ncii")
    assert again.error is None
    assert (again.counts.added, again.counts.deleted) == (1, 1)
    held = {e.provenance.upstream_id for e in store.iter_entries("ncii")}
    assert f"ImagePDQ:{pdq(1)}" not in held
    assert f"ImagePDQ:{pdq(50)}" in held


def test_keys_are_required_and_checked(
    store: BankStore, exchanges: ExchangeStore, url: str
) -> None:
    store.create_bank("ncii")
    with pytest.raises(ExchangeError, match="missing credentials: fetch_key"):
        make_exchange("stop_ncii", "x", {"base_url": url}, {"subscription_key": "sub"})
    exchanges.add(
        "ncii", kind="stop_ncii", bank="ncii", config={"base_url": url, "retries": 0},
        credentials={**CREDENTIALS, "fetch_key": "wrong"},
    )  # fmt: skip
    refused = Syncer(store, exchanges).sync("ncii")
    assert refused.error is not None
    assert "HTTP 401 (credentials refused or expired)" in refused.error


def test_feedback_is_blocked_or_not_blocked(fake: FakeStopNcii, url: str) -> None:
    ncii = make_exchange("stop_ncii", "ncii", {"base_url": url}, CREDENTIALS, access=LOOPBACK)
    ncii.send_feedback(Record(f"ImagePDQ:{pdq(2)}", ()), Opinion.TRUE_POSITIVE, "")
    ncii.send_feedback(Record(f"ImagePDQ:{pdq(3)}", ()), Opinion.FALSE_POSITIVE, "")
    assert fake.feedback == [
        {
            "count": 1,
            "hashFeedbacks": [{"tags": [], "feedbackValue": "Blocked", "hashValue": pdq(2)}],
        },
        {
            "count": 1,
            "hashFeedbacks": [{"tags": [], "feedbackValue": "NotBlocked", "hashValue": pdq(3)}],
        },
    ]
    with pytest.raises(ExchangeError, match="Blocked or NotBlocked only"):
        ncii.send_feedback(Record(f"ImagePDQ:{pdq(2)}", ()), Opinion.DISPUTED, "")
    no_key = make_exchange(
        "stop_ncii", "ncii", {"base_url": url}, {"subscription_key": "sub", "fetch_key": "fk"},
        access=LOOPBACK,
    )  # fmt: skip
    with pytest.raises(ExchangeError, match="no function key for SubmitFeedback"):
        no_key.send_feedback(Record(f"ImagePDQ:{pdq(2)}", ()), Opinion.TRUE_POSITIVE, "")


def test_a_page_that_is_not_json_stops_the_sync_where_it_was(
    store: BankStore, exchanges: ExchangeStore, fake: FakeStopNcii, url: str
) -> None:
    store.create_bank("ncii")
    exchanges.add(
        "ncii", kind="stop_ncii", bank="ncii",
        config={"base_url": url, "page_size": 3}, credentials=CREDENTIALS,
    )  # fmt: skip
    fake.broken_pages = {3}  # the second page
    broken = Syncer(store, exchanges).sync("ncii")
    assert broken.error == "ncii: the answer is not JSON"
    assert len(list(store.iter_entries("ncii"))) == 3  # the first page, and no more
    checkpoint = exchanges.get("ncii").checkpoint
    assert checkpoint is not None
    assert "token" in checkpoint  # mid-paging: the next sync asks for the second page again
    resumed = Syncer(store, exchanges).sync("ncii")
    assert resumed.error is None
    assert len(list(store.iter_entries("ncii"))) == 9


def test_records_that_cannot_be_kept_are_skipped_and_the_rest_applied(
    store: BankStore, exchanges: ExchangeStore, fake: FakeStopNcii, url: str
) -> None:
    fake.put("URL", "example.com:abc/x", "Active", 1_625_000_102)  # a port that is not one
    fake.put("URL", "http://[::1/x", "Active", 1_625_000_103)  # a bracket left open
    fake.put("ImagePDQ", pdq(60), "Active", 1_625_000_104, caseNumbers={"case": "\ud800"})
    fake.put("ImagePDQ", pdq(61), "Active", 1_625_000_105, CSPFeedbacks=["\x00"])
    store.create_bank("ncii")
    exchanges.add(
        "ncii", kind="stop_ncii", bank="ncii", config={"base_url": url}, credentials=CREDENTIALS
    )
    result = Syncer(store, exchanges).sync("ncii")
    assert result.error is None
    assert (result.counts.added, result.skipped) == (9, 2 + 4)
    held = {e.provenance.upstream_id for e in store.iter_entries("ncii")}
    assert f"ImagePDQ:{pdq(6)}" in held
    assert not {f"ImagePDQ:{pdq(60)}", f"ImagePDQ:{pdq(61)}"} & held
    assert exchanges.list()[0].last_error is None
