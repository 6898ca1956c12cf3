"""`ServiceStore`: the outside services a deployment asks, their credentials sealed at rest.

A service is configured once (`add`) with its kind, address, credentials and limits; its
credentials are sealed by the deployment's credential box (the one exchanges use) and never
shown again: listings and the API say only which credential names are set. The clients are
built from the entry points of ``bastion.outside_services`` (`bastion.triage.outside.registry`)
and wrapped in their `Guard`s, remembered for a few seconds so that a check never waits on a
database read to learn whether triage has services to ask.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bastion import audit
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.media.addresses import host_address
from bastion.store.models import OutsideBucketRow, OutsideServiceRow, utcnow
from bastion.triage.outside.guard import Breaker, Guard, TokenBucket
from bastion.triage.outside.registry import service_class, service_kinds
from bastion.validation import checked_text

if TYPE_CHECKING:
    from bastion.exchange.secrets import CredentialBox
    from bastion.store.database import Database
    from bastion.triage.outside import OutsideService

log = logging.getLogger(__name__)

#: How long the enabled services are remembered.
CACHE_SECONDS = 5.0
_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


@dataclass(frozen=True)
class ServiceConfig:
    """One configured service. `credentials` are in clear only in memory, for its client."""

    name: str
    kind: str
    url: str
    rate_per_second: float = 1.0
    burst: int = 5
    timeout_seconds: float = 10.0
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ServiceInfo:
    """A service as listings show it: never its credentials, only their names."""

    name: str
    kind: str
    url: str
    rate_per_second: float
    burst: int
    timeout_seconds: float
    enabled: bool
    options: dict[str, Any]
    credential_names: tuple[str, ...]


class ServiceStore:
    def __init__(
        self,
        db: Database,
        box: CredentialBox,
        *,
        clock: Callable[[], float] = time.time,
        allow_private: bool = False,
    ) -> None:
        """`allow_private`: accept addresses on private networks and plain HTTP there (a
        deployment's own stand-in; tests' fakes on 127.0.0.1)."""
        self.db = db
        self._box = box
        self._clock = clock
        self._allow_private = allow_private
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Guard]] | None = None
        self._breakers: dict[str, Breaker] = {}

    # Configuration ---------------------------------------------------------------------

    def add(self, config: ServiceConfig, *, actor: str = "unknown") -> ServiceInfo:
        """Configure a service (its credentials sealed); ConflictError if the name is used."""
        _check(config, allow_private=self._allow_private)
        now = utcnow()
        with self.db.session() as s:
            if s.scalar(select(OutsideServiceRow.id).where(OutsideServiceRow.name == config.name)):
                raise ConflictError(f"outside service {config.name!r} already exists")
            row = OutsideServiceRow(
                name=config.name,
                kind=config.kind,
                url=config.url,
                sealed_credentials=self._box.seal(config.credentials),
                rate_per_second=config.rate_per_second,
                burst=config.burst,
                timeout_seconds=config.timeout_seconds,
                enabled=config.enabled,
                options=dict(config.options),
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.add(
                OutsideBucketRow(
                    service=config.name,
                    tokens=float(config.burst),
                    updated=self._clock(),
                    paused_until=0.0,
                )
            )
            audit.record_in(
                s,
                actor,
                "outside_service.add",
                f"outside_service:{config.name}",
                kind=config.kind,
                url=config.url,
            )
            s.flush()
            info = self._info(row)
        self.forget()
        return info

    def all(self) -> list[ServiceInfo]:
        with self.db.session() as s:
            rows = s.scalars(select(OutsideServiceRow).order_by(OutsideServiceRow.name))
            return [self._info(r) for r in rows]

    def get(self, name: str) -> ServiceInfo:
        with self.db.session() as s:
            return self._info(_row(s, name))

    def set_enabled(self, name: str, enabled: bool, *, actor: str = "unknown") -> ServiceInfo:
        with self.db.session() as s:
            row = _row(s, name)
            row.enabled, row.updated_at = enabled, utcnow()
            audit.record_in(
                s,
                actor,
                "outside_service.enable" if enabled else "outside_service.disable",
                f"outside_service:{name}",
            )
            info = self._info(row)
        self.forget()
        return info

    def set_credentials(
        self, name: str, credentials: dict[str, str], *, actor: str = "unknown"
    ) -> ServiceInfo:
        """Replace a service's credentials (the breaker forgets refused ones)."""
        with self.db.session() as s:
            row = _row(s, name)
            config = self._config(row)
            _check(_replace_credentials(config, credentials), allow_private=self._allow_private)
            row.sealed_credentials = self._box.seal(credentials)
            row.updated_at = utcnow()
            audit.record_in(s, actor, "outside_service.credentials", f"outside_service:{name}")
            info = self._info(row)
        with self._lock:
            self._breakers.pop(name, None)
        self.forget()
        return info

    def remove(self, name: str, *, actor: str = "unknown") -> None:
        with self.db.session() as s:
            s.delete(_row(s, name))
            s.execute(delete(OutsideBucketRow).where(OutsideBucketRow.service == name))
            audit.record_in(s, actor, "outside_service.remove", f"outside_service:{name}")
        self.forget()

    # Asking ----------------------------------------------------------------------------

    def guarded(self) -> list[Guard]:
        """The enabled services' clients behind their guards, as of a few seconds ago."""
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
        with self.db.session() as s:
            configs = [
                self._config(r)
                for r in s.scalars(
                    select(OutsideServiceRow)
                    .where(OutsideServiceRow.enabled.is_(True))
                    .order_by(OutsideServiceRow.name)
                )
            ]
        kinds = service_kinds()
        guards = []
        for config in configs:
            if config.kind not in kinds:  # its plugin was uninstalled since
                log.warning("outside service %s: no kind %r installed", config.name, config.kind)
                continue
            guards.append(self.guard(service_class(config.kind)(config), config))
        with self._lock:
            self._cached = (now, guards)
        return guards

    def guard(self, service: OutsideService, config: ServiceConfig) -> Guard:
        """`service` behind its limits: the shared bucket, and this process's breaker."""
        with self._lock:
            breaker = self._breakers.setdefault(config.name, Breaker())
        bucket = TokenBucket(
            self.db, config.name, config.rate_per_second, config.burst, clock=self._clock
        )
        return Guard(service, bucket, breaker, timeout=config.timeout_seconds)

    def forget(self) -> None:
        """Read the services again at the next check (after a change made here)."""
        with self._lock:
            self._cached = None

    # Rows ------------------------------------------------------------------------------

    def _config(self, row: OutsideServiceRow) -> ServiceConfig:
        return ServiceConfig(
            name=row.name,
            kind=row.kind,
            url=row.url,
            rate_per_second=row.rate_per_second,
            burst=row.burst,
            timeout_seconds=row.timeout_seconds,
            enabled=row.enabled,
            options=dict(row.options or {}),
            credentials=self._box.open(row.sealed_credentials, owner=f"outside service {row.name}"),
        )

    def _info(self, row: OutsideServiceRow) -> ServiceInfo:
        names = self._box.open(row.sealed_credentials, owner=f"outside service {row.name}")
        return ServiceInfo(
            name=row.name,
            kind=row.kind,
            url=row.url,
            rate_per_second=row.rate_per_second,
            burst=row.burst,
            timeout_seconds=row.timeout_seconds,
            enabled=row.enabled,
            options=dict(row.options or {}),
            credential_names=tuple(sorted(names)),
        )


def _row(s: Session, name: str) -> OutsideServiceRow:
    row = s.scalar(select(OutsideServiceRow).where(OutsideServiceRow.name == name))
    if row is None:
        raise NotFoundError(f"no outside service named {name!r}")
    return row


def _replace_credentials(config: ServiceConfig, credentials: dict[str, str]) -> ServiceConfig:
    return ServiceConfig(
        config.name,
        config.kind,
        config.url,
        config.rate_per_second,
        config.burst,
        config.timeout_seconds,
        config.enabled,
        config.options,
        credentials,
    )


def _check(config: ServiceConfig, *, allow_private: bool) -> None:
    """A clear error for a bad name, kind, address, limit or credential set."""
    import re

    if not re.fullmatch(_NAME, config.name):
        raise ValidationError(
            f"invalid service name {config.name!r}: 1-64 lower-case letters, digits, '_' or '-'"
        )
    cls = service_class(config.kind)
    allowed = getattr(cls, "option_values", None)
    for key, value in config.options.items():
        if allowed is None:
            break  # a plugin that says nothing of its options takes any
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(f"{config.kind} has no option {key!r} (its options: {known})")
        if str(value) not in allowed[key]:
            raise ValidationError(
                f"{config.kind} option {key} is one of {', '.join(allowed[key])}, not {value!r}"
            )
    needed = getattr(cls, "credential_fields", ())
    missing = [name for name in needed if not config.credentials.get(name)]
    if missing:
        raise ValidationError(f"{config.kind} needs the credential {', '.join(missing)}")
    checked_text(config.url, "url", max_length=2000)
    parts = urlsplit(config.url)
    try:
        address = host_address(parts.hostname or "")
    except ValueError as e:
        raise ValidationError(f"url {config.url!r}: {e}") from None
    private = parts.hostname == "localhost" or (
        address is not None and (address.is_private or address.is_loopback)
    )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(f"url {config.url!r}: an http(s) address is needed")
    if private and not allow_private:
        raise ValidationError(
            f"url {config.url!r} is on a private network: outside services are reached over "
            "the internet (a stand-in on your own network needs allow_private)"
        )
    if parts.scheme != "https" and not private:
        raise ValidationError(f"url {config.url!r}: credentials travel over https only")
    if not 0 < config.rate_per_second <= 10_000:
        raise ValidationError("rate_per_second must be above 0 and at most 10000")
    if not 1 <= config.burst <= 10_000:
        raise ValidationError("burst must be between 1 and 10000")
    if not 0 < config.timeout_seconds <= 120:
        raise ValidationError("timeout_seconds must be above 0 and at most 120")
    for key, value in config.credentials.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value:
            raise ValidationError("credentials are names with non-empty text values")
