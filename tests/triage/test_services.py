"""Configured outside services on real databases: credentials sealed at rest and never listed,
clear errors for bad configuration, and one token bucket that every store, thread and
process shares."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.models import OutsideServiceRow
from bastion.triage.outside.store import ServiceConfig, ServiceStore

SECRET = "sk-live-0123456789"


@pytest.fixture
def services(db: Database, settings: Settings) -> ServiceStore:
    return ServiceStore(db, settings.credential_box(), allow_private=True)


def photodna(**changes: object) -> ServiceConfig:
    base = {
        "name": "pdna",
        "kind": "photodna",
        "url": "https://api.microsoftmoderator.com",
        "rate_per_second": 5.0,
        "burst": 5,
        "credentials": {"subscription_key": SECRET},
    }
    return ServiceConfig(**{**base, **changes})  # type: ignore[arg-type]


def test_credentials_are_sealed_and_never_listed(services: ServiceStore, db: Database) -> None:
    info = services.add(photodna(), actor="admin")
    assert info.credential_names == ("subscription_key",)
    assert SECRET not in repr(info)
    with db.session() as s:
        stored = s.scalar(select(OutsideServiceRow.sealed_credentials))
    assert stored is not None
    assert SECRET not in stored
    [guard] = services.guarded()
    assert guard.name == "pdna"
    assert guard.service._key == SECRET  # type: ignore[attr-defined]  # opened for the client only


def test_configuration_mistakes_are_clear(services: ServiceStore) -> None:
    with pytest.raises(ValidationError, match="unknown outside service kind 'dna'"):
        services.add(photodna(kind="dna"))
    with pytest.raises(ValidationError, match="invalid service name"):
        services.add(photodna(name="Bad Name"))
    with pytest.raises(ValidationError, match="https only"):
        services.add(photodna(url="http://api.example.com"))
    with pytest.raises(ValidationError, match="rate_per_second"):
        services.add(photodna(rate_per_second=0))
    with pytest.raises(ValidationError, match="photodna needs the credential subscription_key"):
        services.add(photodna(credentials={"subscription_key": ""}))
    services.add(photodna())
    with pytest.raises(ConflictError, match="already exists"):
        services.add(photodna())
    with pytest.raises(NotFoundError):
        services.remove("nope")


def test_private_addresses_need_the_setting(db: Database, settings: Settings) -> None:
    strict = ServiceStore(db, settings.credential_box())
    with pytest.raises(ValidationError, match="private network"):
        strict.add(photodna(url="http://127.0.0.1:9000"))
    with pytest.raises(ValidationError, match="private network"):
        strict.add(photodna(url="https://10.1.2.3"))


def test_disabled_and_removed_services_are_not_asked(services: ServiceStore) -> None:
    services.add(photodna())
    services.add(photodna(name="other"))
    services.set_enabled("other", False)
    assert [g.name for g in services.guarded()] == ["pdna"]
    services.remove("pdna")
    assert services.guarded() == []
    assert [s.name for s in services.all()] == ["other"]


def test_the_bucket_is_shared_by_every_store_and_thread(db: Database, settings: Settings) -> None:
    """Two stores (two processes' worth) and eight threads take from one bucket of 5 tokens
    at 0.001 a second: exactly 5 tokens are taken in all."""
    box = settings.credential_box()
    first = ServiceStore(db, box, clock=lambda: 1000.0)
    first.add(photodna(rate_per_second=0.001, burst=5))
    second = ServiceStore(Database.open(settings.database_url), box, clock=lambda: 1000.0)
    try:
        buckets = [first.guarded()[0].bucket, second.guarded()[0].bucket]
        start = threading.Barrier(8)

        def take(n: int) -> int:
            start.wait()
            return sum(buckets[n % 2].take() for _ in range(5))

        with ThreadPoolExecutor(8) as pool:
            taken = sum(pool.map(take, range(8)))
        assert taken == 5
    finally:
        second.db.close()


def test_the_bucket_refills_at_its_rate_and_pauses_when_asked(
    db: Database, settings: Settings
) -> None:
    now = [1000.0]
    store = ServiceStore(db, settings.credential_box(), clock=lambda: now[0])
    store.add(photodna(rate_per_second=2.0, burst=2))
    bucket = store.guarded()[0].bucket
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 0.5  # one token back
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] += 10  # full again, but never past the burst
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    bucket.pause(5)
    now[0] += 4
    assert bucket.take() is False
    now[0] += 1.5
    assert bucket.take() is True


def test_a_kinds_options_are_checked(services: ServiceStore) -> None:
    with pytest.raises(ValidationError, match="photodna has no option 'fast'"):
        services.add(photodna(options={"fast": "yes"}))
    with pytest.raises(ValidationError, match="option send is one of media, url, not 'pdq'"):
        services.add(photodna(options={"send": "pdq"}))
    assert services.add(photodna(options={"send": "url", "enhance": "true"})).options == {
        "send": "url", "enhance": "true",
    }  # fmt: skip
