"""Action rules per bank, and record_matches queueing their actions in one transaction."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from bastion.actions import (
    ActionStore,
    Outbox,
    RuleKind,
    check_content,
    content_info,
    validate_webhook_url,
)
from bastion.actions import rules as rules_module
from bastion.actions.rules import RULE_BANKS_CACHE_SECONDS
from bastion.actions.webhook import validate_secret
from bastion.banks import BankStore
from bastion.errors import NotFoundError, ValidationError
from bastion.exchange.secrets import CredentialBox
from bastion.hashing import ContentHasher
from bastion.review import JobStatus, ReviewDesk
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.models import ActionRuleRow, JobRow, OutboxRow
from tests.actions.conftest import CONTENT, Clock, match


def count(db: Database, table: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_rule_lifecycle(actions: ActionStore, entry_id: int) -> None:
    hook = actions.add_webhook("known", "https://hooks.example/bastion")
    assert hook.kind is RuleKind.WEBHOOK
    assert (hook.bank, hook.url, hook.enabled) == ("known", "https://hooks.example/bastion", True)
    assert hook.secret is not None
    assert len(hook.secret) >= 40  # 256 random bits, generated
    review = actions.add_review("known")
    assert (review.kind, review.url, review.secret) == (RuleKind.REVIEW, None, None)
    other = actions.add_webhook("other", "http://10.0.0.7:8080/in", secret="s" * 16)
    assert other.secret == "s" * 16

    # The secret is shown once: listings never carry it.
    assert [r.id for r in actions.list()] == [hook.id, review.id, other.id]
    assert all(r.secret is None for r in actions.list())
    assert [r.id for r in actions.list("known")] == [hook.id, review.id]
    assert actions.list("other")[0].url == "http://10.0.0.7:8080/in"

    assert not actions.set_enabled(hook.id, False).enabled
    assert not actions.get(hook.id).enabled
    assert actions.set_enabled(hook.id, True).enabled
    actions.remove(review.id)
    assert [r.id for r in actions.list("known")] == [hook.id]

    with pytest.raises(NotFoundError, match="no action rule with id"):
        actions.remove(review.id)
    with pytest.raises(NotFoundError, match="no action rule with id"):
        actions.set_enabled(999_999, True)
    with pytest.raises(NotFoundError, match="no bank named 'nope'"):
        actions.add_review("nope")
    with pytest.raises(NotFoundError, match="no bank named 'nope'"):
        actions.list("nope")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://hooks.example/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("hooks.example/x", "http or https"),
        ("https://", "no host"),
        ("https://user:pw@hooks.example/x", "credentials"),
        ("https://hooks.example/a b", "spaces"),
        ("https://hooks.example/\r\nX-Evil: 1", "control"),
        ("https://hooks.example:99999/x", "malformed"),
        ("", "1-2000"),
        ("https://hooks.example/" + "x" * 2000, "1-2000"),
        ("https://hooks.example/\x00", "NUL"),
        ("https://hooks.example/\ud800", "surrogate"),
        ("https://hooks.example/\u202egnp.exe", "invisible"),  # right-to-left override
        ("https://hooks.exa\u200bmple/x", "invisible"),  # zero-width space
    ],
)
def test_webhook_urls_are_validated(url: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        validate_webhook_url(url)


def test_private_and_loopback_webhook_targets_are_allowed() -> None:
    # Targets are set by an administrator: an internal moderation service is the usual one.
    for url in ("http://127.0.0.1:9000/hook", "http://10.1.2.3/x", "https://[::1]:8443/h"):
        assert validate_webhook_url(url) == url


def test_a_bank_name_no_database_can_hold_is_refused_not_an_error(
    actions: ActionStore, entry_id: int
) -> None:
    for bank in ("known\ud800", "known\x00"):
        with pytest.raises(ValidationError, match="bank"):
            actions.add_webhook(bank, "https://hooks.example/x")
        with pytest.raises(ValidationError, match="bank"):
            actions.add_review(bank)
    assert actions.list() == []


def test_a_refused_rule_is_not_stored(actions: ActionStore, entry_id: int) -> None:
    with pytest.raises(ValidationError):
        actions.add_webhook("known", "ftp://hooks.example/x")
    with pytest.raises(ValidationError):
        actions.add_webhook("known", "https://hooks.example/x", secret="short")
    assert actions.list() == []


@pytest.mark.parametrize(
    "secret", ["short", "x" * 129, "has a space in it ok", "ünïcode-secret-123"]
)
def test_weak_or_odd_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="secret"):
        validate_secret(secret)


def test_record_matches_queues_one_action_per_rule_and_entry(
    actions: ActionStore, db: Database, entry_id: int, clock: Clock
) -> None:
    hook_a = actions.add_webhook("known", "https://a.example/hook")
    hook_b = actions.add_webhook("known", "https://b.example/hook")
    review = actions.add_review("known")
    # Two signals of the same entry matched: still one action per rule, nearest reported.
    matches = [match(entry_id, distance=5), match(entry_id, signal_type="md5", distance=0)]
    assert actions.record_matches(matches, content=CONTENT) == 3

    rows = Outbox(db).list()
    assert [(r.rule_id, r.status, r.attempts) for r in rows] == [
        (hook_a.id, "pending", 0),
        (hook_b.id, "pending", 0),
    ]
    assert rows[0].next_attempt_at == clock.now
    event = rows[0].payload
    assert event == {
        "event_id": event["event_id"],
        "event_type": "match",
        "occurred_at": clock.now.isoformat(),
        "bank": "known",
        "entry_id": entry_id,
        "signal_type": "md5",
        "distance": 0,
        "quality": None,
        "query_value": "0" * 32,
        "query_how": None,
        "bank_how": None,
        "score": None,
        "video": None,
        "content": CONTENT,
    }
    assert uuid.UUID(event["event_id"]).version == 4
    # Every rule the same match triggers reports the same event.
    assert rows[1].payload == event

    (item,) = ReviewDesk(db).jobs()
    assert (item.rule_id, item.bank, item.entry_id, item.signal_type, item.distance) == (
        review.id,
        "known",
        entry_id,
        "md5",
        0,
    )
    assert (item.status, item.evidence, item.created_at) == (JobStatus.OPEN, event, clock.now)

    # A second call is a second event: deduplication is per call only.
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 3
    assert len({r.payload["event_id"] for r in Outbox(db).list()}) == 2


def test_nothing_is_queued_without_enabled_rules(
    actions: ActionStore, store: BankStore, db: Database, entry_id: int
) -> None:
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0  # no rules at all
    hook = actions.add_webhook("other", "https://a.example/hook")  # another bank's rule
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0
    assert actions.record_matches([], content=CONTENT) == 0
    mine = actions.add_webhook("known", "https://a.example/hook")
    review = actions.add_review("known")
    actions.set_enabled(mine.id, False)
    actions.set_enabled(review.id, False)
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0
    actions.set_enabled(review.id, True)
    store.update_bank("known", enabled=False)  # a switched-off bank takes no action
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0
    store.update_bank("known", enabled=True)
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 1
    assert count(db, OutboxRow) == 0
    assert count(db, JobRow) == 1
    assert hook.id != mine.id


def test_record_matches_is_one_transaction(
    actions: ActionStore, db: Database, entry_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions.add_webhook("known", "https://a.example/hook")
    actions.add_review("known")
    calls = 0
    real = rules_module.match_event

    def failing_second(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rules_module, "match_event", failing_second)
    with pytest.raises(RuntimeError, match="boom"):
        # Two entries: the first one's rows are written before the second fails.
        actions.record_matches([match(entry_id), match(entry_id + 1)], content=CONTENT)
    assert count(db, OutboxRow) == 0
    assert count(db, JobRow) == 0


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ({"data": b"\xff\xd8\xff"}, "plain JSON"),
        ({"nested": {"Authorization": "Bearer x"}}, "credentials"),
        ({"headers": [{"x-api-key": "bst_..."}]}, "credentials"),
        ({"access_token": "t"}, "credentials"),
        ({"blob": "A" * 20_000}, "not media"),
        ({"ratio": float("nan")}, "plain JSON"),
    ],
)
def test_content_with_media_or_credentials_is_refused(content: dict, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        check_content(content)


def test_refused_content_queues_nothing(actions: ActionStore, db: Database, entry_id: int) -> None:
    actions.add_webhook("known", "https://a.example/hook")
    with pytest.raises(ValidationError, match="credentials"):
        actions.record_matches([match(entry_id)], content={"api_key": "bst_x"})
    assert count(db, OutboxRow) == 0


def test_content_info_describes_content_by_hashes(settings: Settings) -> None:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(1, 64, 48)).save(buffer, "PNG")
    hasher = ContentHasher(settings.hashing_options())
    content = hasher.hash_bytes(buffer.getvalue(), name="shapes.png")
    info = content_info(content)
    assert (info["name"], info["format"], info["width"], info["height"]) == (
        "shapes.png",
        "PNG",
        64,
        48,
    )
    assert set(info["signals"]) == {"pdq", "md5", "sha256"}
    assert info["size"] == len(buffer.getvalue())
    assert all(isinstance(v, str | int) for v in info.values() if not isinstance(v, dict))


def test_removing_rules_and_banks_cascades(
    actions: ActionStore, store: BankStore, db: Database, entry_id: int
) -> None:
    hook = actions.add_webhook("known", "https://a.example/hook")
    review = actions.add_review("known")
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 2
    actions.remove(hook.id)  # its undelivered webhooks go with it
    assert count(db, OutboxRow) == 0
    store.delete_bank("known")  # rules go with the bank; decisions stay
    assert count(db, ActionRuleRow) == 0
    (item,) = ReviewDesk(db).jobs()
    assert (item.rule_id, item.bank) == (None, "known")
    assert review.id


def test_a_rule_added_by_another_process_applies_within_a_second(
    actions: ActionStore, db: Database, box: CredentialBox, entry_id: int, clock: Clock
) -> None:
    other = ActionStore(db, box, clock=clock)  # as `bastion action add-review` would
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0  # no rules anywhere
    review = other.add_review("known")
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0  # remembered
    clock.advance(RULE_BANKS_CACHE_SECONDS)
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 1
    other.set_enabled(review.id, False)  # switching a rule off elsewhere applies at once
    assert actions.record_matches([match(entry_id)], content=CONTENT) == 0
    assert count(db, JobRow) == 1


def test_surely_idle_only_when_known_without_the_database(
    actions: ActionStore, entry_id: int, clock: Clock
) -> None:
    matches = [match(entry_id)]
    assert not actions.surely_idle(matches)  # nothing known yet: it may act
    assert actions.record_matches(matches, content=CONTENT) == 0
    assert actions.surely_idle(matches)
    actions.add_webhook("other", "https://a.example/hook")
    assert not actions.surely_idle(matches)  # forgotten on a rule change
    assert actions.record_matches(matches, content=CONTENT) == 0
    assert actions.surely_idle(matches)
    assert not actions.surely_idle([match(entry_id, bank="other")])
    clock.advance(RULE_BANKS_CACHE_SECONDS)
    assert not actions.surely_idle(matches)
