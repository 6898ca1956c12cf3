"""The private-matching protocol on its own (no service): vouchers open exactly for bank
items, nothing inner opens below the threshold, and forged, moved or malformed vouchers
open nothing or are refused."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import ValidationError
from bastion.private import group, shamir
from bastion.private.tokens import Lsh, exact_token, exact_tokens
from bastion.private.voucher import (
    Account,
    MalformedVoucherError,
    Voucher,
    account_key,
    make,
    open_payload,
    open_voucher,
)
from tests.private.helpers import build_table

ALPHA = group.random_scalar()
BANK_VALUES = [secrets.token_hex(16) for _ in range(300)]
BANK = [exact_token("md5", v) for v in BANK_VALUES]
TABLE = build_table(BANK, alpha=ALPHA, threshold=3)
hex32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


def voucher_for(token: bytes, account: Account, content: str = "c") -> Voucher:
    return Voucher.decode(make(TABLE, account, [token], {"content": content}).encode())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(BANK) - 1))
def test_a_voucher_for_a_bank_item_opens(index: int) -> None:
    account = Account.new("alice")
    assert open_voucher(voucher_for(BANK[index], account), ALPHA, "alice") is not None


@settings(max_examples=60, deadline=None)
@given(hex32)
def test_a_voucher_for_any_other_item_never_opens(value: str) -> None:
    if value in BANK_VALUES:
        return
    account = Account.new("alice")
    assert open_voucher(voucher_for(exact_token("md5", value), account), ALPHA, "alice") is None


def test_one_matching_token_of_several_opens_the_item() -> None:
    account = Account.new("alice")
    tokens = exact_tokens({"md5": BANK_VALUES[7], "sha256": "ab" * 32, "pdq": "cd" * 32})
    opened = open_voucher(Voucher.decode(make(TABLE, account, tokens, {}).encode()), ALPHA, "alice")
    assert opened is not None


def test_another_key_opens_nothing() -> None:
    account = Account.new("alice")
    assert open_voucher(voucher_for(BANK[0], account), group.random_scalar(), "alice") is None


def opened_shares(account: Account, count: int) -> list[tuple[tuple[int, int], bytes]]:
    out = []
    for i in range(count):
        found = open_voucher(voucher_for(BANK[i], account, f"item-{i}"), ALPHA, account.id)
        assert found is not None
        out.append((found.share, found.inner))
    return out


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 6))
def test_below_the_threshold_nothing_inner_opens(threshold: int) -> None:
    table = build_table(BANK[:20], alpha=ALPHA, threshold=threshold)
    account = Account.new("bob")
    opened = []
    for i in range(threshold):
        v = Voucher.decode(make(table, account, [BANK[i]], {"content": f"item-{i}"}).encode())
        found = open_voucher(v, ALPHA, "bob")
        assert found is not None
        opened.append(found)
    shares = [o.share for o in opened]
    # Any t - 1 shares give a key that opens no payload (interpolating them as if they
    # were enough), and the desk's reconstruction refuses to try.
    for left_out in range(threshold):
        fewer = shares[:left_out] + shares[left_out + 1 :]
        assert account_key(fewer, threshold, opened[0].inner) is None
        wrong = shamir.combine(fewer)
        assert all(open_payload(wrong, o.inner) is None for o in opened)
    key = account_key(shares, threshold, opened[0].inner)
    assert key is not None
    assert [open_payload(key, o.inner) for o in opened] == [
        {"content": f"item-{i}"} for i in range(threshold)
    ]


def test_the_same_item_twice_gives_the_same_share() -> None:
    account = Account.new("carol")
    first = open_voucher(voucher_for(BANK[3], account), ALPHA, "carol")
    again = open_voucher(voucher_for(BANK[3], account), ALPHA, "carol")
    assert first is not None
    assert again is not None
    assert first.share == again.share  # sending one item t times reveals nothing


def test_a_voucher_moved_to_another_account_opens_nothing() -> None:
    v = voucher_for(BANK[1], Account.new("alice"))
    assert open_voucher(v, ALPHA, "mallory") is None


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_tampered_voucher_opens_nothing_or_is_refused(data: st.DataObject) -> None:
    blob = bytearray(voucher_for(BANK[2], Account.new("alice")).encode())
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    try:
        tampered = Voucher.decode(bytes(blob))
    except ValidationError:
        return  # refused: a wrong size, count, magic or point
    assert open_voucher(tampered, ALPHA, "alice") is None


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused(blob: bytes) -> None:
    with pytest.raises(ValidationError):
        Voucher.decode(blob)


SMALL_ORDER = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
NOT_CANONICAL = b"\xff" * 32
IDENTITY = (1).to_bytes(32, "little")


@pytest.mark.parametrize("bad", [SMALL_ORDER, NOT_CANONICAL, IDENTITY, bytes(32)])
def test_malformed_points_are_refused(bad: bytes) -> None:
    blob = bytearray(voucher_for(BANK[0], Account.new("alice")).encode())
    start = 47  # the first token's point, after the header
    blob[start : start + 32] = bad
    with pytest.raises(group.MalformedPointError):
        Voucher.decode(bytes(blob))
    with pytest.raises(group.MalformedPointError):
        group.point(bad)


def test_wrong_sizes_are_refused() -> None:
    blob = voucher_for(BANK[0], Account.new("alice")).encode()
    for cut in (blob[:-1], blob + b"\0", blob[:60]):
        with pytest.raises(MalformedVoucherError):
            Voucher.decode(cut)


def test_forged_shares_do_not_reveal_and_do_not_block_the_true_ones() -> None:
    account = Account.new("dave")
    opened = opened_shares(account, 3)
    forged = (12345, 67890)
    shares = [forged] + [share for share, _ in opened]
    key = account_key(shares, 3, opened[0][1])
    assert key is not None
    assert open_payload(key, opened[0][1]) == {"content": "item-0"}
    assert account_key([forged, opened[0][0], opened[1][0]], 3, opened[0][1]) is None


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.data())
def test_shamir_needs_exactly_the_threshold(threshold: int, data: st.DataObject) -> None:
    coefficients = [group.random_scalar() for _ in range(threshold)]
    xs = data.draw(
        st.lists(st.integers(1, 2**64), min_size=threshold + 2, max_size=threshold + 2, unique=True)
    )
    points = [(x, shamir.evaluate(coefficients, x)) for x in xs]
    assert shamir.combine(points[:threshold]) == coefficients[0]
    assert shamir.combine(points[-threshold:]) == coefficients[0]
    if threshold > 1:
        assert shamir.combine(points[: threshold - 1]) != coefficients[0]


def test_near_tokens_are_shared_by_near_hashes_only() -> None:
    lsh = Lsh(32, 32, bytes(16))
    code = int(secrets.token_hex(32), 16)
    near = code ^ (1 << 3) ^ (1 << 100) ^ (1 << 200)  # 3 bits apart
    far = int(secrets.token_hex(32), 16)
    mine = lsh.tokens(f"{code:064x}")
    assert mine == Lsh(32, 32, bytes(16)).tokens(f"{code:064x}")  # the same everywhere
    assert len(set(mine) & set(lsh.tokens(f"{near:064x}"))) >= 10
    assert not set(mine) & set(lsh.tokens(f"{far:064x}"))


def test_a_near_voucher_opens_for_a_near_copy_and_not_for_an_unrelated_hash() -> None:
    lsh = Lsh(16, 24, bytes(range(16)))
    bank = [secrets.token_hex(32) for _ in range(50)]
    table = build_table([t for h in bank for t in lsh.tokens(h)], alpha=ALPHA, kind="near", lsh=lsh)
    account = Account.new("erin")
    original = int(bank[4], 16)
    near = f"{original ^ (1 << 9) ^ (1 << 77):064x}"
    v = Voucher.decode(make(table, account, lsh.tokens(near), {"signals": {"pdq": near}}).encode())
    assert open_voucher(v, ALPHA, "erin") is not None
    other = secrets.token_hex(32)
    v = Voucher.decode(make(table, account, lsh.tokens(other), {}).encode())
    assert open_voucher(v, ALPHA, "erin") is None


def test_bad_calls_are_refused() -> None:
    account = Account.new("frank")
    with pytest.raises(ValidationError):
        make(TABLE, account, [], {})
    with pytest.raises(ValidationError):
        make(TABLE, account, [BANK[0]], {"other": 1})
    with pytest.raises(ValidationError):
        make(TABLE, account, [BANK[0]], {"content": "x" * 5000})
    with pytest.raises(ValidationError):
        exact_token("md5", "not hex")
    with pytest.raises(ValidationError):
        Account("", bytes(32))
