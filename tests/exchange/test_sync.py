"""Syncing exchanges into banks on SQLite and PostgreSQL: a hash-list file as the source."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bastion.audit import AuditLog
from bastion.banks import BankStore
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.exchange import impl
from bastion.exchange.api import Exchange, FetchPage, JsonObject, Record
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
def exchanges(db: Database, settings: Settings, tmp_path: Path) -> ExchangeStore:
    return ExchangeStore(
        db,
        CredentialBox.for_settings("", tmp_path / "keys"),
        access=settings.exchange_access(operator=True),
    )


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
    matcher = Matcher(store, settings.matching_options())
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
    kinds = {**impl.exchange_kinds(), "flaky": Flaky}
    monkeypatch.setattr(impl, "exchange_kinds", lambda: kinds)
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


def test_records_a_bank_cannot_hold_are_skipped_and_the_rest_applied(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, flaky: type[Flaky], db: Database
) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]

    def record(upstream_id: str, metadata: dict[str, Any], n: int = 1) -> Record:
        return Record(upstream_id, (Signal("pdq", pdq(n)),), metadata)

    flaky.pages = [
        [
            record("good", {"ok": True}),
            record("surrogate", {"note": "\ud800"}, 2),
            record("nul", {"note": "a\x00b"}, 3),
            record("deep", deep, 4),
            record("huge", {"blob": "x" * 20_000}, 5),
            record("nan", {"score": float("nan")}, 6),
            record("big-int", {"n": 2**70}, 7),
            record("x" * 300, {}, 8),
            record("id\ud800", {}, 9),
            Record("many", tuple(Signal("md5", f"{i:032x}") for i in range(65))),
        ],
        [record("next-page", {"n": 2}, 10), Record("gone\x00", deleted=True)],
    ]
    flaky.fail_after = None
    store.create_bank("shared")
    exchanges.add("up", kind="flaky", bank="shared", config={})
    result = syncer.sync("up")
    assert result.error is None
    assert (result.pages, result.counts.added, result.skipped) == (2, 2, 10)
    assert entries(store) == {"good": {"ok": True}, "next-page": {"n": 2}}
    [event] = AuditLog(db).list(action="exchange.sync")
    assert (event.detail["added"], event.detail["skipped"]) == (2, 10)
    assert exchanges.get("up").last_error is None


def test_a_malformed_row_in_a_list_is_skipped_not_the_sync(
    store: BankStore, exchanges: ExchangeStore, syncer: Syncer, tmp_path: Path
) -> None:
    store.create_bank("shared")
    text = tmp_path / "list.txt"
    text.write_text(
        f"url example.com/ok\nurl example.com:abc\nurl example.com:99999/x\nurl http://[::1\n"
        f"pdq {pdq(1)}\n"
    )
    table = tmp_path / "list.csv"
    table.write_text(
        f"{HEADER}pdq,{pdq(2)},a\x00b,,\npdq,{pdq(3)},{'c' * 20_000},,\npdq,{pdq(4)},ok,,\n"
    )
    exchanges.add("text", kind="local_file", bank="shared", config={"filename": str(text)})
    exchanges.add("table", kind="local_file", bank="shared", config={"filename": str(table)})
    first, second = syncer.sync("text"), syncer.sync("table")
    assert (first.error, first.counts.added, first.skipped) == (None, 2, 3)
    assert (second.error, second.counts.added, second.skipped) == (None, 1, 2)
    assert set(entries(store)) == {f"pdq:{pdq(1)}", f"pdq:{pdq(4)}", "url:example.com/ok"}


def test_config_and_credentials_are_checked_before_anything_is_written(
    store: BankStore, exchanges: ExchangeStore, db: Database, tmp_path: Path
) -> None:
    store.create_bank("shared")
    listing = str(tmp_path / "list.txt")
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    for config, message in (
        ({"filename": "list\ud800.txt"}, "config.filename: text must be valid Unicode"),
        ({"filename": listing, "x\ud800": 1}, "config \\(a key\\): text must be valid Unicode"),
        ({"filename": listing, "signal_type": "md5\x00"}, "config.signal_type: .* NUL"),
        ({"filename": listing, "timeout": float("inf")}, "config.timeout: numbers must be finite"),
        ({"filename": listing, "deep": deep}, "config: nested deeper than 32 levels"),
    ):
        with pytest.raises(ValidationError, match=message):
            exchanges.add("x", kind="local_file", bank="shared", config=config)
    for credentials, message in (
        ({"token": "s3cret\ud800"}, "credentials.token: text must be valid Unicode"),
        ({"token": "s3cret\x00"}, "credentials.token: text must not contain NUL"),
        ({"to\ud800ken": "s3cret"}, "credentials \\(a field name\\): text must be valid"),
        ({"token": 12}, "credentials.token: expected text"),
    ):
        with pytest.raises(ValidationError, match=message):
            exchanges.add(
                "x", kind="local_file", bank="shared", config={"filename": listing},
                credentials=credentials,  # type: ignore[arg-type]
            )  # fmt: skip
    assert exchanges.list() == []
    assert AuditLog(db).list(action="exchange.add") == []
    exchanges.add(
        "x", kind="local_file", bank="shared", config={"filename": listing},
        credentials={"token": "s3cret"},
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"^credentials\.token: text must be valid Unicode"):
        exchanges.update("x", credentials={"token": "n3w\ud800"}, enabled=False)
    assert exchanges.get("x").enabled
    claim = exchanges.claim("x", "me", lease=timedelta(minutes=1))
    assert claim is not None
    assert claim.credentials == {"token": "s3cret"}
    assert [e.action for e in AuditLog(db).list() if e.target == "x"] == ["exchange.add"]
