"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signing, retries, dead rows, races."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
import threading
import time
from datetime import timedelta

import pytest

from bastion.actions import ActionStore, Outbox, WebhookDeliverer, verify_signature
from bastion.actions.outbox import claim_next
from bastion.exchange.secrets import CredentialBox
from bastion.store import Database
from tests.actions.conftest import CONTENT, Clock, Receiver, match

SECRET = "test-secret-0123456789"


def refused_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_delivery_is_signed_and_carries_the_event(
    actions: ActionStore,
    db: Database,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
    box: CredentialBox,
) -> None:
    rule = actions.add_webhook("known", receiver.url, secret=SECRET)
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 1
    (row,) = Outbox(db).list()
    with WebhookDeliverer(db, box, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 1
        assert deliverer.deliver_due() == 0  # delivered once, not again

    (got,) = receiver.requests
    assert got.path == "/hook"
    timestamp = str(int(clock.now.timestamp()))
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-bastion-event"] == "match"
    assert got.headers["x-bastion-delivery"] == str(row.id)
    assert got.headers["x-bastion-timestamp"] == timestamp
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["x-bastion-signature"] == "sha256=" + expected.hexdigest()
    assert verify_signature(
        SECRET, timestamp, got.body, got.headers["x-bastion-signature"], now=float(timestamp)
    )
    assert not verify_signature(
        SECRET, timestamp, got.body + b" ", got.headers["x-bastion-signature"], now=float(timestamp)
    )
    assert not verify_signature(  # a replay ten minutes later is refused
        SECRET, timestamp, got.body, got.headers["x-bastion-signature"], now=float(timestamp) + 600
    )

    event = got.json()
    assert event == row.payload
    assert (event["event_type"], event["bank"], event["entry_id"]) == ("match", "known", entry_id)
    assert (event["signal_type"], event["distance"], event["quality"]) == ("pdq", 3, 90)
    assert event["content"] == CONTENT
    assert SECRET.encode() not in got.body
    assert "metadata" not in event  # entry metadata stays in bastion

    done = Outbox(db).get(row.id)
    assert (done.status, done.attempts, done.delivered_at) == ("delivered", 1, clock.now)
    assert (done.claimed_until, done.last_error) == (None, None)
    assert Outbox(db).counts() == {"pending": 0, "delivered": 1, "dead": 0}
    assert rule.id == done.rule_id


def test_a_failing_receiver_is_retried_with_backoff(
    actions: ActionStore,
    db: Database,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
    box: CredentialBox,
) -> None:
    actions.add_webhook("known", receiver.url, secret=SECRET)
    actions.record_matches([match(entry_id)], content=CONTENT)
    receiver.statuses = [500, 503]
    with WebhookDeliverer(
        db, box, clock=clock, backoff_base=1.0, rng=random.Random(7)
    ) as deliverer:
        assert deliverer.deliver_due() == 0
        (row,) = Outbox(db).list()
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
        delay = (row.next_attempt_at - clock.now).total_seconds()
        assert 1.6 <= delay <= 2.4  # 1 s * 2**1, ±20%

        assert deliverer.deliver_due() == 0  # not due yet: nothing is sent
        assert len(receiver.requests) == 1
        clock.advance(delay)
        assert deliverer.deliver_due() == 0
        row = Outbox(db).get(row.id)
        assert (row.attempts, row.last_error) == (2, "HTTP 503")
        delay = (row.next_attempt_at - clock.now).total_seconds()
        assert 3.2 <= delay <= 4.8  # 1 s * 2**2, ±20%

        clock.advance(delay)
        assert deliverer.deliver_due() == 1
    row = Outbox(db).get(row.id)
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 3, clock.now)
    # Every attempt is the same delivery of the same event, freshly signed.
    assert len({r.headers["x-bastion-delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_retried_then_dead(
    actions: ActionStore, db: Database, entry_id: int, clock: Clock, box: CredentialBox
) -> None:
    url = refused_url()
    actions.add_webhook("known", url, secret=SECRET)
    actions.record_matches([match(entry_id)], content=CONTENT)
    with WebhookDeliverer(db, box, clock=clock, max_attempts=3) as deliverer:
        for attempt in (1, 2, 3):
            assert deliverer.deliver_due() == 0
            (row,) = Outbox(db).list()
            assert row.attempts == attempt
            assert row.last_error is not None
            assert row.last_error.startswith("ConnectError")
            assert SECRET not in row.last_error
            assert url not in row.last_error
            clock.advance(3600)
        assert row.status == "dead"
        assert deliverer.deliver_due() == 0  # dead rows are left alone
        assert Outbox(db).counts() == {"pending": 0, "delivered": 0, "dead": 1}
        retried = Outbox(db).retry(row.id)  # an operator gives it another chance
        assert (retried.status, retried.attempts) == ("pending", 0)


def test_backoff_is_capped_at_an_hour(
    actions: ActionStore,
    db: Database,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
    box: CredentialBox,
) -> None:
    actions.add_webhook("known", receiver.url)
    actions.record_matches([match(entry_id)], content=CONTENT)
    receiver.statuses = [500]
    with WebhookDeliverer(db, box, clock=clock, backoff_base=10_000) as deliverer:
        deliverer.deliver_due()
    (row,) = Outbox(db).list()
    assert row.next_attempt_at == clock.now + timedelta(hours=1)


def test_redirects_are_not_followed(
    actions: ActionStore,
    db: Database,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
    box: CredentialBox,
) -> None:
    actions.add_webhook("known", receiver.url)
    actions.record_matches([match(entry_id)], content=CONTENT)
    receiver.statuses = [302]
    with WebhookDeliverer(db, box, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 0
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert Outbox(db).list()[0].last_error == "HTTP 302 (redirects are not followed)"


def test_a_disabled_webhook_holds_its_deliveries(
    actions: ActionStore,
    db: Database,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
    box: CredentialBox,
) -> None:
    rule = actions.add_webhook("known", receiver.url)
    actions.record_matches([match(entry_id)], content=CONTENT)
    actions.set_enabled(rule.id, False)
    with WebhookDeliverer(db, box, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 0
        assert receiver.requests == []
        actions.set_enabled(rule.id, True)
        assert deliverer.deliver_due() == 1
    assert len(receiver.requests) == 1


def test_racing_deliverers_never_send_a_row_twice(
    actions: ActionStore,
    db: Database,
    database_url: str,
    entry_id: int,
    receiver: Receiver,
    box: CredentialBox,
) -> None:
    actions.add_webhook("known", receiver.url)
    rows = 40
    actions.record_matches([match(entry_id + i) for i in range(rows)], content=CONTENT)
    workers = 4
    databases = [db] + [Database.open(database_url) for _ in range(workers - 1)]
    deliverers = [WebhookDeliverer(d, box) for d in databases]
    start = threading.Barrier(workers)
    delivered = [0] * workers

    def work(i: int) -> None:
        start.wait()
        delivered[i] = deliverers[i].deliver_due()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for deliverer in deliverers:
        deliverer.close()
    for extra in databases[1:]:
        extra.close()

    ids = [r.headers["x-bastion-delivery"] for r in receiver.requests]
    assert sorted(ids) == sorted({str(r.id) for r in Outbox(db).list()})  # each exactly once
    assert sum(delivered) == rows
    assert Outbox(db).counts()["delivered"] == rows


def test_the_background_loop_delivers_and_stops(
    actions: ActionStore, db: Database, entry_id: int, receiver: Receiver, box: CredentialBox
) -> None:
    actions.add_webhook("known", receiver.url)
    with WebhookDeliverer(db, box) as deliverer, deliverer.in_background(interval=0.02) as thread:
        actions.record_matches([match(entry_id)], content=CONTENT)  # queued while it runs
        deadline = time.monotonic() + 5
        while Outbox(db).counts()["delivered"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not thread.is_alive()
    assert Outbox(db).counts()["delivered"] == 1
    assert json.loads(receiver.requests[0].body)["entry_id"] == entry_id


def test_claims_exclude_each_other(
    actions: ActionStore, db: Database, entry_id: int, clock: Clock
) -> None:
    actions.add_webhook("known", "http://127.0.0.1:9/hook")
    actions.record_matches([match(entry_id)], content=CONTENT)
    until = clock.now + timedelta(seconds=10)
    first = claim_next(db, now=clock.now, until=until)
    assert first is not None
    assert claim_next(db, now=clock.now, until=until) is None  # held
    assert claim_next(db, now=until - timedelta(microseconds=1), until=until) is None
    again = claim_next(db, now=until, until=until + timedelta(seconds=10))  # expired
    assert again is not None
    assert again.id == first.id


@pytest.mark.parametrize("max_attempts", [0, -1])
def test_max_attempts_must_be_positive(db: Database, max_attempts: int, box: CredentialBox) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        WebhookDeliverer(db, box, max_attempts=max_attempts)
