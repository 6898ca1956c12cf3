"""Private matching in the service: the blinded table follows the bank (entries added and
removed, as changes a device applies), and an account's vouchers act only once `t` of its
items match; replays, stale tables, quotas and malformed vouchers are refused with nothing
stored."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bastion.banks import NewEntry
from bastion.client import PrivateChecker
from bastion.e2ee import QuotaExceededError, StaleVoucherError
from bastion.e2ee.vouchers import ReplayedVoucherError
from bastion.errors import NotFoundError, ValidationError
from bastion.pipeline import Bastion
from bastion.private.table import BlindedTable
from bastion.private.tokens import exact_token
from bastion.private.voucher import Account, Voucher, open_voucher
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store.models import CaseRow, JobRow, PrivateVoucherRow


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    b = Bastion(settings.with_overrides(private_threshold=3, private_voucher_quota=50))
    b.store.create_bank("known")
    b.actions.add_review("known")
    yield b
    b.close()


def add(bastion: Bastion, value: str) -> int:
    (entry_id,) = bastion.store.add_entries(
        "known", [NewEntry(signals=(Signal("md5", value),))], source="test"
    )
    return entry_id


def jobs(bastion: Bastion) -> list[tuple[str | None, str]]:
    with bastion.db.session() as s:
        rows = s.execute(select(JobRow.evidence, CaseRow.subject).join(CaseRow)).all()
    return sorted((e["content"]["content_id"], subject) for e, subject in rows)


def test_the_table_follows_the_bank(bastion: Bastion) -> None:
    values = [secrets.token_hex(16) for _ in range(20)]
    ids = [add(bastion, v) for v in values]
    doc = bastion.private.table("exact")
    table = BlindedTable.from_document(doc)
    alpha = bastion.private.tables.alpha("exact", table.info.id)
    account = Account.new("alice")

    def opens(held: BlindedTable, value: str) -> bool:
        from bastion.private.voucher import make

        v = make(held, account, [exact_token("md5", value)], {})
        return open_voucher(Voucher.decode(v.encode()), alpha, "alice") is not None

    assert all(opens(table, v) for v in values)
    assert not opens(table, "0" * 32)
    assert bastion.private.table("exact", since=table.info.version)["changes"] == ""

    new = secrets.token_hex(16)
    add(bastion, new)
    bastion.store.delete_entry(ids[0])
    changes = bastion.private.table("exact", since=table.info.version)
    assert changes["version"] == table.info.version + 1
    assert "slots" not in changes
    # The freed slot and the new token's (the same slot when it is one of its choices),
    # plus any slots its placement moved tokens between: never the whole table.
    assert 1 <= len(base64.b64decode(changes["changes"])) // 36 < table.info.size // 2
    updated = table.update(changes)
    assert opens(updated, new)
    assert not opens(table, new)
    assert not opens(updated, values[0])
    assert opens(updated, values[1])
    whole = BlindedTable.from_document(bastion.private.table("exact"))
    assert whole.digest() == updated.digest()  # the changes give exactly the table


def test_vouchers_act_only_at_the_threshold_in_the_accounts_case(bastion: Bastion) -> None:
    values = [secrets.token_hex(16) for _ in range(5)]
    for v in values:
        add(bastion, v)
    device = PrivateChecker(Account.new("alice"))
    device.take(bastion.private.table("exact"))

    def send(value: str, content: str) -> None:
        signals = {"md5": value, "sha256": hashlib.sha256(value.encode()).hexdigest()}
        assert bastion.private.submit("alice", device.vouchers(signals, content)).accepted == 1

    send(values[0], "p1")
    send(secrets.token_hex(16), "other-1")
    send(values[1], "p2")
    send(values[1], "p2")  # the same item again: the same share, still 2 items
    assert jobs(bastion) == []
    with bastion.db.session() as s:
        kept = s.scalars(select(PrivateVoucherRow.inner)).all()
    assert len(kept) == 4
    assert sum(i is not None for i in kept) == 3
    send(values[2], "p3")
    assert jobs(bastion) == [("p1", "user:alice"), ("p2", "user:alice"), ("p3", "user:alice")]
    send(values[3], "p4")  # past the threshold each new match acts at once
    assert ("p4", "user:alice") in jobs(bastion)
    assert len(jobs(bastion)) == 4
    # Another account's vouchers count for it alone.
    bob = PrivateChecker(Account.new("bob"))
    bob.take(bastion.private.table("exact"))
    bastion.private.submit("bob", bob.vouchers({"md5": values[4]}, "b1"))
    assert len(jobs(bastion)) == 4


def stored(bastion: Bastion) -> int:
    with bastion.db.session() as s:
        return s.scalar(select(func.count()).select_from(PrivateVoucherRow)) or 0


def test_bad_vouchers_are_refused_and_nothing_is_stored(bastion: Bastion) -> None:
    value = secrets.token_hex(16)
    add(bastion, value)
    device = PrivateChecker(Account.new("alice"))
    device.take(bastion.private.table("exact"))
    (good,) = device.vouchers({"md5": value}, "x")
    submit = bastion.private.submit

    for bad in ("not base64!", base64.b64encode(b"\0" * 100).decode(), good[:-8] + "AAAAAAA="):
        with pytest.raises(ValidationError):
            submit("alice", [good, bad])
    with pytest.raises(ValidationError):
        submit("x" * 201, [good])
    with pytest.raises(ReplayedVoucherError):
        submit("alice", [good, good])
    assert stored(bastion) == 0
    submit("alice", [good])
    with pytest.raises(ReplayedVoucherError):
        submit("alice", [good])
    assert stored(bastion) == 1

    # The bank is rebuilt (a new threshold): vouchers for the old table are stale.
    bastion.private.tables.options = type(bastion.private.tables.options)(4, False)
    (old,) = device.vouchers({"md5": value}, "y")
    with pytest.raises(StaleVoucherError):
        submit("alice", [old])


def test_the_quota_refuses_a_probing_account(bastion: Bastion) -> None:
    device = PrivateChecker(Account.new("mallory"))
    device.take(bastion.private.table("exact"))
    batch = [device.vouchers({"md5": secrets.token_hex(16)})[0] for _ in range(25)]
    bastion.private.submit("mallory", batch)
    bastion.private.submit("mallory", batch[:0] + [device.vouchers({"md5": "a" * 32})[0]] * 1)
    more = [device.vouchers({"md5": secrets.token_hex(16)})[0] for _ in range(25)]
    with pytest.raises(QuotaExceededError):
        bastion.private.submit("mallory", more)
    bastion.private.submit("someone-else", more)  # a quota per account


def test_private_matching_off_publishes_nothing(settings: Settings) -> None:
    b = Bastion(settings.with_overrides(private_matching=False))
    try:
        with pytest.raises(NotFoundError):
            b.private.table("exact")
        with pytest.raises(NotFoundError):
            b.private.submit("alice", ["AAAA"])
    finally:
        b.close()


def test_the_near_table_is_published_only_when_on(bastion: Bastion, settings: Settings) -> None:
    with pytest.raises(NotFoundError):
        bastion.private.table("near")
    b = Bastion(settings.with_overrides(private_near_matching=True))
    try:
        b.store.create_bank("photos")
        b.store.add_entries("photos", [NewEntry(signals=(Signal("pdq", "f" * 64),))], source="t")
        doc = b.private.table("near")
        assert doc["lsh"]["tables"] == 32
        assert doc["item_threshold"] == 1
        assert BlindedTable.from_document(doc).info.kind == "near"
    finally:
        b.close()
