"""`ActionStore`: the action rules of each bank, and queueing their actions on a match.

A rule belongs to one bank and is either a webhook (POST a signed event to a URL) or a review
rule (open a job on the review desk, `bastion.review`). Rules without a bank act on
conversation alerts, or (webhooks only) on reviewers' decisions. `record_matches` turns
matches into actions in one transaction: outbox rows for webhooks, jobs for review rules.
The outbox is delivered later by a `WebhookDeliverer`, so recording a match never waits on
a receiver.

Webhook signing secrets are sealed by the credential box the composition root hands in (see
`bastion.actions.secrets`); a rule's secret is shown once, when it is made or rotated. Adding,
removing, switching and rotating rules are audit-logged with the webhook's URL, never its
secret: a rule is a destination for match data.

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
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from bastion import audit
from bastion.actions.events import check_content, match_event
from bastion.actions.secrets import StoredSecrets, seal
from bastion.actions.webhook import new_secret, validate_secret, validate_webhook_url
from bastion.banks.model import MAX_BANK_NAME_LENGTH
from bastion.errors import ConfigurationError, NotFoundError, ValidationError
from bastion.review import JobKind, NewJob, ReviewDesk
from bastion.store.database import Database
from bastion.store.models import ActionRuleRow, BankRow, OutboxRow, utcnow
from bastion.validation import checked_text

if TYPE_CHECKING:
    from bastion.exchange.secrets import CredentialBox
    from bastion.matching import Match
    from bastion.triage.policy import Policy

#: How long the set of banks with enabled rules is remembered.
RULE_BANKS_CACHE_SECONDS = 1.0

#: The longest a rotated secret keeps signing beside its successor: long enough to switch a
#: receiver over, short enough that a rotation after a leak means something.
MAX_GRACE = timedelta(days=7)


class RuleKind(StrEnum):
    WEBHOOK = "webhook"
    REVIEW = "review"


#: The scope of rules that act on conversation alerts rather than on a bank's matches.
CONVERSATIONS = "conversations"
#: The scope of webhook rules that receive reviewers' decisions (`decision.*` events).
DECISIONS = "decisions"


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
    #: The signing secret, only in what `add_webhook` and `rotate_secret` return: it is
    #: shown once.
    secret: str | None = None
    #: After a rotation with a grace period: until when the previous secret signs too.
    previous_secret_until: datetime | None = None


class ActionStore:
    """Rules per bank, and `record_matches` to queue their actions."""

    def __init__(
        self,
        db: Database,
        box: CredentialBox,
        *,
        clock: Callable[[], datetime] = utcnow,
        policy: Policy | None = None,
    ) -> None:
        self.db = db
        self._box = box
        self._clock = clock
        #: Opens review rules' jobs, each at the level `policy` gives it.
        self._desk = ReviewDesk(db, clock=clock, policy=policy)
        self._lock = threading.Lock()
        self._rule_banks: tuple[frozenset[str], datetime] | None = None  # (names, read at)

    # Rules -------------------------------------------------------------------------------

    def add_webhook(
        self, bank_name: str, url: str, secret: str | None = None, *, actor: str = "unknown"
    ) -> Rule:
        """Add a webhook rule; the returned rule carries its secret (generated if None)."""
        validate_webhook_url(url)
        key = validate_secret(secret) if secret is not None else new_secret()
        with self.db.session() as s:
            bank = _bank_row(s, bank_name)
            row = ActionRuleRow(
                bank_id=bank.id, kind=RuleKind.WEBHOOK.value, url=url,
                sealed_secret=seal(self._box, key), enabled=True,
            )  # fmt: skip
            added = _added(s, row, bank.name, actor, secret=key)
        self._forget_rule_banks()
        return added

    def add_review(self, bank_name: str, *, actor: str = "unknown") -> Rule:
        with self.db.session() as s:
            bank = _bank_row(s, bank_name)
            row = ActionRuleRow(bank_id=bank.id, kind=RuleKind.REVIEW.value, enabled=True)
            added = _added(s, row, bank.name, actor)
        self._forget_rule_banks()
        return added

    def add_conversation_rule(
        self,
        kind: RuleKind,
        url: str | None = None,
        secret: str | None = None,
        *,
        actor: str = "unknown",
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
                bank_id=None, scope=CONVERSATIONS, kind=kind.value, url=url,
                sealed_secret=None if key is None else seal(self._box, key), enabled=True,
            )  # fmt: skip
            return _added(s, row, None, actor, secret=key)

    def add_decision_webhook(
        self, url: str, secret: str | None = None, *, actor: str = "unknown"
    ) -> Rule:
        """A webhook that receives every reviewer's decision (`decision.*` events), so the
        platform can take content down or act on an account; the rule carries its secret."""
        validate_webhook_url(url)
        key = validate_secret(secret) if secret is not None else new_secret()
        with self.db.session() as s:
            row = ActionRuleRow(
                bank_id=None, scope=DECISIONS, kind=RuleKind.WEBHOOK.value, url=url,
                sealed_secret=seal(self._box, key), enabled=True,
            )  # fmt: skip
            return _added(s, row, None, actor, secret=key)

    def queue_decision_event(self, s: Session, event: dict[str, Any]) -> int:
        """Queue `event` for every decision webhook, in the caller's transaction `s`."""
        now = self._clock()
        rules = s.scalars(
            select(ActionRuleRow.id)
            .where(ActionRuleRow.scope == DECISIONS, ActionRuleRow.enabled.is_(True))
            .order_by(ActionRuleRow.id)
        ).all()
        s.add_all(
            OutboxRow(
                rule_id=rule_id,
                payload=event,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for rule_id in rules
        )
        return len(rules)

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

    def remove(self, rule_id: int, *, actor: str = "unknown") -> None:
        """Delete a rule and its undelivered webhooks; its review items stay (rule unset)."""
        with self.db.session() as s:
            row = _rule_row(s, rule_id)
            _record(s, actor, "action.remove", _rule(row, _bank_name(s, row)))
            s.delete(row)
        self._forget_rule_banks()

    def set_enabled(self, rule_id: int, enabled: bool, *, actor: str = "unknown") -> Rule:
        """Switch a rule. A disabled webhook queues nothing new and its pending deliveries
        wait (they are sent when it is enabled again)."""
        with self.db.session() as s:
            row = _rule_row(s, rule_id)
            row.enabled = enabled
            changed = _rule(row, _bank_name(s, row))
            _record(s, actor, "action.enable" if enabled else "action.disable", changed)
        self._forget_rule_banks()
        return changed

    # Secrets -----------------------------------------------------------------------------

    def rotate_secret(
        self,
        rule_id: int,
        secret: str | None = None,
        *,
        grace: timedelta = timedelta(0),
        actor: str = "unknown",
    ) -> Rule:
        """Give a webhook rule a new signing secret (generated if None); the returned rule
        carries it, shown once.

        Pending deliveries stay queued and are signed with the new secret from now on. With
        a `grace` period each delivery is signed with the previous secret too until it ends
        (the header holds both signatures), so a receiver can switch whenever it likes
        within it; a rotation during a grace period ends the older secret's at once.
        """
        if not timedelta(0) <= grace <= MAX_GRACE:
            raise ValidationError(f"grace period must be between 0 and {MAX_GRACE.days} days")
        key = validate_secret(secret) if secret is not None else new_secret()
        now = self._clock()
        with self.db.session() as s:
            row = _rule_row(s, rule_id)
            if row.kind != RuleKind.WEBHOOK:
                raise ValidationError(
                    f"rule {rule_id} is a {row.kind} rule: only webhook rules have a secret"
                )
            previous, until = None, None
            if grace:
                previous, until = self._still_readable(row), now + grace
            row.sealed_secret = seal(self._box, key)
            row.clear_secret = None
            row.previous_sealed_secret, row.previous_secret_until = previous, until
            rotated = _rule(row, _bank_name(s, row), secret=key)
            _record(
                s, actor, "action.rotate_secret", rotated,
                grace_until=None if until is None else until.isoformat(),
            )  # fmt: skip
        return rotated

    def _still_readable(self, row: ActionRuleRow) -> str:
        """The rule's current secret, sealed, once it is known to open with this box: it is
        to keep signing through a grace period."""
        try:
            (current,) = StoredSecrets.of(row).to_sign_with(
                self._box, rule_id=row.id, now=self._clock()
            )[:1]
        except ConfigurationError as e:
            raise ValidationError(
                f"{e.message.partition(';')[0]}, so it cannot sign through a grace period: "
                "rotate without one"
            ) from None
        return row.sealed_secret or seal(self._box, current)

    def seal_clear_secrets(self) -> int:
        """Seal the signing secrets a version before migration 0012 stored in clear;
        returns how many. Each process that starts with a credential box calls it (the
        service and the command line): after the first, one query finds none.

        On SQLite the clear text is also wiped from the database file (``secure_delete``
        while the rows change, then a checkpoint that empties the write-ahead log); on
        PostgreSQL the old row versions remain in the table's files until it is vacuumed.
        """
        with self.db.session() as s:
            clear_ones = select(ActionRuleRow.id, ActionRuleRow.clear_secret).where(
                ActionRuleRow.clear_secret.is_not(None)
            )
            found = [(rule_id, clear) for rule_id, clear in s.execute(clear_ones) if clear]
            if not found:
                return 0
            sqlite = self.db.dialect == "sqlite"
            if sqlite:
                was = s.execute(text("PRAGMA secure_delete")).scalar()
                s.execute(text("PRAGMA secure_delete = ON"))
            for rule_id, clear in found:
                # Only if unchanged: a rotation made meanwhile by another process stands.
                s.execute(
                    update(ActionRuleRow)
                    .where(ActionRuleRow.id == rule_id, ActionRuleRow.clear_secret == clear)
                    .values(sealed_secret=seal(self._box, clear), clear_secret=None),
                    execution_options={"synchronize_session": False},
                )
            if sqlite:
                s.execute(text(f"PRAGMA secure_delete = {int(was or 0)}"))
        if sqlite:
            with self.db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(found)

    # Actions -----------------------------------------------------------------------------

    def record_matches(
        self,
        matches: Iterable[Match],
        *,
        content: dict[str, Any],
        content_id: int | None = None,
        media_sha256: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """Queue the actions of `matches` in one transaction; returns how many were queued.

        For each matched entry, each enabled rule of its (enabled) bank queues one action,
        whatever the number of signals that matched it: the nearest match is reported.
        `content` describes the content (see `events.content_info`): JSON only, no media,
        no credentials. `content_id`: the content submitted for review that matched (its
        jobs are gathered with its user's); `media_sha256`: its bytes' digest (bulk decisions
        over identical media).
        """
        best = _nearest_per_entry(matches)
        if not best or self._rule_banks_now().isdisjoint(m.bank for m in best):
            return 0
        with self.db.session() as s:
            return self.record_matches_in(
                s,
                best,
                content=content,
                content_id=content_id,
                media_sha256=media_sha256,
                user_id=user_id,
            )

    def record_matches_in(
        self,
        s: Session,
        matches: Iterable[Match],
        *,
        content: dict[str, Any],
        content_id: int | None = None,
        media_sha256: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """`record_matches` in the caller's transaction `s` (a scan marks its item done in
        the same one, so a crash never leaves an item acted on and not marked, or marked and
        not acted on). `user_id`: the platform's id of the content's user (the jobs join
        that user's case)."""
        best = _nearest_per_entry(matches)
        if not best:
            return 0
        checked = check_content(content)
        now = self._clock()
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
        queued: builtins.list[OutboxRow] = []
        jobs = 0
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
                    self._desk.open_in(
                        s,
                        NewJob(
                            kind=JobKind.MATCH,
                            evidence=event,
                            content_id=content_id,
                            rule_id=rule.id,
                            bank=match.bank,
                            entry_id=match.entry_id,
                            signal_type=match.signal_type,
                            distance=match.distance,
                            media_sha256=media_sha256,
                            user_id=user_id,
                        ),
                    )
                    jobs += 1
        s.add_all(queued)
        return len(queued) + jobs

    def queue_conversation_alert(self, s: Session, conversation: str, event: dict[str, Any]) -> int:
        """Queue, in the caller's transaction `s`, what the rules on conversation alerts do
        with `event` (a webhook delivery or a review job each); returns how many."""
        now = self._clock()
        rules = s.scalars(
            select(ActionRuleRow)
            .where(ActionRuleRow.scope == CONVERSATIONS, ActionRuleRow.enabled.is_(True))
            .order_by(ActionRuleRow.id)
        ).all()
        queued: builtins.list[OutboxRow] = []
        jobs = 0
        for rule in rules:
            if rule.kind == RuleKind.WEBHOOK:
                queued.append(
                    OutboxRow(
                        rule_id=rule.id, payload=event, status="pending", attempts=0,
                        next_attempt_at=now, created_at=now,
                    )
                )  # fmt: skip
            else:
                self._desk.open_in(
                    s,
                    NewJob(
                        kind=JobKind.CONVERSATION, evidence=event, rule_id=rule.id,
                        conversation=conversation,
                        # The likely groomer's id is the platform's id of that user: the
                        # alert joins their case.
                        user_id=event.get("likely_groomer"),
                    ),
                )  # fmt: skip
                jobs += 1
        s.add_all(queued)
        return len(queued) + jobs

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
    name = checked_text(name, "bank", max_length=MAX_BANK_NAME_LENGTH)
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
        previous_secret_until=row.previous_secret_until,
    )


def _added(
    s: Session, row: ActionRuleRow, bank: str | None, actor: str, *, secret: str | None = None
) -> Rule:
    s.add(row)
    s.flush()
    added = _rule(row, bank, secret=secret)
    _record(s, actor, "action.add", added)
    return added


def _record(s: Session, actor: str, action: str, rule: Rule, **detail: Any) -> None:
    """Audit a change to `rule`: where its matches go (the URL), never its secret."""
    audit.record_in(
        s, actor, action, f"rule {rule.id}", bank=rule.bank, kind=str(rule.kind), url=rule.url,
        enabled=rule.enabled, **detail,
    )  # fmt: skip
