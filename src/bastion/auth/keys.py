"""API keys: created once and shown once, stored as a digest, checked in constant time.

A key looks like ``bst_<prefix>_<secret>``. The prefix (12 random characters) is stored in
clear to find the key's row; the whole key is stored only as SHA-256. Keys carry 256 bits of
randomness, so a fast digest is safe here (a slow password hash protects guessable secrets,
which these are not) and keeps authentication cheap on every request.

A store may remember the keys it authenticated for `cache_seconds` (the service's
`api_key_cache_seconds` setting), so a busy service reads the key table once per key every few
seconds rather than on every request: a key revoked through another process stops working
within that time, and at once through this one.

Each store also records when a key was last used (`bastion.auth.last_use`): at most once a
minute per key and process, from a thread of its own, never on the request's path.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from bastion.audit import record_in
from bastion.auth.last_use import INTERVAL_SECONDS, UseRecorder
from bastion.errors import BastionError, NotFoundError, ValidationError
from bastion.store import Database
from bastion.store.models import ApiKeyRow, utcnow

_KEY = re.compile(r"bst_([A-Za-z0-9]{12})_([A-Za-z0-9]{43})")

_KEY_CACHE_SIZE = 10_000


class Scope(StrEnum):
    """What a key may do. `admin` implies every other scope."""

    HASH = "hash"  # compute signals of content
    MATCH = "match"  # match content and look up signals
    CURATE = "curate"  # create, change and delete banks and entries
    METRICS = "metrics"  # read /metrics (for a Prometheus scraper)
    PARTNER = "partner"  # read the collaborations it is a partner of, and give feedback
    REVIEW = "review"  # list, claim and decide review jobs, comment on them; read cases
    REPORT = "report"  # read, edit and send reports to hotlines (never approve them)
    # end-to-end encrypted apps: fetch the blinded tables, send vouchers, tag deliveries and
    # send franked reports (docs/private-matching.md); nothing else
    PRIVATE = "private"
    ADMIN = "admin"  # everything, including keys


class BankPermission(StrEnum):
    """What a key limited to some banks may do with each of them."""

    READ = "read"  # see the bank and its entries (and give feedback on them)
    WRITE = "write"  # change it: entries, imports, settings
    EXPORT = "export"  # download it as a hash list


class AuthenticationError(BastionError):
    """No key, or a key that is unknown, malformed or revoked."""

    code = "unauthenticated"


class PermissionDeniedError(BastionError):
    """A valid key without the scope a route needs."""

    code = "forbidden"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: frozenset[Scope]
    rate_limit: int | None
    created_at: datetime
    revoked_at: datetime | None
    #: None: every bank. Else the banks the key may use, with what it may do with each.
    bank_grants: dict[str, frozenset[BankPermission]] | None = None
    #: When it last authenticated a request, to within a minute; None: never.
    last_used_at: datetime | None = None

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def may(self, bank: str, permission: BankPermission) -> bool:
        return self.bank_grants is None or permission in self.bank_grants.get(bank, ())

    def check_bank(self, bank: str, permission: BankPermission) -> None:
        """PermissionDeniedError unless the key may `permission` the bank `bank`."""
        if not self.may(bank, permission):
            raise PermissionDeniedError(f"this API key may not {permission} bank {bank!r}")


@dataclass(frozen=True)
class NewApiKey:
    """A just-created key: `secret` is the full key, shown once and never stored."""

    key: ApiKey
    secret: str


class ApiKeyStore:
    def __init__(
        self,
        db: Database,
        *,
        cache_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        use_interval: float = INTERVAL_SECONDS,
    ) -> None:
        self.db = db
        self._cache_seconds = cache_seconds
        self._clock = clock
        #: When keys were last used, written in the background (see `last_use`).
        self.uses = UseRecorder(db, interval=use_interval, clock=clock)
        self._lock = threading.Lock()
        self._recent: dict[str, tuple[ApiKey, float]] = {}  # digest -> (key, read at)

    def create(
        self,
        name: str,
        scopes: list[Scope] | list[str],
        *,
        rate_limit: int | None = None,
        banks: Mapping[str, Sequence[BankPermission | str]] | None = None,
        actor: str = "unknown",
    ) -> NewApiKey:
        """A new key with `scopes`; `banks` limits it to those banks, each with what it may
        do there (read, write, export)."""
        if not name.strip() or len(name) > 100:
            raise ValidationError("key name must be 1-100 characters")
        try:
            checked = sorted({Scope(s) for s in scopes})
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValidationError(f"unknown scope in {list(scopes)} (known: {known})") from None
        if not checked:
            raise ValidationError("a key needs at least one scope")
        if rate_limit is not None and rate_limit <= 0:
            raise ValidationError("rate limit must be a positive number of requests per minute")
        grants = _checked_grants(banks)
        prefix = _random(12)
        secret = f"bst_{prefix}_{_random(43)}"
        with self.db.session() as s:
            row = ApiKeyRow(
                name=name.strip(),
                prefix=prefix,
                secret_hash=_digest(secret),
                scopes=[str(x) for x in checked],
                rate_limit=rate_limit,
                bank_grants=grants,
            )
            s.add(row)
            s.flush()
            record_in(
                s, actor, "key.create", name.strip(), prefix=prefix, scopes=row.scopes,
                banks=grants,
            )  # fmt: skip
            return NewApiKey(_key(row), secret)

    def list(self) -> list[ApiKey]:
        with self.db.session() as s:
            return [_key(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]

    def revoke(self, prefix_or_name: str, *, actor: str = "unknown") -> ApiKey:
        with self.db.session() as s:
            rows = s.scalars(
                select(ApiKeyRow).where(
                    (ApiKeyRow.prefix == prefix_or_name) | (ApiKeyRow.name == prefix_or_name),
                    ApiKeyRow.revoked_at.is_(None),
                )
            ).all()
            if not rows:
                raise NotFoundError(f"no active key with prefix or name {prefix_or_name!r}")
            if len(rows) > 1:
                raise ValidationError(
                    f"{len(rows)} active keys are named {prefix_or_name!r}: revoke by prefix"
                )
            rows[0].revoked_at = utcnow()
            revoked = _key(rows[0])
            record_in(s, actor, "key.revoke", revoked.name, prefix=revoked.prefix)
        with self._lock:
            self._recent.clear()
        return revoked

    def authenticate(self, secret: str | None) -> ApiKey:
        """The active key for `secret`; raises `AuthenticationError` otherwise."""
        if not secret:
            raise AuthenticationError("an API key is required (header 'Authorization: Bearer KEY')")
        match = _KEY.fullmatch(secret.strip())
        if match is None:
            raise AuthenticationError("malformed API key")
        digest = _digest(secret.strip())
        now = self._clock()
        recalled = self._recalled(digest, now)
        if recalled is not None:
            self.uses.note(recalled.id)
            return recalled
        with self.db.session() as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == match.group(1)))
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            raise AuthenticationError("unknown API key")
        if row.revoked_at is not None:
            raise AuthenticationError("this API key has been revoked")
        key = _key(row)
        if self._cache_seconds > 0:
            with self._lock:
                if len(self._recent) >= _KEY_CACHE_SIZE:
                    self._recent.clear()
                self._recent[digest] = (key, now)
        self.uses.note(key.id)
        return key

    def recall(self, secret: str | None) -> ApiKey | None:
        """The key for `secret` if it was authenticated in the last `cache_seconds`; never
        reads or writes the database (so an event loop may call it)."""
        key = self._recalled(_digest(secret.strip()), self._clock()) if secret else None
        if key is not None:
            self.uses.note(key.id)
        return key

    def _recalled(self, digest: str, now: float) -> ApiKey | None:
        with self._lock:
            recent = self._recent.get(digest)
        if recent is None or now - recent[1] >= self._cache_seconds:
            return None
        return recent[0]

    def has_admin_key(self) -> bool:
        with self.db.session() as s:
            rows = s.scalars(select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None)))
            return any(Scope.ADMIN.value in r.scopes for r in rows)


def _random(length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _checked_grants(
    banks: Mapping[str, Sequence[BankPermission | str]] | None,
) -> dict[str, list[str]] | None:
    if banks is None:
        return None
    checked: dict[str, list[str]] = {}
    for bank, permissions in banks.items():
        try:
            checked[bank] = sorted({BankPermission(p).value for p in permissions})
        except ValueError:
            known = ", ".join(p.value for p in BankPermission)
            raise ValidationError(f"bank permissions are {known}, not {permissions}") from None
        if not checked[bank]:
            raise ValidationError(f"no permission given for bank {bank!r}")
    return checked


def _key(row: ApiKeyRow) -> ApiKey:
    grants = row.bank_grants
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=frozenset(Scope(s) for s in row.scopes),
        rate_limit=row.rate_limit,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        bank_grants=None
        if grants is None
        else {b: frozenset(BankPermission(p) for p in ps) for b, ps in grants.items()},
    )
