"""ThreatExchange against a fake Graph API on 127.0.0.1: threat updates paged by
`paging.next`, deletions, type mapping, an empty page, a paging link elsewhere, reactions."""

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
from tests.exchange.fakes import LOOPBACK, FakeThreatExchange

TOKEN = "12345678|abcdefghijklmnopqrstuvwxyz"
GROUP = 1012185296055235


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


@pytest.fixture
def fake() -> FakeThreatExchange:
    fake = FakeThreatExchange(token=TOKEN, group=GROUP)
    for n in range(5):
        fake.put(f"30{n}", pdq(n), "HASH_PDQ", 1_593_628_000 + n)
    fake.put("401", "f" * 32, "HASH_MD5", 1_593_628_100, tags=("media_type_video",))
    fake.put("402", "e" * 32, "HASH_MD5", 1_593_628_101)
    fake.put("403", "https://Example.com/x", "URI", 1_593_628_102)
    fake.put("404", "face" * 8, "HASH_URL_MD5", 1_593_628_103)  # not a type bastion takes
    return fake


@pytest.fixture
def url(fake: FakeThreatExchange) -> Iterator[str]:
    with fake.serving() as base:
        yield base


@pytest.fixture
def exchanges(db: Database, tmp_path: Path) -> ExchangeStore:
    return ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "keys"), access=LOOPBACK)


def add(store: BankStore, exchanges: ExchangeStore, url: str) -> None:
    store.create_bank("te")
    exchanges.add(
        "te", kind="fb_threatexchange", bank="te",
        config={"privacy_group": GROUP, "base_url": url, "limit": 3},
        credentials={"access_token": TOKEN},
    )  # fmt: skip


def test_threat_updates_are_paged_mapped_and_deleted(
    store: BankStore, exchanges: ExchangeStore, fake: FakeThreatExchange, url: str
) -> None:
    add(store, exchanges, url)
    result = Syncer(store, exchanges).sync("te")
    assert result.error is None
    held = {e.provenance.upstream_id: e for e in store.iter_entries("te")}
    assert sorted(held) == ["300", "301", "302", "303", "304", "401", "402", "403"]
    assert held["403"].signals == (Signal("url", "example.com/x"),)
    assert held["401"].signals == (Signal("video_md5", "f" * 32),)
    assert held["402"].signals == (Signal("md5", "e" * 32),)
    assert held["300"].metadata["threatexchange"]["descriptors"][0]["status"] == "MALICIOUS"
    assert result.skipped == 1
    assert exchanges.get("te").checkpoint == {"update_time": 1_593_628_103}
    assert all("access_token" in r for r in fake.requests)

    fake.put("301", pdq(1), "HASH_PDQ", 1_593_629_000, delete=True)
    again = Syncer(store, exchanges).sync("te")
    assert again.error is None
    assert again.counts.deleted == 1
    assert "301" not in {e.provenance.upstream_id for e in store.iter_entries("te")}


def test_an_empty_page_is_taken_in_stride(
    store: BankStore, exchanges: ExchangeStore, fake: FakeThreatExchange, url: str
) -> None:
    fake.empty_first_page = True  # python-threatexchange asserts on this
    add(store, exchanges, url)
    assert Syncer(store, exchanges).sync("te").error is None
    assert len(list(store.iter_entries("te"))) == 8


def test_a_paging_link_to_another_host_is_refused_and_the_token_kept(
    store: BankStore, exchanges: ExchangeStore, fake: FakeThreatExchange, url: str
) -> None:
    fake.next_host = "http://127.0.0.2:9/v21.0"
    add(store, exchanges, url)
    result = Syncer(store, exchanges).sync("te")
    assert result.error is not None
    assert "paging link to somewhere else was refused" in result.error
    assert TOKEN not in result.error
    assert len(list(store.iter_entries("te"))) == 3  # the first page stands


def test_a_bad_token_is_reported(store: BankStore, exchanges: ExchangeStore, url: str) -> None:
    add(store, exchanges, url)
    exchanges.update("te", credentials={"access_token": "12345678|wrongwrongwrongwrongwrong"})
    result = Syncer(store, exchanges).sync("te")
    assert result.error is not None
    assert "HTTP 400" in result.error
    assert "wrongwrong" not in result.error


def test_feedback_reacts_on_the_descriptors(fake: FakeThreatExchange, url: str) -> None:
    te = make_exchange(
        "fb_threatexchange", "te", {"privacy_group": GROUP, "base_url": url},
        {"access_token": TOKEN}, access=LOOPBACK,
    )  # fmt: skip
    metadata = {"threatexchange": {"descriptors": [{"id": "d300"}, {"id": "d999"}]}}
    te.send_feedback(Record("300", (), metadata), Opinion.TRUE_POSITIVE, "")
    te.send_feedback(Record("300", (), metadata), Opinion.DISPUTED, "")
    assert fake.reactions == [
        ("d300", "HELPFUL"), ("d999", "HELPFUL"),
        ("d300", "DISAGREE_WITH_TAGS"), ("d999", "DISAGREE_WITH_TAGS"),
    ]  # fmt: skip
    with pytest.raises(ExchangeError, match="no descriptor to react on"):
        te.send_feedback(Record("300"), Opinion.FALSE_POSITIVE, "")


def test_updates_that_cannot_be_kept_are_skipped_and_the_rest_applied(
    store: BankStore, exchanges: ExchangeStore, fake: FakeThreatExchange, url: str
) -> None:
    fake.put("501", "http://[::1/x", "URI", 1_593_628_200)  # a bracket left open
    fake.put("502", "example.com:99999", "RAW_URI", 1_593_628_201)  # no such port
    fake.put("503", pdq(7), "HASH_PDQ", 1_593_628_202, owner="\ud800")
    fake.put("504", pdq(8), "HASH_PDQ", 1_593_628_203, tags=("a\x00b",))
    add(store, exchanges, url)
    result = Syncer(store, exchanges).sync("te")
    assert result.error is None
    assert (result.counts.added, result.skipped) == (8, 1 + 4)
    held = {e.provenance.upstream_id for e in store.iter_entries("te")}
    assert "300" in held
    assert not {"501", "502", "503", "504"} & held
