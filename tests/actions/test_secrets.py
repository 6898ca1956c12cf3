"""Webhook secrets at rest: sealed in the database, sealed on upgrade from clear text, rotated
without dropping a delivery, and every change to a rule in the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import select

from bastion.actions import ActionStore, Outbox, RuleKind, WebhookDeliverer, verify_signature
from bastion.actions.rules import MAX_GRACE
from bastion.audit import AuditLog
from bastion.errors import NotFoundError, ValidationError
from bastion.exchange.secrets import CredentialBox
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.database import create_database_engine
from bastion.store.migrations import alembic_config
from bastion.store.models import ActionRuleRow
from bastion.web.app import create_app
from tests.actions.conftest import CONTENT, Clock, Receiver, match

SECRET = "first-secret-0123456789"
NEW_SECRET = "second-secret-9876543210"
LEGACY_SECRET = "legacy-clear-secret-5f3a9c"


def stored_rule(db: Database, rule_id: int) -> ActionRuleRow:
    with db.session() as s:
        row = s.get(ActionRuleRow, rule_id)
        assert row is not None
        return row


def sqlite_bytes(url: str) -> bytes:
    """The database file and its write-ahead log, as a thief copying them would get them."""
    path = Path(sa.engine.make_url(url).database or "")
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def verifies(secret: str, request_headers: dict[str, str], body: bytes) -> bool:
    return verify_signature(
        secret,
        request_headers["x-bastion-timestamp"],
        body,
        request_headers["x-bastion-signature"],
        tolerance=10**10,  # the test's clock is its own
    )


def test_a_webhook_secret_is_stored_sealed(
    actions: ActionStore, db: Database, database_url: str, entry_id: int
) -> None:
    rule = actions.add_webhook("known", "https://hooks.example/in", secret=SECRET)
    conversation = actions.add_conversation_rule(RuleKind.WEBHOOK, "https://hooks.example/c")
    assert rule.secret == SECRET
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM action_rules"))]
    assert len(rows) == 2
    for row in rows:
        assert row["clear_secret"] is None
        assert row["sealed_secret"]
        assert SECRET not in json.dumps(row, default=str)
        assert str(conversation.secret) not in json.dumps(row, default=str)
    if database_url.startswith("sqlite"):
        assert SECRET.encode() not in sqlite_bytes(database_url)


def test_a_box_with_another_key_cannot_sign_and_sends_nothing(
    actions: ActionStore, db: Database, entry_id: int, receiver: Receiver, clock: Clock
) -> None:
    rule = actions.add_webhook("known", receiver.url, secret=SECRET)
    actions.record_matches([match(entry_id)], content=CONTENT)
    other = CredentialBox(Fernet.generate_key())  # secret_key changed, or a stolen database
    with WebhookDeliverer(db, other, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 0
    assert receiver.requests == []
    (row,) = Outbox(db).list()
    assert (row.status, row.attempts) == ("pending", 1)  # retried later, not lost
    assert row.last_error is not None
    assert "cannot be read with this secret key" in row.last_error
    assert f"bastion action rotate-secret {rule.id}" in row.last_error
    assert SECRET not in row.last_error


# Upgrading from clear text -----------------------------------------------------------------


def legacy_database(url: str) -> tuple[int, int]:
    """A database as version 0011 left it: a webhook rule whose secret is in clear, and a
    delivery waiting in its outbox. Returns (rule id, outbox row id)."""
    engine = create_database_engine(url)
    try:
        command.upgrade(alembic_config(engine), "0011")
        now = datetime.now(UTC)
        if engine.dialect.name == "sqlite":
            now = now.replace(tzinfo=None)  # how SQLAlchemy stores times in SQLite
        tables = sa.MetaData()
        tables.reflect(engine, only=["banks", "action_rules", "outbox"])
        with engine.begin() as conn:
            bank_id = conn.execute(
                tables.tables["banks"]
                .insert()
                .values(
                    name="known",
                    description="",
                    enabled=True,
                    thresholds={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(tables.tables["banks"].c.id)
            ).scalar_one()
            rule_id = conn.execute(
                tables.tables["action_rules"]
                .insert()
                .values(
                    bank_id=bank_id,
                    scope="bank",
                    kind="webhook",
                    url="http://127.0.0.1:9/x",
                    secret=LEGACY_SECRET,
                    enabled=True,
                    created_at=now,
                )
                .returning(tables.tables["action_rules"].c.id)
            ).scalar_one()
            outbox_id = conn.execute(
                tables.tables["outbox"]
                .insert()
                .values(
                    rule_id=rule_id,
                    payload={"event_type": "match", "bank": "known"},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .returning(tables.tables["outbox"].c.id)
            ).scalar_one()
    finally:
        engine.dispose()
    return rule_id, outbox_id


def test_clear_secrets_are_sealed_on_upgrade_and_still_sign(
    database_url: str, box: CredentialBox, receiver: Receiver
) -> None:
    rule_id, outbox_id = legacy_database(database_url)
    db = Database.open(database_url)  # migrates to the newest version
    try:
        kept = stored_rule(db, rule_id)
        assert (kept.clear_secret, kept.sealed_secret) == (LEGACY_SECRET, None)
        # Rebuilding action_rules (SQLite's batch mode) cascaded into nothing.
        assert [r.id for r in Outbox(db).list()] == [outbox_id]
        sqlite = database_url.startswith("sqlite")
        if sqlite:
            assert LEGACY_SECRET.encode() in sqlite_bytes(database_url)  # what the fix removes

        actions = ActionStore(db, box)
        assert actions.seal_clear_secrets() == 1
        sealed = stored_rule(db, rule_id)
        assert sealed.clear_secret is None
        assert sealed.sealed_secret is not None
        assert box.open(sealed.sealed_secret, owner="test") == {"secret": LEGACY_SECRET}
        if sqlite:
            assert LEGACY_SECRET.encode() not in sqlite_bytes(database_url)
        assert actions.seal_clear_secrets() == 0  # once is enough

        # The delivery queued before the upgrade is sent, signed with the same secret.
        with db.session() as s:
            s.execute(sa.update(ActionRuleRow).values(url=receiver.url))
        with WebhookDeliverer(db, box) as deliverer:
            assert deliverer.deliver_due() == 1, Outbox(db).list()
        (got,) = receiver.requests
        assert got.headers["x-bastion-delivery"] == str(outbox_id)
        assert verifies(LEGACY_SECRET, got.headers, got.body)
    finally:
        db.close()


def test_downgrading_disables_rules_whose_secret_only_a_key_can_read(
    actions: ActionStore, db: Database, entry_id: int
) -> None:
    sealed = actions.add_webhook("known", "https://hooks.example/in", secret=SECRET)
    review = actions.add_review("known")
    actions.record_matches([match(entry_id)], content=CONTENT)
    command.downgrade(alembic_config(db.engine), "0011")
    with db.engine.connect() as conn:
        rules = dict(conn.execute(sa.text("SELECT id, enabled FROM action_rules")).all())
        waiting = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar()
    # Version 0011 would sign with an empty secret: the rule waits for a new one instead.
    assert rules == {sealed.id: False, review.id: True}
    assert waiting == 1
    command.upgrade(alembic_config(db.engine), "head")


def test_the_service_seals_clear_secrets_when_it_starts(
    settings: Settings, box: CredentialBox
) -> None:
    rule_id, _ = legacy_database(settings.database_url)
    app = create_app(settings)
    db = app.state.services.db
    try:
        row = stored_rule(db, rule_id)
        assert row.clear_secret is None
        assert row.sealed_secret is not None
        assert box.open(row.sealed_secret, owner="test") == {"secret": LEGACY_SECRET}
    finally:
        db.close()


# Rotation ------------------------------------------------------------------------------------


def test_rotation_keeps_pending_deliveries_and_signs_them_with_the_new_secret(
    actions: ActionStore,
    db: Database,
    box: CredentialBox,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
) -> None:
    rule = actions.add_webhook("known", receiver.url, secret=SECRET)
    actions.record_matches([match(entry_id)], content=CONTENT)
    (pending,) = Outbox(db).list()

    rotated = actions.rotate_secret(rule.id, actor="cli:alice")
    assert rotated.secret is not None
    assert len(rotated.secret) >= 40  # generated: 256 random bits
    assert rotated.previous_secret_until is None
    assert actions.get(rule.id).secret is None  # shown once
    assert [r.id for r in Outbox(db).list()] == [pending.id]  # nothing dropped

    with WebhookDeliverer(db, box, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 1
    (got,) = receiver.requests
    assert got.headers["x-bastion-delivery"] == str(pending.id)
    assert len(got.headers["x-bastion-signature"].split()) == 1
    assert verifies(rotated.secret, got.headers, got.body)
    assert not verifies(SECRET, got.headers, got.body)

    (event,) = AuditLog(db).list(action="action.rotate_secret")
    assert (event.actor, event.target) == ("cli:alice", f"rule {rule.id}")
    assert event.detail["url"] == receiver.url
    assert event.detail["grace_until"] is None
    assert rotated.secret not in json.dumps(event.detail)
    assert SECRET not in json.dumps(event.detail)


def test_a_grace_period_signs_with_both_secrets_until_it_ends(
    actions: ActionStore,
    db: Database,
    box: CredentialBox,
    entry_id: int,
    receiver: Receiver,
    clock: Clock,
) -> None:
    rule = actions.add_webhook("known", receiver.url, secret=SECRET)
    rotated = actions.rotate_secret(rule.id, NEW_SECRET, grace=timedelta(hours=24))
    assert rotated.previous_secret_until == clock.now + timedelta(hours=24)
    assert actions.list()[0].previous_secret_until == rotated.previous_secret_until

    actions.record_matches([match(entry_id)], content=CONTENT)
    with WebhookDeliverer(db, box, clock=clock) as deliverer:
        assert deliverer.deliver_due() == 1
        first = receiver.requests[-1]
        new_signature, old_signature = first.headers["x-bastion-signature"].split(" ")
        assert new_signature.startswith("sha256=")
        assert old_signature.startswith("sha256=")
        # A receiver still on the old secret and one already on the new both accept it.
        assert verifies(SECRET, first.headers, first.body)
        assert verifies(NEW_SECRET, first.headers, first.body)

        clock.advance(24 * 3600)  # the grace period is over: the new secret only
        actions.record_matches([match(entry_id)], content=CONTENT)
        assert deliverer.deliver_due() == 1
    later = receiver.requests[-1]
    assert len(later.headers["x-bastion-signature"].split()) == 1
    assert verifies(NEW_SECRET, later.headers, later.body)
    assert not verifies(SECRET, later.headers, later.body)
    (event,) = AuditLog(db).list(action="action.rotate_secret")
    assert event.detail["grace_until"] == rotated.previous_secret_until.isoformat()


def test_rotation_refuses_what_it_cannot_do(
    actions: ActionStore, db: Database, entry_id: int
) -> None:
    review = actions.add_review("known")
    with pytest.raises(ValidationError, match="only webhook rules have a secret"):
        actions.rotate_secret(review.id)
    with pytest.raises(NotFoundError, match="no action rule with id"):
        actions.rotate_secret(999_999)
    hook = actions.add_webhook("known", "https://hooks.example/in", secret=SECRET)
    with pytest.raises(ValidationError, match="grace period"):
        actions.rotate_secret(hook.id, grace=MAX_GRACE + timedelta(seconds=1))
    with pytest.raises(ValidationError, match="secret"):
        actions.rotate_secret(hook.id, "short")

    # A secret this box cannot open cannot keep signing through a grace period; a plain
    # rotation is the way out.
    stranger = ActionStore(db, CredentialBox(Fernet.generate_key()))
    with pytest.raises(ValidationError, match="rotate without one"):
        stranger.rotate_secret(hook.id, grace=timedelta(hours=1))
    assert stranger.rotate_secret(hook.id, NEW_SECRET).secret == NEW_SECRET
    assert AuditLog(db).list(action="action.rotate_secret")[0].target == f"rule {hook.id}"


# The audit log -------------------------------------------------------------------------------


def test_every_change_to_a_rule_is_audited_without_its_secret(
    actions: ActionStore, db: Database, entry_id: int
) -> None:
    hook = actions.add_webhook("known", "https://hooks.example/in", secret=SECRET, actor="cli:a")
    review = actions.add_review("known", actor="cli:b")
    chat = actions.add_conversation_rule(RuleKind.WEBHOOK, "https://hooks.example/c", actor="c")
    actions.set_enabled(hook.id, False, actor="cli:c")
    actions.set_enabled(hook.id, True, actor="cli:d")
    actions.remove(review.id, actor="cli:e")

    events = [e for e in reversed(AuditLog(db).list()) if e.action.startswith("action.")]
    assert [(e.action, e.actor, e.target) for e in events] == [
        ("action.add", "cli:a", f"rule {hook.id}"),
        ("action.add", "cli:b", f"rule {review.id}"),
        ("action.add", "c", f"rule {chat.id}"),
        ("action.disable", "cli:c", f"rule {hook.id}"),
        ("action.enable", "cli:d", f"rule {hook.id}"),
        ("action.remove", "cli:e", f"rule {review.id}"),
    ]
    assert events[0].detail == {
        "bank": "known",
        "kind": "webhook",
        "url": "https://hooks.example/in",
        "enabled": True,
    }
    assert events[2].detail["bank"] is None  # conversation alerts
    assert events[3].detail["enabled"] is False
    everything = json.dumps([e.detail for e in events])
    assert SECRET not in everything
    assert str(chat.secret) not in everything


def test_a_refused_change_is_not_audited(actions: ActionStore, db: Database) -> None:
    with pytest.raises(NotFoundError):
        actions.add_review("nope")
    with pytest.raises(ValidationError):
        actions.add_webhook("known", "ftp://hooks.example/x")
    with pytest.raises(NotFoundError):
        actions.remove(123)
    assert [e for e in AuditLog(db).list() if e.action.startswith("action.")] == []
    with db.session() as s:
        assert s.scalars(select(ActionRuleRow)).all() == []
