"""The change sequence (`ChangeLog`) on SQLite and PostgreSQL: what writers record, what a
follower reads back, and the signals deleted under each change."""

from __future__ import annotations

from sqlalchemy import select

from bastion.banks import BankStore, Change, ChangeLog, ChangeOp, NewEntry
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from bastion.store.models import SignalRow

PDQ_A, PDQ_B = PdqSignal.examples()


def entry(*values: str) -> NewEntry:
    return NewEntry(signals=tuple(Signal("pdq", v, 100) for v in values))


def test_an_empty_log_has_head_zero_and_no_stamp(db: Database) -> None:
    log = ChangeLog(db)
    assert log.head() == 0
    assert log.since(0) == []
    assert log.stamp(0) is None
    assert log.removed_signals([1, 2]) == []


def test_recorded_changes_are_read_back_in_order(db: Database) -> None:
    log = ChangeLog(db)
    with log.writing() as s:
        log.record(s, [(ChangeOp.BANK_UPSERT, 7, None), (ChangeOp.ENTRY_UPSERT, 7, 70)])
    with log.writing() as s:
        log.record(s, [(ChangeOp.ENTRY_DELETE, 7, 70)])
        log.record(s, [])  # nothing to record: no change, no lock
    changes = log.since(0)
    assert [(c.op, c.bank_id, c.entry_id) for c in changes] == [
        (ChangeOp.BANK_UPSERT, 7, None),
        (ChangeOp.ENTRY_UPSERT, 7, 70),
        (ChangeOp.ENTRY_DELETE, 7, 70),
    ]
    first, second, third = (c.seq for c in changes)
    assert first < second < third == log.head()
    assert log.since(first, until=second) == [Change(second, ChangeOp.ENTRY_UPSERT, 7, 70)]
    assert log.since(0, limit=1) == changes[:1]
    with db.session() as s:  # a follower may read inside its own transaction
        assert log.head(session=s) == third
        assert log.since(second, session=s) == changes[2:]
    stamp = log.stamp(third)
    assert stamp is not None
    assert stamp.startswith(f"{third}@")


def test_a_failed_write_records_nothing_and_tells_no_listener(db: Database) -> None:
    log = ChangeLog(db)
    heard: list[int] = []
    log.on_commit(lambda: heard.append(log.head()))
    try:
        with log.writing() as s:
            log.record(s, [(ChangeOp.BANK_UPSERT, 1, None)])
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    assert (log.head(), heard) == (0, [])
    with log.writing() as s:
        log.record(s, [(ChangeOp.BANK_UPSERT, 1, None)])
    assert heard == [log.head()] != [0]


def test_the_bank_store_records_in_its_log_and_keeps_deleted_signals(store: BankStore) -> None:
    heard: list[int] = []
    store.on_commit(lambda: heard.append(store.changes.head()))
    store.create_bank("b")
    kept, gone = store.add_entries("b", [entry(PDQ_A), entry(PDQ_B)], source="api")
    with store.db.session() as s:
        signal_id = s.scalar(select(SignalRow.id).where(SignalRow.entry_id == gone))
    store.delete_entry(gone)
    head = store.changes.head()
    assert heard[-1] == head == store.head_seq()
    assert store.changes.removed_signals([head]) == [(signal_id, "pdq")]
    assert store.changes_since(0) == store.changes.since(0)
    assert [c.entry_id for c in store.changes.since(0)] == [None, kept, gone, gone]
    assert store.change_stamp(head) == store.changes.stamp(head)
