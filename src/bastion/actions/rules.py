"""`ActionStore`: the action rules of each bank, and queueing their actions on a match.

A rule belongs to one bank and is either a webhook (POST a signed event to a URL) or a review
rule (open an item in the review queue). `record_matches` turns matches into actions in one
transaction: outbox rows for webhooks, review items for review rules. The outbox is delivered
later by a `WebhookDeliverer`, so recording a match never waits on a receiver.

A store remembers for `RULE_BANKS_CACHE_SECONDS` which banks have any enabled rule, so matches
in banks without rules (most look-ups, on many deployments) cost no database access: a rule
added through another process takes effect within that time (at once through this one).
"""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.actions.events import check_content, match_event
from bastion.actions.tables import ActionRuleRow, OutboxRow, ReviewItemRow
from bastion.actions.webhook import new_secret, validate_secret, validate_webhook_url
from bastion.errors import NotFoundError, ValidationError
from bastion.store.database import Database
from bastion.store.models import BankRow, utcnow

if TYPE_CHECKING:
    from bastion.matching import Match

#: How long the set of banks with enabled rules is remembered.
RULE_BANKS_CACHE_SECONDS = 1.0


class RuleKind(StrEnum):
    WEBHOOK = "webhook"
    REVIEW = "review"


#: The scope of rules that act on conversation alerts rather than on a bank's matches.
CONVERSATIONS = "conversations"


@dataclass(frozen=True)
class Rule:
    id: int
    #: The bank whose matches it acts on; None for a rule on conversation alerts.
    bank: str | None
    kind: RuleKind
    #: Webhook rules: where events are POSTed. None for review rules.
    url: str | None
    enabled: bool
    created_at: datetime
    #: The signing secret, only in what `add_webhook` returns: it is shown once.
    secret: str | None = None


class ActionStore:
    """Rules per bank, and `record_matches` to queue their actions."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self._clock = clock
        self._lock = threading.Lock()
        self._rule_banks: tuple[frozenset[str], datetime] | None = None  # (names, read at)

    # Rules -------------------------------------------------------------------------------

    def add_webhook(self, bank_name: str, url: str, secret: str | None = None) -> Rule:
        """Add a webhook rule; the returned rule carries its secret (generated if None)."""
        validate_webhook_url(url)
        key = validate_secret(secret) if secret is not None else new_secret()
        with self.db.session() as s:
            bank = _bank_row(s, bank_name)
            row = ActionRuleRow(
                bank_id=bank.id, kind=RuleKind.WEBHOOK.value, url=url, secret=key, enabled=True
            )
            s.add(row)
            s.flush()
            added = _rule(row, bank.name, secret=key)
        self._forget_rule_banks()
        return added

    def add_review(self, bank_name: str) -> Rule:
        with self.db.session() as s:
            bank = _bank_row(s, bank_name)
            row = ActionRuleRow(bank_id=bank.id, kind=RuleKind.REVIEW.value, enabled=True)
            s.add(row)
            s.flush()
            added = _rule(row, bank.name)
        self._forget_rule_banks()
        return added

    def add_conversation_rule(
        self, kind: RuleKind, url: str | None = None, secret: str | None = None
    ) -> Rule:
        """A rule on conversation alerts: a webhook (to `url`, the returned rule carries
        its secret) or a review rule."""
        key = None
        if kind is RuleKind.WEBHOOK:
            if url is None:
                raise ValidationError("a webhook rule needs a URL")
            validate_webhook_url(url)
            key = validate_secret(secret) if secret is not None else new_secret()
        with self.db.session() as s:
            row = ActionRuleRow(
                bank_id=None, scope=CONVERSATIONS, kind=kind.value, url=url, secret=key,
                enabled=True,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return _rule(row, None, secret=key)

    def list(self, bank_name: str | None = None) -> builtins.list[Rule]:
        """Every rule (those on conversation alerts have no bank), or a bank's, in id
        order; secrets are not included."""
        with self.db.session() as s:
            query = select(ActionRuleRow, BankRow.name).outerjoin(
                BankRow, BankRow.id == ActionRuleRow.bank_id
            )
            if bank_name is not None:
                query = query.where(ActionRuleRow.bank_id == _bank_row(s, bank_name).id)
            rows = s.execute(query.order_by(ActionRuleRow.id))
            return [_rule(row, name) for row, name in rows]

    def get(self, rule_id: int) -> Rule:
        with self.db.session() as s:
            row = _rule_row(s, rule_id)
            return _rule(row, _bank_name(s, row))

    def remove(self, rule_id: int) -> None:
        """Delete a rule and its undelivered webhooks; its review items stay (rule unset)."""
        with self.db.session() as s:
            s.delete(_rule_row(s, rule_id))
        self._forget_rule_banks()

    def set_enabled(self, rule_id: int, enabled: bool) -> Rule:
        """Switch a rule. A disabled webhook queues nothing new and its pending deliveries
        wait (they are sent when it is enabled again)."""
        with self.db.session() as s:
            row = _rule_row(s, rule_id)
            row.enabled = enabled
            changed = _rule(row, _bank_name(s, row))
        self._forget_rule_banks()
        return changed

    # Actions -----------------------------------------------------------------------------

    def record_matches(self, matches: Iterable[Match], *, content: dict[str, Any]) -> int:
        """Queue the actions of `matches` in one transaction; returns how many were queued.

        For each matched entry, each enabled rule of its (enabled) bank queues one action,
        whatever the number of signals that matched it: the nearest match is reported.
        `content` describes the content (see `events.content_info`): JSON only, no media,
        no credentials.
        """
        best = _nearest_per_entry(matches)
        if not best or self._rule_banks_now().isdisjoint(m.bank for m in best):
            return 0
        checked = check_content(content)
        now = self._clock()
        with self.db.session() as s:
            rules = s.execute(
                select(ActionRuleRow, BankRow.name)
                .join(BankRow, BankRow.id == ActionRuleRow.bank_id)
                .where(
                    BankRow.name.in_(sorted({m.bank for m in best})),
                    BankRow.enabled.is_(True),
                    ActionRuleRow.enabled.is_(True),
                )
                .order_by(ActionRuleRow.id)
            )
            rules_by_bank: dict[str, builtins.list[ActionRuleRow]] = {}
            for rule, bank_name in rules:
                rules_by_bank.setdefault(bank_name, []).append(rule)
            queued: builtins.list[OutboxRow | ReviewItemRow] = []
            for match in best:
                # One event per matched entry: every rule it triggers reports the same id.
                event = match_event(match, checked, occurred_at=now, event_id=str(uuid.uuid4()))
                for rule in rules_by_bank.get(match.bank, []):
                    if rule.kind == RuleKind.WEBHOOK:
                        queued.append(
                            OutboxRow(
                                rule_id=rule.id,
                                payload=event,
                                status="pending",
                                attempts=0,
                                next_attempt_at=now,
                                created_at=now,
                            )
                        )
                    else:
                        queued.append(
                            ReviewItemRow(
                                rule_id=rule.id,
                                kind="match",
                                bank=match.bank,
                                entry_id=match.entry_id,
                                signal_type=match.signal_type,
                                distance=match.distance,
                                payload=event,
                                status="open",
                                created_at=now,
                            )
                        )
            s.add_all(queued)
            return len(queued)

    def queue_conversation_alert(self, s: Session, conversation: str, event: dict[str, Any]) -> int:
        """Queue, in the caller's transaction `s`, what the rules on conversation alerts do
        with `event` (a webhook delivery or a review item each); returns how many."""
        now = self._clock()
        rules = s.scalars(
            select(ActionRuleRow)
            .where(ActionRuleRow.scope == CONVERSATIONS, ActionRuleRow.enabled.is_(True))
            .order_by(ActionRuleRow.id)
        ).all()
        queued: builtins.list[OutboxRow | ReviewItemRow] = []
        for rule in rules:
            if rule.kind == RuleKind.WEBHOOK:
                queued.append(
                    OutboxRow(
                        rule_id=rule.id, payload=event, status="pending", attempts=0,
                        next_attempt_at=now, created_at=now,
                    )
                )  # fmt: skip
            else:
                queued.append(
                    ReviewItemRow(
                        rule_id=rule.id, kind="conversation", conversation=conversation,
                        payload=event, status="open", created_at=now,
                    )
                )  # fmt: skip
        s.add_all(queued)
        return len(queued)

    def surely_idle(self, matches: Iterable[Match]) -> bool:
        """True when, without reading the database, no rule can act on `matches` (none of
        their banks had an enabled rule a moment ago), so `record_matches` would queue
        nothing. False means it may queue something. An event loop may call it."""
        known = self._remembered_rule_banks(self._clock())
        return known is not None and known.isdisjoint(m.bank for m in matches)

    def _remembered_rule_banks(self, now: datetime) -> frozenset[str] | None:
        with self._lock:
            cached = self._rule_banks
        if cached is not None and 0 <= (now - cached[1]).total_seconds() < RULE_BANKS_CACHE_SECONDS:
            return cached[0]
        return None

    def _rule_banks_now(self) -> frozenset[str]:
        """Names of the banks with an enabled rule, as of at most a second ago."""
        now = self._clock()
        remembered = self._remembered_rule_banks(now)
        if remembered is not None:
            return remembered
        with self.db.session() as s:
            names = frozenset(
                s.scalars(
                    select(BankRow.name)
                    .join(ActionRuleRow, ActionRuleRow.bank_id == BankRow.id)
                    .where(ActionRuleRow.enabled.is_(True))
                    .distinct()
                )
            )
        with self._lock:
            self._rule_banks = (names, now)
        return names

    def _forget_rule_banks(self) -> None:
        with self._lock:
            self._rule_banks = None


def _nearest_per_entry(matches: Iterable[Match]) -> list[Match]:
    best: dict[tuple[str, int], Match] = {}
    for match in matches:
        key = (match.bank, match.entry_id)
        if key not in best or match.distance < best[key].distance:
            best[key] = match
    return list(best.values())


def _bank_row(s: Session, name: str) -> BankRow:
    row = s.scalar(select(BankRow).where(BankRow.name == name))
    if row is None:
        raise NotFoundError(f"no bank named {name!r}")
    return row


def _bank_name(s: Session, row: ActionRuleRow) -> str | None:
    return s.get_one(BankRow, row.bank_id).name if row.bank_id is not None else None


def _rule_row(s: Session, rule_id: int) -> ActionRuleRow:
    row = s.get(ActionRuleRow, rule_id)
    if row is None:
        raise NotFoundError(f"no action rule with id {rule_id}")
    return row


def _rule(row: ActionRuleRow, bank: str | None, *, secret: str | None = None) -> Rule:
    return Rule(
        id=row.id,
        bank=bank,
        kind=RuleKind(row.kind),
        url=row.url,
        enabled=row.enabled,
        created_at=row.created_at,
        secret=secret,
    )
