"""BankStore on SQLite and PostgreSQL: banks, entries, provenance and the change sequence."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bastion.audit import AuditLog
from bastion.banks import BankStore, MatchOptions, NewEntry
from bastion.errors import (
    ConflictError,
    InvalidSignalError,
    NotFoundError,
    UnknownSignalTypeError,
    ValidationError,
)
from bastion.signals import PdqSignal, Signal
from bastion.store.models import ChangeOp

PDQ_A, PDQ_B = PdqSignal.examples()


def entry(value: str = PDQ_A, **kwargs: object) -> NewEntry:
    return NewEntry(signals=(Signal("pdq", value, 100),), **kwargs)  # type: ignore[arg-type]


def test_bank_lifecycle(store: BankStore) -> None:
    bank = store.create_bank("partner-list", description="from a partner", thresholds={"pdq": 20})
    assert (bank.name, bank.enabled, bank.thresholds, bank.entry_count) == (
        "partner-list",
        True,
        {"pdq": 20},
        0,
    )
    with pytest.raises(ConflictError, match="already exists"):
        store.create_bank("partner-list")
    store.update_bank("partner-list", enabled=False, thresholds={})
    again = store.get_bank("partner-list")
    assert not again.enabled
    assert again.thresholds == {}
    assert again.updated_at >= bank.updated_at
    assert [b.name for b in store.list_banks()] == ["partner-list"]
    assert store.delete_bank("partner-list") == 0
    with pytest.raises(NotFoundError, match="no bank named 'partner-list'"):
        store.get_bank("partner-list")


@pytest.mark.parametrize("name", ["", "has space", "-lead", ".lead", "x" * 256, "semi;colon", "é"])
def test_bad_bank_names_are_refused(store: BankStore, name: str) -> None:
    with pytest.raises(ValidationError, match="invalid bank name"):
        store.create_bank(name)


@pytest.mark.parametrize("name", ["_LEADING_UNDERSCORE", "x" * 255, "A.b-c_9"])
def test_bank_names_hma_accepts_are_stored_whole(store: BankStore, name: str) -> None:
    store.create_bank(name)
    assert store.get_bank(name).name == name


@pytest.mark.parametrize(
    ("thresholds", "error"),
    [
        ({"pdq": 257}, ValidationError),
        ({"pdq": -1}, ValidationError),
        ({"pdq": "31"}, ValidationError),
        ({"pdq": True}, ValidationError),
        ({"md5": 1}, ValidationError),
        ({"nope": 3}, UnknownSignalTypeError),
    ],
)
def test_bad_thresholds_are_refused(store: BankStore, thresholds: dict, error: type) -> None:
    with pytest.raises(error):
        store.create_bank("b", thresholds=thresholds)
    assert store.list_banks() == []


def test_entries_keep_metadata_and_provenance(store: BankStore) -> None:
    store.create_bank("b")
    until = datetime(2030, 1, 1, tzinfo=UTC)
    (entry_id,) = store.add_entries(
        "b",
        [entry(metadata={"case": "T-1", "tags": ["x"]}, note="seen twice", disabled_until=until)],
        source="media",
        imported_from="upload.jpg",
        added_by="reviewer-7",
    )
    got = store.get_entry(entry_id)
    assert got.bank == "b"
    assert got.signals == (Signal("pdq", PDQ_A, 100),)
    assert got.metadata == {"case": "T-1", "tags": ["x"]}
    assert got.note == "seen twice"
    assert got.provenance.source == "media"
    assert got.provenance.imported_from == "upload.jpg"
    assert got.provenance.added_by == "reviewer-7"
    assert got.provenance.added_at.tzinfo is not None
    assert abs(got.provenance.added_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert got.disabled_until == until
    assert not got.is_active(datetime(2029, 1, 1, tzinfo=UTC))
    assert got.is_active(datetime(2031, 1, 1, tzinfo=UTC))


def test_update_and_delete_entry(store: BankStore) -> None:
    store.create_bank("b")
    (entry_id,) = store.add_entries("b", [entry()], source="api")
    updated = store.update_entry(entry_id, enabled=False, note="false positive")
    assert (updated.enabled, updated.note) == (False, "false positive")
    with pytest.raises(ValidationError, match="timezone"):
        store.update_entry(entry_id, disabled_until=datetime(2030, 1, 1))
    store.delete_entry(entry_id)
    with pytest.raises(NotFoundError):
        store.get_entry(entry_id)
    with pytest.raises(NotFoundError):
        store.delete_entry(entry_id)


def test_change_sequence_is_monotonic_with_tombstones(store: BankStore) -> None:
    assert store.head_seq() == 0
    store.create_bank("a")
    ids = store.add_entries("a", [entry(PDQ_A), entry(PDQ_B)], source="api")
    store.update_entry(ids[0], note="n")
    store.delete_entry(ids[1])
    store.create_bank("b")
    store.delete_bank("a")
    changes = store.changes_since(0)
    seqs = [c.seq for c in changes]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert [(c.op, c.entry_id) for c in changes] == [
        (ChangeOp.BANK_UPSERT, None),
        (ChangeOp.ENTRY_UPSERT, ids[0]),
        (ChangeOp.ENTRY_UPSERT, ids[1]),
        (ChangeOp.ENTRY_UPSERT, ids[0]),
        (ChangeOp.ENTRY_DELETE, ids[1]),
        (ChangeOp.BANK_UPSERT, None),
        (ChangeOp.BANK_DELETE, None),
    ]
    assert store.head_seq() == seqs[-1]
    assert store.changes_since(seqs[3]) == changes[4:]
    assert store.changes_since(seqs[-1]) == []


def test_bulk_writer_is_all_or_nothing(store: BankStore) -> None:
    store.create_bank("b")

    def crash_mid_import() -> None:
        with store.bulk_writer("b", source="import", batch_size=2) as w:
            for value in (PDQ_A, PDQ_B, "0" * 64):
                w.add(entry(value))  # the first two are flushed inside the transaction
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        crash_mid_import()
    assert store.get_bank("b").entry_count == 0
    assert store.head_seq() == 1  # only the bank creation


def test_bulk_writer_skips_duplicates_within_and_across_batches(store: BankStore) -> None:
    store.create_bank("b")
    store.add_entries("b", [entry(PDQ_A)], source="api")
    with store.bulk_writer("b", source="import", batch_size=2) as w:
        for value in (PDQ_A, PDQ_B, PDQ_B, "0" * 64, PDQ_B):
            w.add(entry(value))
    assert w.duplicates == 3
    assert len(w.added_ids) == 2
    assert store.get_bank("b").entry_count == 3


def test_entries_need_signals_and_json_metadata(store: BankStore) -> None:
    store.create_bank("b")
    with pytest.raises(ValidationError, match="at least one signal"):
        store.add_entries("b", [NewEntry(signals=())], source="api")
    with pytest.raises(ValidationError, match="metadata"):
        store.add_entries("b", [entry(metadata={1: "x"})], source="api")
    assert store.get_bank("b").entry_count == 0


def test_signal_normalisation_errors() -> None:
    from bastion.signals import normalize_signal

    assert normalize_signal(" PDQ ", PDQ_A.upper() + "\n") == ("pdq", PDQ_A)
    with pytest.raises(InvalidSignalError, match="64 hex"):
        normalize_signal("pdq", PDQ_A[:-1])
    # Every known type is named, an installed plugin's too (the test plugin's dhash).
    with pytest.raises(UnknownSignalTypeError, match=r"known: (.+, )?md5, netclean, orb, pdq"):
        normalize_signal("facehash", "abc")


def test_iter_entries_streams_in_id_order(store: BankStore) -> None:
    store.create_bank("b")
    values = [f"{i:064x}" for i in range(25)]
    ids = store.add_entries("b", [entry(v) for v in values], source="api")
    got = list(store.iter_entries("b", chunk=7))
    assert [e.id for e in got] == ids
    assert [e.signals[0].value for e in got] == values


def test_an_entry_that_cannot_be_stored_fails_the_whole_bulk_write(store: BankStore) -> None:
    """Metadata with a NUL character (PostgreSQL's JSON refuses it; SQLite would keep it) is
    refused on both databases before anything is written, with the field named."""
    store.create_bank("b")
    entries = [entry(PDQ_A), entry(PDQ_B, metadata={"note": "bad \u0000 byte"})]
    with pytest.raises(ValidationError, match=r"metadata\.note: text must not contain NUL"):
        store.add_entries("b", entries, source="api")
    assert store.get_bank("b").entry_count == 0


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"a": "\ud800"}, r"metadata\.a: .*lone surrogate"),
        ({"a": float("nan")}, r"metadata\.a: numbers must be finite"),
        ({"a": 2**64}, r"metadata\.a: integers must fit in 64 bits"),
        (functools.reduce(lambda inner, _: {"a": inner}, range(300), {}), r"nested deeper"),
        ({"a": "x" * 20_000}, r"metadata: at most 16,384 bytes"),
        ({1: "x"}, r"metadata: object keys must be text"),
    ],
)
def test_metadata_a_client_could_not_read_back_is_refused(
    store: BankStore, metadata: dict[Any, Any], message: str
) -> None:
    store.create_bank("b")
    [kept] = store.add_entries("b", [entry(PDQ_A)], source="api")
    with pytest.raises(ValidationError, match=message):
        store.add_entries("b", [entry(PDQ_B, metadata=metadata)], source="api")
    with pytest.raises(ValidationError, match=message):
        store.update_entry(kept, metadata=metadata)
    assert store.get_bank("b").entry_count == 1
    assert store.get_entry(kept).metadata == {}


def test_notes_descriptions_and_signal_counts_are_bounded(store: BankStore) -> None:
    with pytest.raises(ValidationError, match=r"description: .*lone surrogate"):
        store.create_bank("b", description="\udfff")
    store.create_bank("b", description="fine")
    with pytest.raises(ValidationError, match="description: at most 2,000 characters"):
        store.update_bank("b", description="d" * 2001)
    with pytest.raises(ValidationError, match="note: text must not contain NUL"):
        store.add_entries(
            "b", [NewEntry(signals=(Signal("pdq", PDQ_A),), note="\x00")], source="api"
        )
    many = tuple(Signal("md5", f"{n:032x}") for n in range(65))
    with pytest.raises(ValidationError, match="at most 64 signals"):
        store.add_entries("b", [NewEntry(signals=many)], source="api")
    assert store.get_bank("b").description == "fine"
    assert store.get_bank("b").entry_count == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_value_the_database_refuses_is_bad_input_not_an_outage(store: BankStore) -> None:
    """Whatever slips past the checks and is refused by PostgreSQL (here NUL in text; SQLite
    stores it) is a `ValidationError` without the database's own words, not a 503."""
    with (
        pytest.raises(ValidationError, match="cannot store a value") as raised,
        store.db.session() as s,
    ):
        s.execute(text("SELECT 'a' || :value"), {"value": "a\x00b"})
    assert "0x00" not in str(raised.value)


def test_entry_ids_are_never_reused(store: BankStore) -> None:
    """A tombstone names one entry forever: after the newest entry is deleted, the next one
    gets a new id (AUTOINCREMENT on SQLite, which every migration must keep)."""
    store.create_bank("b")
    first, last = store.add_entries(
        "b", [NewEntry(signals=(Signal("md5", f"{n:032x}"),)) for n in (1, 2)], source="api"
    )
    store.delete_entry(last)
    [again] = store.add_entries(
        "b", [NewEntry(signals=(Signal("md5", f"{3:032x}"),))], source="api"
    )
    assert again > last > first


def test_bank_changes_that_decide_matching_are_audited(store: BankStore) -> None:
    """Creating and deleting a bank, and changing whether and how it matches, is recorded
    with who did it; a change of description alone is not."""
    store.create_bank("b", thresholds={"pdq": 20}, actor="key:abc")
    store.update_bank("b", description="just words", actor="key:abc")
    store.update_bank("b", thresholds={"pdq": 10}, enabled=False, actor="cli:ops")
    store.update_bank("b", matching=MatchOptions(rotations=False), actor="cli:ops")
    store.add_entries("b", [entry()], source="api")
    store.delete_bank("b", actor="key:def")
    events = list(reversed(AuditLog(store.db).list()))
    assert [(e.actor, e.action, e.target) for e in events] == [
        ("key:abc", "bank.create", "b"),
        ("cli:ops", "bank.update", "b"),
        ("cli:ops", "bank.update", "b"),
        ("key:def", "bank.delete", "b"),
    ]
    assert events[0].detail == {
        "enabled": True,
        "thresholds": {"pdq": 20},
        "matching": MatchOptions().as_dict(),
    }
    assert events[1].detail == {
        "enabled": False,
        "thresholds": {"from": {"pdq": 20}, "to": {"pdq": 10}},
    }
    assert events[2].detail["matching"]["to"]["rotations"] is False
    assert events[3].detail == {"entries": 1}
