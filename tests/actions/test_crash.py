"""Killing a deliverer mid-request loses no webhook: the claim expires, the row goes again."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bastion.actions import ActionStore, Outbox, WebhookDeliverer
from bastion.exchange.secrets import CredentialBox
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.models import utcnow
from tests.actions.conftest import CONTENT, Receiver, match

CHILD = Path(__file__).with_name("deliver_once.py")
CLAIM_SECONDS = 60


def test_a_deliverer_killed_mid_request_loses_nothing(
    actions: ActionStore,
    db: Database,
    database_url: str,
    entry_id: int,
    receiver: Receiver,
    box: CredentialBox,
    settings: Settings,
) -> None:
    actions.add_webhook("known", receiver.url, secret="crash-test-secret-123")
    actions.record_matches([match(entry_id)], content=CONTENT)
    (row,) = Outbox(db).list()

    # A separate process claims the row and POSTs it; the receiver holds the response.
    receiver.block = True
    child = subprocess.Popen(
        [sys.executable, str(CHILD), database_url, str(settings.data_dir), str(CLAIM_SECONDS)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not receiver.arrived.wait(timeout=20):
            child.kill()
            _, err = child.communicate(timeout=10)
            pytest.fail(f"the child never delivered: {err.decode(errors='replace')[-2000:]}")
        claimed = Outbox(db).get(row.id)
        assert (claimed.status, claimed.attempts) == ("pending", 0)
        assert claimed.claimed_until is not None
        child.send_signal(signal.SIGKILL)  # mid-request: no handler runs, nothing is marked
        child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    receiver.block = False
    receiver.release.set()

    # Nothing was marked: the row is still pending, and still claimed by the dead process.
    after_kill = Outbox(db).get(row.id)
    assert (after_kill.status, after_kill.attempts) == ("pending", 0)
    with WebhookDeliverer(db, box) as now:
        assert now.deliver_due() == 0  # the claim holds until it expires
    assert len(receiver.requests) == 1

    # Once the claim has expired, a fresh deliverer sends it again.
    later = utcnow() + timedelta(seconds=CLAIM_SECONDS + 1)
    with WebhookDeliverer(db, box, clock=lambda: later) as fresh:
        assert fresh.deliver_due() == 1
    done = Outbox(db).get(row.id)
    assert (done.status, done.attempts, done.claimed_until) == ("delivered", 1, None)

    # At least once: the receiver saw the same delivery twice and can dedupe on its id.
    first, second = receiver.requests
    assert first.body == second.body
    assert first.json() == row.payload
    assert first.headers["x-bastion-delivery"] == second.headers["x-bastion-delivery"]
    assert first.json()["event_id"] == second.json()["event_id"]
