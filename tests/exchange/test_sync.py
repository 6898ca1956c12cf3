"""Syncing exchanges into banks on SQLite and PostgreSQL: a hash-list file as the source."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from bastion.banks import BankStore
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.exchange.api import Exchange, FetchPage, JsonObject, Record
from bastion.exchange.impl import KINDS
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.matching import Matcher
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import ExchangeRow

HEADER = "signal_type,signal_str,collab,category,tags\n"


def pdq(n: int) -> str:
    return f"{random.Random(n).getrandbits(256):064x}"


@pytest.fixture
def exchanges(db: Database, tmp_path: Path) -> ExchangeStore:
    return ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "keys"))


@pytest.fixture
def syncer(store: BankStore, exchanges: ExchangeStore) -> Syncer:
    return Syncer(store, exchanges)


def entries(store: BankStore, bank: str = "shared") -> dict[str, dict]:
    return {e.provenance.upstream_id: e.metadata for e in store.iter_entries(bank)}


def test_a_hash_list_file_is_synced_then_follows_its_changes(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, settings: Settings, tmp_path: Path
) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text(
        HEADER + "".join(f"pdq,{pdq(i)},partner,POSITIVE_CLASS,t{i}\n" for i in range(12))
    )
    store.create_bank("shared")
    exchanges.add("partner", kind="local_file", bank="shared", config={"filename": str(listing)})
    first = syncer.sync("partner")
    assert first.error is None
    assert (first.counts.added, first.counts.deleted, first.pages) == (12, 0, 1)
    found = entries(store)
    assert found[f"pdq:{pdq(3)}"] == {
        "collab": "partner",
        "category": "POSITIVE_CLASS",
        "tags": ["t3"],
    }
    entry = next(store.iter_entries("shared"))
    assert (entry.provenance.source, entry.provenance.imported_from) == ("exchange", "partner")
    matcher = Matcher(store, settings)
    assert [m.entry_id for m in matcher.match_signals([Signal("pdq", pdq(5), 100)])]

    # Unchanged: nothing is read again.
    again = syncer.sync("partner")
    assert (again.pages, again.counts.added, again.counts.unchanged) == (0, 0, 0)

    # Two rows gone, one edited, one added.
    rows = [f"pdq,{pdq(i)},partner,POSITIVE_CLASS,t{i}\n" for i in range(2, 12)]
    rows[0] = f"pdq,{pdq(2)},partner,POSITIVE_CLASS,edited\n"
    listing.write_text(HEADER + "".join(rows) + f"pdq,{pdq(99)},partner,,\n")
    changed = syncer.sync("partner")
    assert changed.error is None
    c = changed.counts
    assert (c.added, c.updated, c.deleted, c.unchanged, changed.swept) == (1, 1, 2, 9, 2)
    found = entries(store)
    assert len(found) == 11
    assert f"pdq:{pdq(0)}" not in found
    assert found[f"pdq:{pdq(2)}"]["tags"] == ["edited"]
    matcher.refresh()
    assert not matcher.match_signals([Signal("pdq", pdq(0), 100)])
    assert matcher.match_signals([Signal("pdq", pdq(99), 100)])
    status = exchanges.get("partner")
    assert (status.runs, status.failures, status.last_error) == (3, 0, None)
    assert status.last_success_at is not None
    assert status.checkpoint is not None


def test_bad_rows_are_skipped_and_a_failed_read_changes_nothing(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, tmp_path: Path
) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"pdq {pdq(1)}\npdq nothex\nmd5 {'a' * 32}\nwhat\n")
    store.create_bank("shared")
    exchanges.add("file", kind="local_file", bank="shared", config={"filename": str(listing)})
    result = syncer.sync("file")
    assert (result.counts.added, result.skipped) == (2, 2)
    listing.write_bytes(b"pdq " + pdq(2).encode() + b"\n\xff\xfe not text\n")
    failed = syncer.sync("file")
    assert failed.error is not None
    assert "not UTF-8" in failed.error
    assert len(entries(store)) == 2  # the old list stands: no sweep after a failed read
    status = exchanges.get("file")
    assert status.failures == 1
    assert status.last_error == failed.error
    assert status.next_sync_at is not None
    listing.unlink()
    gone = syncer.sync("file")
    assert gone.error is not None
    assert "cannot read" in gone.error
    assert len(entries(store)) == 2


class Flaky(Exchange):
    """Pages of an incremental source that fails after `fail_after` pages."""

    kind = "flaky"
    description = "test source"
    fail_after: int | None = None
    pages: ClassVar[list[list[Record]]] = []

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        return config

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        start = 0 if checkpoint is None else checkpoint["page"]
        for number in range(start, len(self.pages)):
            if self.fail_after is not None and number >= self.fail_after:
                raise RuntimeError("the source broke")
            yield FetchPage(self.pages[number], {"page": number + 1})


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> type[Flaky]:
    monkeypatch.setitem(KINDS, "flaky", Flaky)
    return Flaky


def test_a_crashed_sync_resumes_without_gaps_or_duplicates(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, flaky: type[Flaky]
) -> None:
    def record(n: int, *, deleted: bool = False) -> Record:
        signals = () if deleted else (Signal("pdq", pdq(n)),)
        return Record(f"id-{n}", signals, {"n": n}, deleted=deleted)

    flaky.pages = [
        [record(0), record(1)],
        [record(2), record(1, deleted=True)],  # added, then a tombstone
        [record(3), record(0)],  # 0 again, unchanged
        [record(4)],
    ]
    flaky.fail_after = 2
    store.create_bank("shared")
    exchanges.add("up", kind="flaky", bank="shared", config={})
    broken = syncer.sync("up")
    assert broken.error == "internal error (RuntimeError); see the service log"
    assert sorted(entries(store)) == ["id-0", "id-2"]
    assert exchanges.get("up").checkpoint == {"page": 2}
    flaky.fail_after = None
    resumed = syncer.sync("up")
    assert resumed.error is None
    assert (resumed.pages, resumed.counts.added, resumed.counts.unchanged) == (2, 2, 1)
    assert sorted(entries(store)) == ["id-0", "id-2", "id-3", "id-4"]
    assert len(list(store.iter_entries("shared"))) == 4


def test_one_sync_at_a_time(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, db: Database, flaky: type[Flaky]
) -> None:
    flaky.pages, flaky.fail_after = [], None
    store.create_bank("shared")
    exchanges.add("up", kind="flaky", bank="shared", config={})
    held = exchanges.claim("up", "another process", lease=timedelta(minutes=1))
    assert held is not None
    with pytest.raises(ConflictError, match="being synced by another process"):
        syncer.sync("up")
    assert exchanges.get("up").syncing
    exchanges.finish(held)
    assert syncer.sync("up").error is None
    with pytest.raises(NotFoundError):
        syncer.sync("nope")


def test_credentials_are_stored_encrypted(
    store: BankStore, exchanges: ExchangeStore, db: Database, tmp_path: Path
) -> None:
    store.create_bank("shared")
    exchanges.add(
        "ncmec",
        kind="local_file",
        bank="shared",
        config={"filename": "x"},
        credentials={"username": "esp", "password": "correct horse battery"},
    )
    with db.session() as s:
        [row] = s.query(ExchangeRow).all()
        assert row.credentials is not None
        assert "correct horse" not in row.credentials
        assert "esp" not in row.credentials
    assert exchanges.get("ncmec").has_credentials
    claim = exchanges.claim("ncmec", "me", lease=timedelta(minutes=1))
    assert claim is not None
    assert claim.credentials["password"] == "correct horse battery"
    other_key = ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "other"))
    exchanges.finish(claim)
    with pytest.raises(Exception, match="cannot be read with this secret key"):
        other_key.claim("ncmec", "me", lease=timedelta(minutes=1))


def test_configuration_is_checked(store: BankStore, exchanges: ExchangeStore) -> None:
    store.create_bank("shared")
    with pytest.raises(NotFoundError):
        exchanges.add("x", kind="local_file", bank="missing", config={"filename": "a"})
    with pytest.raises(ValidationError, match="interval_seconds"):
        exchanges.add(
            "x", kind="local_file", bank="shared", config={"filename": "a"}, interval_seconds=5
        )
    with pytest.raises(ValidationError, match="one of 'filename' or 'url'"):
        exchanges.add("x", kind="local_file", bank="shared", config={})
    with pytest.raises(ValidationError, match="unknown exchange kind 'nope'"):
        exchanges.add("x", kind="nope", bank="shared", config={})
    with pytest.raises(ValidationError, match="invalid bank name"):
        exchanges.add("bad name", kind="local_file", bank="shared", config={"filename": "a"})
    exchanges.add("x", kind="local_file", bank="shared", config={"filename": "a"})
    with pytest.raises(ConflictError):
        exchanges.add("x", kind="local_file", bank="shared", config={"filename": "a"})
