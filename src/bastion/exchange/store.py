"""`ExchangeStore`: the configured exchanges, their checkpoints, status and sync leases.

A sync *claims* its exchange with one conditional UPDATE that sets `lease_owner` and
`lease_until` (only on a row whose lease is free or has passed), and renews the lease with
every page it commits. Two processes therefore never fetch one source at once, and a
process that dies only delays the next sync until its lease passes. Each page's checkpoint
is written in the transaction that applied the page, and only while the lease is still
held (`save_progress`): a sync that lost its lease cannot move the checkpoint.

Everything an exchange is given is checked before anything is written: its config (a JSON
object within limits, then the kind's own checks), its credentials (valid text), and the
files and addresses it names against the store's `SourceAccess` (built for the door that
adds it: the API's or the operator's command line).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.audit import record_in
from bastion.banks.model import validate_bank_name
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.exchange.access import SourceAccess
from bastion.exchange.api import ExchangeError, JsonObject
from bastion.exchange.impl import exchange_class
from bastion.exchange.secrets import CredentialBox
from bastion.store import Database
from bastion.store.models import BankRow, ExchangeRow, utcnow
from bastion.validation import checked_object, checked_text, readable

#: Shortest and longest time between scheduled syncs of one exchange.
MIN_INTERVAL, MAX_INTERVAL = 10, 7 * 24 * 3600
#: Longest wait after failures (the wait doubles with each failure in a row).
MAX_BACKOFF = 3600
#: Most credential fields, and the longest name and value of one.
MAX_CREDENTIALS, MAX_CREDENTIAL_NAME, MAX_CREDENTIAL = 16, 64, 10_000


class LeaseLost(ExchangeError):
    """Another process took the exchange over (this one stalled past its lease)."""


@dataclass(frozen=True)
class ExchangeStatus:
    id: int
    name: str
    kind: str
    bank: str
    enabled: bool
    interval_seconds: int
    config: JsonObject
    has_credentials: bool
    created_at: datetime
    #: Where the exchange's fetch stands (its own checkpoint; never a credential).
    checkpoint: JsonObject | None
    runs: int
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_sync_at: datetime | None
    fetched: int
    syncing: bool


@dataclass(frozen=True)
class SyncClaim:
    """An exchange held by one sync: everything the sync needs."""

    id: int
    name: str
    kind: str
    bank_id: int
    config: JsonObject
    credentials: dict[str, str]
    checkpoint: JsonObject | None
    run: int
    owner: str


class ExchangeStore:
    def __init__(
        self, db: Database, box: CredentialBox, *, access: SourceAccess | None = None
    ) -> None:
        self._db, self._box = db, box
        #: What the exchanges may read (the default: no file, public addresses only).
        self.access = access or SourceAccess()

    # Configuration ----------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        kind: str,
        bank: str,
        config: JsonObject,
        credentials: dict[str, str] | None = None,
        interval_seconds: int = 3600,
        enabled: bool = True,
        actor: str = "unknown",
    ) -> ExchangeStatus:
        validate_bank_name(name)  # the same rules as bank names
        _check_interval(interval_seconds)
        cls = exchange_class(kind)
        config = cls.check_config(checked_object(config, "config"))
        config = cls.check_sources(config, self.access)
        if credentials is not None:
            _check_credentials(credentials)
        with self._db.session() as s:
            bank_id = s.scalar(select(BankRow.id).where(BankRow.name == bank))
            if bank_id is None:
                raise NotFoundError(f"no bank named {bank!r}")
            row = ExchangeRow(
                name=name,
                kind=kind,
                bank_id=bank_id,
                config=config,
                credentials=self._box.seal(credentials) if credentials else None,
                enabled=enabled,
                interval_seconds=interval_seconds,
                runs=0,
                failures=0,
                fetched=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ConflictError(f"an exchange named {name!r} already exists") from None
            record_in(
                s, actor, "exchange.add", name, kind=kind, bank=bank,
                credentials=credentials is not None,
            )  # fmt: skip
            return _status(s, row)

    def get(self, name: str) -> ExchangeStatus:
        with self._db.session() as s:
            return _status(s, self._row(s, name))

    def list(self) -> builtins.list[ExchangeStatus]:
        with self._db.session() as s:
            return [
                _status(s, r) for r in s.scalars(select(ExchangeRow).order_by(ExchangeRow.name))
            ]

    def update(
        self,
        name: str,
        *,
        enabled: bool | None = None,
        interval_seconds: int | None = None,
        credentials: dict[str, str] | None = None,
        actor: str = "unknown",
    ) -> ExchangeStatus:
        if interval_seconds is not None:
            _check_interval(interval_seconds)
        if credentials is not None:
            _check_credentials(credentials)
        with self._db.session() as s:
            row = self._row(s, name)
            changed = {
                k: v
                for k, v in (("enabled", enabled), ("interval_seconds", interval_seconds))
                if v is not None
            }
            if changed:
                record_in(s, actor, "exchange.update", name, **changed)
            if credentials is not None:
                record_in(s, actor, "exchange.credentials", name, fields=sorted(credentials))
            if enabled is not None:
                row.enabled = enabled
            if interval_seconds is not None:
                row.interval_seconds = interval_seconds
            if credentials is not None:
                row.credentials = self._box.seal(credentials) if credentials else None
                row.failures, row.next_sync_at = 0, None  # try the new ones at once
            row.updated_at = utcnow()
            return _status(s, row)

    def remove(self, name: str, *, actor: str = "unknown") -> None:
        """Forget the exchange; the entries it fetched stay in the bank, without it."""
        with self._db.session() as s:
            s.delete(self._row(s, name))
            record_in(s, actor, "exchange.remove", name)

    def sync_soon(self, name: str) -> ExchangeStatus:
        """Make the exchange due now (the scheduler picks it up at its next look)."""
        with self._db.session() as s:
            row = self._row(s, name)
            row.next_sync_at = utcnow()
            return _status(s, row)

    def reset(self, name: str, *, actor: str = "unknown") -> ExchangeStatus:
        """Forget the checkpoint: the next sync fetches everything again."""
        with self._db.session() as s:
            row = self._row(s, name)
            record_in(s, actor, "exchange.reset", name)
            row.checkpoint, row.next_sync_at = None, None
            return _status(s, row)

    # Syncing ----------------------------------------------------------------------------

    def due(self, now: datetime) -> builtins.list[str]:
        """Enabled exchanges whose next sync is due and that no process is syncing."""
        with self._db.session() as s:
            return list(
                s.scalars(
                    select(ExchangeRow.name)
                    .where(
                        ExchangeRow.enabled.is_(True),
                        or_(ExchangeRow.next_sync_at.is_(None), ExchangeRow.next_sync_at <= now),
                        or_(ExchangeRow.lease_until.is_(None), ExchangeRow.lease_until <= now),
                    )
                    .order_by(ExchangeRow.next_sync_at, ExchangeRow.name)
                )
            )

    def claim(self, name: str, owner: str, *, lease: timedelta) -> SyncClaim | None:
        """Hold the exchange for a sync by `owner`; None when another process holds it."""
        now = utcnow()
        with self._db.session() as s:
            taken = s.execute(
                update(ExchangeRow)
                .where(
                    ExchangeRow.name == name,
                    or_(ExchangeRow.lease_until.is_(None), ExchangeRow.lease_until <= now),
                )
                .values(
                    lease_owner=owner,
                    lease_until=now + lease,
                    runs=ExchangeRow.runs + 1,
                    last_started_at=now,
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                if s.scalar(select(ExchangeRow.id).where(ExchangeRow.name == name)) is None:
                    raise NotFoundError(f"no exchange named {name!r}")
                return None
            row = self._row(s, name)
            return SyncClaim(
                id=row.id,
                name=row.name,
                kind=row.kind,
                bank_id=row.bank_id,
                config=dict(row.config or {}),
                credentials=self._box.open(row.credentials, owner=name) if row.credentials else {},
                checkpoint=row.checkpoint,
                run=row.runs,
                owner=owner,
            )

    def save_progress(
        self,
        s: Session,
        claim: SyncClaim,
        checkpoint: JsonObject | None,
        *,
        fetched: int,
        lease: timedelta,
    ) -> None:
        """In the transaction that applied a page: its checkpoint, and a renewed lease.
        LeaseLost (rolling the page back) if `claim` no longer holds the exchange."""
        done = s.execute(
            update(ExchangeRow)
            .where(ExchangeRow.id == claim.id, ExchangeRow.lease_owner == claim.owner)
            .values(
                checkpoint=checkpoint,
                fetched=ExchangeRow.fetched + fetched,
                lease_until=utcnow() + lease,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"{claim.name}: another process took over this sync")

    def finish(self, claim: SyncClaim, *, error: str | None = None) -> None:
        """Release the exchange after a sync, and schedule the next one (sooner after a
        failure, backing off while failures go on)."""
        now = utcnow()
        with self._db.session() as s:
            row = s.get(ExchangeRow, claim.id)
            if row is None or row.lease_owner != claim.owner:
                return  # removed meanwhile, or taken over
            row.lease_owner, row.lease_until = None, None
            if error is None:
                row.last_success_at, row.failures = now, 0
                row.next_sync_at = now + timedelta(seconds=row.interval_seconds)
            else:
                row.last_error, row.last_error_at = error[:500], now
                row.failures += 1
                wait = min(MAX_BACKOFF, row.interval_seconds, 30 * 2 ** min(row.failures, 16))
                row.next_sync_at = now + timedelta(seconds=wait)

    def _row(self, s: Session, name: str) -> ExchangeRow:
        row = s.scalar(select(ExchangeRow).where(ExchangeRow.name == name))
        if row is None:
            raise NotFoundError(f"no exchange named {name!r}")
        return row


def _check_interval(seconds: Any) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError("interval_seconds must be a whole number of seconds")
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValidationError(
            f"interval_seconds must be between {MIN_INTERVAL} and {MAX_INTERVAL:,}"
        )


def _check_credentials(credentials: Any) -> None:
    """Credentials are text fields: valid Unicode without NUL, of bounded length."""
    if not isinstance(credentials, dict):
        raise ValidationError("credentials: expected an object of text fields")
    if len(credentials) > MAX_CREDENTIALS:
        raise ValidationError(f"credentials: at most {MAX_CREDENTIALS} fields")
    for key, value in credentials.items():
        checked_text(key, "credentials (a field name)", max_length=MAX_CREDENTIAL_NAME)
        checked_text(value, f"credentials.{key}", max_length=MAX_CREDENTIAL)


def _status(s: Session, row: ExchangeRow) -> ExchangeStatus:
    bank = s.get_one(BankRow, row.bank_id).name
    now = utcnow()
    return ExchangeStatus(
        id=row.id,
        name=row.name,
        kind=row.kind,
        bank=bank,
        enabled=row.enabled,
        interval_seconds=row.interval_seconds,
        # As clients can read them back: an earlier version stored config unchecked, and a
        # checkpoint is what the source sent.
        config=dict(readable(row.config or {})),
        has_credentials=row.credentials is not None,
        created_at=row.created_at,
        checkpoint=readable(row.checkpoint),
        runs=row.runs,
        last_started_at=row.last_started_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        failures=row.failures,
        next_sync_at=row.next_sync_at,
        fetched=row.fetched,
        syncing=row.lease_until is not None and row.lease_until > now,
    )
