"""`PrivateMatching`: detection under end-to-end encryption, composed (docs/private-matching.md).

- The blinded tables of the banks, for devices (`table`).
- Vouchers from devices (`submit`): what an account's vouchers reveal at the threshold is
  matched by the live matcher, exactly as a look-up of those signals, and acted on (the
  banks' webhooks and review jobs, in the account's case) in the transaction that took the
  vouchers. The caller learns only how many vouchers were accepted.
- Franked reports (`report`): verified, then a user-report job with the reported messages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from bastion.e2ee import Excerpt, FrankedMessage, Franker, PrivateTables, TableOptions, VoucherDesk
from bastion.errors import NotFoundError, ValidationError
from bastion.private.tokens import EXACT_TYPES, clean_value
from bastion.review import JobKind, NewJob
from bastion.signals import Signal
from bastion.store.models import utcnow

if TYPE_CHECKING:
    from bastion.actions import ActionStore
    from bastion.banks import BankStore
    from bastion.pipeline.live import LiveMatcher
    from bastion.pipeline.review import Review
    from bastion.settings import Settings
    from bastion.store import Database


class Root(Protocol):
    """What private matching uses of the composition root (`Bastion` is one)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def store(self) -> BankStore: ...
    @property
    def matcher(self) -> LiveMatcher: ...
    @property
    def actions(self) -> ActionStore: ...
    @property
    def review(self) -> Review: ...


@dataclass(frozen=True)
class Submitted:
    accepted: int


class PrivateMatching:
    def __init__(self, bastion: Root) -> None:
        self.bastion = bastion
        settings = bastion.settings
        self.enabled = settings.private_matching
        self.tables = PrivateTables(
            bastion.db,
            bastion.store,
            settings.private_secret(),
            TableOptions(settings.private_threshold, settings.private_near_matching),
        )
        self.desk = VoucherDesk(self.tables, quota=settings.private_voucher_quota)

    @cached_property
    def franker(self) -> Franker:
        return Franker(self.bastion.settings.private_secret())

    def _check_on(self) -> None:
        if not self.enabled:
            raise NotFoundError("private matching is off (setting private_matching)")

    def table(self, kind: str, since: int | None = None) -> dict[str, Any]:
        """The blinded table `kind` as a device takes it (see `PrivateTables.document`)."""
        self._check_on()
        return self.tables.document(kind, since)

    def submit(self, account: str, vouchers: Sequence[str]) -> Submitted:
        """Take `vouchers` (base64) from `account`; act on what they reveal."""
        self._check_on()
        with self.bastion.db.session() as s:
            revealed = self.desk.receive_in(s, account, vouchers)
            for item in revealed:
                signals = _signals(item.payload.get("signals"))
                matches = self.bastion.matcher.match_signals(signals)
                matches = self.bastion.review.exceptions.drop_excepted(matches)
                content = {
                    "private": True,
                    "account": account,
                    "voucher": item.voucher,
                    "content_id": item.payload.get("content"),
                    "signals": {s.type: s.value for s in signals},
                }
                self.bastion.actions.record_matches_in(s, matches, content=content, user_id=account)
        return Submitted(len(vouchers))

    def tag(self, commitment: bytes, sender: str, recipient: str) -> tuple[bytes, int]:
        """The franking tag of one delivery, and its time (seconds since the epoch)."""
        self._check_on()
        sent_at = int(time.time())
        return self.franker.tag(commitment, sender, recipient, sent_at), sent_at

    def report(
        self,
        reporter: str,
        messages: list[FrankedMessage],
        reason: str,
        conversation: str | None,
        excerpts: Sequence[Excerpt] = (),
    ) -> int:
        """Verify a franked report and open a user-report job with its messages and the
        excerpts the device's detector found; returns the job's id."""
        self._check_on()
        self.franker.verify(messages, reporter, list(excerpts))
        senders = sorted({m.sender for m in messages})
        evidence = {
            "event_type": "franked_report",
            "occurred_at": utcnow().isoformat(),
            "report": {"reporter": reporter, "reason": reason, "verified": True},
            "conversation": conversation,
            "messages": [
                {"sender": m.sender, "recipient": m.recipient, "sent_at": m.sent_at,
                 "text": m.message.decode("utf-8", "replace")}
                for m in messages
            ],
            "excerpts": [
                {"message": e.message, "indicator": e.indicator, "stage": e.stage,
                 "excerpt": e.excerpt}
                for e in excerpts
            ],
        }  # fmt: skip
        with self.bastion.db.session() as s:
            job = self.bastion.review.desk.open_in(
                s,
                NewJob(
                    kind=JobKind.USER_REPORT, evidence=evidence, conversation=conversation,
                    user_id=senders[0] if len(senders) == 1 else None,
                ),
            )  # fmt: skip
            s.flush()
            return job.id


def _signals(value: Any) -> list[Signal]:
    """A revealed payload's signals, checked (the device wrote them)."""
    if not isinstance(value, dict):
        return []
    signals = []
    for signal_type, signal_value in sorted(value.items()):
        if signal_type in EXACT_TYPES:
            try:
                signals.append(Signal(signal_type, clean_value(signal_type, signal_value)))
            except ValidationError:
                continue
    return signals
