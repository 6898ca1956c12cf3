"""Two bastion instances: a publisher serving a collaboration over real HTTP on 127.0.0.1,
and a subscriber with its own database syncing it, following edits and deletions, sending
feedback back, and refusing what it cannot trust."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, Derived, NewEntry
from bastion.exchange.feedback import FeedbackQueue, FeedbackStatus
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.federation.publisher import CollabStore
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import ExchangeRow
from tests.exchange.fakes import LOOPBACK, FakePublisher
from tests.web.conftest import running_server


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


@dataclass
class Subscriber:
    db: Database
    banks: BankStore
    exchanges: ExchangeStore
    box: CredentialBox

    def sync(self) -> None:
        result = Syncer(self.banks, self.exchanges).sync("acme-feed")
        assert result.error is None, result.error

    def held(self) -> dict[str, list[Signal]]:
        return {e.provenance.upstream_id: list(e.signals) for e in self.banks.iter_entries("in")}


@pytest.fixture
def publisher(settings: Settings, store: BankStore) -> Iterator[tuple[str, Settings]]:
    store.create_bank("confirmed")
    store.create_bank("other")
    store.add_entries(
        "confirmed",
        [NewEntry(signals=(Signal("pdq", pdq(n), 100),), metadata={"n": n}) for n in range(30)],
        source="api",
    )
    with running_server(settings) as url:
        yield url, settings


@pytest.fixture
def partner_key(db: Database) -> str:
    collabs = CollabStore(db, ApiKeyStore(db))
    collabs.create("partners", ["confirmed"])
    return collabs.add_partner("partners", "acme").secret


@pytest.fixture
def subscriber(
    tmp_path: Path, publisher: tuple[str, Settings], partner_key: str
) -> Iterator[Subscriber]:
    db = Database.open(f"sqlite:///{tmp_path / 'subscriber.db'}")
    box = CredentialBox.for_settings("", tmp_path / "subscriber-keys")
    banks, exchanges = BankStore(db), ExchangeStore(db, box, access=LOOPBACK)
    banks.create_bank("in")
    url, settings = publisher
    exchanges.add(
        "acme-feed",
        kind="bastion",
        bank="in",
        config={
            "url": url,
            "collab": "partners",
            "public_key": settings.signing_key().public,
            "limit": 7,
        },
        credentials={"api_key": partner_key},
    )
    yield Subscriber(db, banks, exchanges, box)
    db.close()


def test_a_collaboration_syncs_and_follows_edits_and_deletions(
    subscriber: Subscriber, store: BankStore
) -> None:
    subscriber.sync()
    held = subscriber.held()
    assert len(held) == 30
    [first] = [e for e in subscriber.banks.iter_entries("in") if e.metadata.get("n") == 0]
    assert first.metadata["federation"]["bank"] == "confirmed"
    assert first.signals == (Signal("pdq", pdq(0), 100),)

    ids = [e.id for e in store.iter_entries("confirmed")]
    store.delete_entry(ids[0])
    store.update_entry(ids[1], metadata={"n": 1, "reviewed": True})
    store.update_entry(ids[2], enabled=False)  # no longer shared
    [added] = store.add_entries(
        "confirmed", [NewEntry(signals=(Signal("md5", "f" * 32),))], source="api"
    )
    store.add_entries("other", [NewEntry(signals=(Signal("md5", "e" * 32),))], source="api")
    subscriber.sync()
    held = subscriber.held()
    assert str(ids[0]) not in held
    assert str(ids[2]) not in held
    assert held[str(added)] == [Signal("md5", "f" * 32)]
    assert len(held) == 29  # 30, less one deleted and one disabled, and one added
    [edited] = [
        e for e in subscriber.banks.iter_entries("in") if e.provenance.upstream_id == str(ids[1])
    ]
    assert edited.metadata["reviewed"] is True

    # The publisher now shares another bank instead: the old entries leave.
    CollabStore(store.db, ApiKeyStore(store.db)).set_banks("partners", ["other"])
    subscriber.sync()
    assert [s for signals in subscriber.held().values() for s in signals] == [
        Signal("md5", "e" * 32)
    ]


def test_feedback_reaches_the_publisher(subscriber: Subscriber, store: BankStore) -> None:
    subscriber.sync()
    entry = next(subscriber.banks.iter_entries("in"))
    queue = FeedbackQueue(subscriber.db, subscriber.box, access=LOOPBACK)
    queue.give(entry.id, "false_positive", note="a family photo")
    assert queue.deliver_due() == 1
    assert queue.list()[0].status is FeedbackStatus.SENT
    [received] = CollabStore(store.db, ApiKeyStore(store.db)).feedback("partners")
    assert (received.partner, received.entry_id, received.opinion, received.note) == (
        "acme",
        int(entry.provenance.upstream_id or 0),
        "false_positive",
        "a family photo",
    )


def test_fetched_entries_are_not_passed_on_unless_asked(
    subscriber: Subscriber, store: BankStore, db: Database, settings: Settings, tmp_path: Path
) -> None:
    listing = tmp_path / "ncmec-like.txt"
    listing.write_text(f"md5 {'1' * 32}\nmd5 {'2' * 32}\n")
    exchanges = ExchangeStore(
        db,
        CredentialBox.for_settings("", tmp_path / "publisher-keys"),
        access=settings.exchange_access(operator=True),
    )
    exchanges.add(
        "received", kind="local_file", bank="confirmed", config={"filename": str(listing)}
    )
    assert Syncer(store, exchanges).sync("received").error is None
    assert len(list(store.iter_entries("confirmed"))) == 32
    subscriber.sync()
    assert len(subscriber.held()) == 30  # the list the publisher received is kept back
    collabs = CollabStore(db, ApiKeyStore(db))
    collabs.create("everything", ["confirmed"], include_fetched=True)
    everything = collabs.add_partner("everything", "acme").secret
    with subscriber.db.session() as s:
        row = s.query(ExchangeRow).one()
        row.config = {**row.config, "collab": "everything"}
    subscriber.exchanges.update("acme-feed", credentials={"api_key": everything})
    subscriber.exchanges.reset("acme-feed")
    subscriber.sync()
    assert len(subscriber.held()) == 32


def test_a_page_signed_by_another_key_is_refused(
    subscriber: Subscriber, publisher: tuple[str, Settings], tmp_path: Path
) -> None:
    other = Settings.load(env={}, data_dir=tmp_path / "impostor").signing_key()
    with subscriber.db.session() as s:
        row = s.query(ExchangeRow).one()
        row.config = {**row.config, "public_key": other.public}
    result = Syncer(subscriber.banks, subscriber.exchanges).sync("acme-feed")
    assert result.error is not None
    assert "signature does not verify" in result.error
    assert subscriber.held() == {}


def test_partner_keys_open_only_their_collaboration(
    publisher: tuple[str, Settings], partner_key: str, db: Database
) -> None:
    url, _ = publisher
    collabs = CollabStore(db, ApiKeyStore(db))
    collabs.create("private", ["other"])
    as_partner = {"Authorization": f"Bearer {partner_key}"}
    assert httpx.get(f"{url}/v1/exchange/partners/changes", headers=as_partner).status_code == 200
    hidden = httpx.get(f"{url}/v1/exchange/private/changes", headers=as_partner)
    assert hidden.status_code == 404
    assert "private" in hidden.json()["detail"]  # it names only what was asked
    assert httpx.get(f"{url}/api/v1/banks", headers=as_partner).status_code == 403
    curate = ApiKeyStore(db).create("c", [Scope.CURATE]).secret
    denied = httpx.get(
        f"{url}/v1/exchange/partners/changes", headers={"Authorization": f"Bearer {curate}"}
    )
    assert denied.status_code == 403
    assert httpx.get(f"{url}/v1/exchange/partners/changes").status_code == 401
    bad_cursor = httpx.get(
        f"{url}/v1/exchange/partners/changes", params={"cursor": "x!"}, headers=as_partner
    )
    assert bad_cursor.status_code == 400
    collabs.remove_partner("partners", "acme")
    # At once: the partner is gone (the revoked key itself stops authenticating within
    # api_key_cache_seconds, in every process).
    removed = httpx.get(f"{url}/v1/exchange/partners/changes", headers=as_partner)
    assert removed.status_code == 404


def test_derived_hashes_stay_with_the_publisher(subscriber: Subscriber, store: BankStore) -> None:
    derived = (Derived(Signal("pdq", pdq(999), 90), "crop_10"),)
    [added] = store.add_entries(
        "confirmed",
        [NewEntry(signals=(Signal("pdq", pdq(500), 100),), derived=derived)],
        source="media",
    )
    subscriber.sync()
    held = subscriber.held()
    assert held[str(added)] == [Signal("pdq", pdq(500), 100)]
    assert all(Signal("pdq", pdq(999), 90) not in signals for signals in held.values())


def test_changes_that_cannot_be_kept_are_skipped_and_the_rest_applied(
    store: BankStore, db: Database, tmp_path: Path
) -> None:
    def upsert(entry_id: Any, signals: list[Any], metadata: Any = None) -> dict[str, Any]:
        return {"op": "upsert", "id": entry_id, "bank": "b", "signals": signals,
                "metadata": metadata or {}, "updated_at": "2024-01-01T00:00:00Z"}  # fmt: skip

    fake = FakePublisher(
        "partners",
        [
            [
                upsert(1, [["pdq", pdq(1), 100]], {"n": 1}),
                "not a change",
                upsert("x1", [["pdq", pdq(2), 100]]),  # not an entry id
                upsert("²", [["pdq", pdq(3), 100]]),  # a digit, but not a decimal one
                {"op": "rename", "id": 4},  # an operation this version does not know
                upsert(5, [["pdq", pdq(5), 100]], {"note": "\ud800"}),
                upsert(6, [["url", "example.com:abc", None]]),  # no signal left
            ],
            [upsert(7, [["pdq", pdq(7), 100]]), {"op": "delete", "id": 1}],
        ],
    )
    store.create_bank("in")
    exchanges = ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "k"), access=LOOPBACK)
    with fake.serving() as url:
        exchanges.add(
            "odd", kind="bastion", bank="in",
            config={"url": url, "collab": "partners", "public_key": fake.key.public},
            credentials={"api_key": "key"},
        )  # fmt: skip
        result = Syncer(store, exchanges).sync("odd")
    assert result.error is None
    assert (result.pages, result.skipped) == (2, 6)
    assert (result.counts.added, result.counts.deleted) == (2, 1)
    assert [e.provenance.upstream_id for e in store.iter_entries("in")] == ["7"]
