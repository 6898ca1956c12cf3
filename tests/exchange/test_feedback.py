"""Feedback on fetched entries, queued and sent to the fake NCMEC: retried while it fails,
kept after the entry is gone, refused for entries no exchange sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.errors import ValidationError
from bastion.exchange.feedback import FeedbackQueue, FeedbackStatus
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import ExchangeFeedbackRow, utcnow
from tests.exchange.fakes import LOOPBACK, FakeEntry, FakeNcmec

NOW = int(time.time())


@pytest.fixture
def fake() -> Iterator[tuple[FakeNcmec, str]]:
    fake = FakeNcmec()
    fake.put(FakeEntry(42, "img1", "image", NOW - 100, {"md5": "1" * 32, "pdq": "a" * 64}))
    with fake.serving() as url:
        yield fake, url


@pytest.fixture
def box(tmp_path: Path) -> CredentialBox:
    return CredentialBox.for_settings("", tmp_path / "keys")


@pytest.fixture
def entry_id(
    store: BankStore, db: Database, box: CredentialBox, fake: tuple[FakeNcmec, str]
) -> int:
    exchanges = ExchangeStore(db, box, access=LOOPBACK)
    store.create_bank("ncmec")
    exchanges.add(
        "ncmec",
        kind="ncmec",
        bank="ncmec",
        config={"base_url": fake[1], "start": NOW - 1000, "lag_seconds": 0, "retries": 0},
        credentials={"username": "esp", "password": "pw"},
    )
    assert Syncer(store, exchanges).sync("ncmec").error is None
    [entry] = store.iter_entries("ncmec")
    return entry.id


def test_feedback_is_queued_then_sent_for_every_fingerprint(
    db: Database, box: CredentialBox, fake: tuple[FakeNcmec, str], entry_id: int
) -> None:
    queue = FeedbackQueue(db, box, access=LOOPBACK)
    given = queue.give(entry_id, "true_positive", note="confirmed by review", given_by="alice")
    assert (given.status, given.upstream_id, given.exchange) == ("pending", "42-img1", "ncmec")
    assert fake[0].feedback == []  # nothing is sent until the queue is delivered
    assert queue.deliver_due() == 1
    assert sorted(path for path, _ in fake[0].feedback) == [
        "/v2/entries/42/img1/MD5/feedback",
        "/v2/entries/42/img1/PDQ/feedback",
    ]
    [sent] = queue.list(entry_id=entry_id)
    assert (sent.status, sent.attempts, sent.given_by) == (FeedbackStatus.SENT, 1, "alice")
    assert queue.deliver_due() == 0  # sent once


def test_a_failing_source_is_retried_later_and_the_entry_may_go(
    db: Database, store: BankStore, box: CredentialBox, fake: tuple[FakeNcmec, str], entry_id: int
) -> None:
    queue = FeedbackQueue(db, box, access=LOOPBACK)
    queue.give(entry_id, "false_positive")
    fake[0].fail_next = [503]
    assert queue.deliver_due() == 0
    [waiting] = queue.list()
    assert (waiting.status, waiting.attempts) == (FeedbackStatus.PENDING, 1)
    assert waiting.last_error is not None
    assert "HTTP 503" in waiting.last_error
    assert queue.deliver_due() == 0  # backed off: not due again yet
    store.delete_entry(entry_id)  # the feedback keeps its own copy of what to send
    with db.session() as s:  # time passes
        row = s.query(ExchangeFeedbackRow).one()
        row.next_attempt_at = utcnow()
    assert queue.deliver_due() == 1
    [sent] = queue.list()
    assert sent.status is FeedbackStatus.SENT
    assert all(b"<negative>" in body for _, body in fake[0].feedback)


def test_only_entries_from_an_exchange_take_feedback(
    db: Database, store: BankStore, box: CredentialBox, entry_id: int
) -> None:
    queue = FeedbackQueue(db, box, access=LOOPBACK)
    store.create_bank("ours")
    [own] = store.add_entries("ours", [NewEntry(signals=(Signal("md5", "2" * 32),))], source="api")
    with pytest.raises(ValidationError, match="not fetched from an exchange"):
        queue.give(own, "true_positive")
    with pytest.raises(ValidationError, match="opinion must be one of"):
        queue.give(entry_id, "maybe")
    queue.give(entry_id, "disputed")
    queue.deliver_due()
    [unsupported] = queue.list()
    assert unsupported.status is FeedbackStatus.UNSUPPORTED
    assert unsupported.last_error is not None
    assert "agreement or disagreement only" in unsupported.last_error
