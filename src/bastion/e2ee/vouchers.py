"""`VoucherDesk`: vouchers received from devices, opened, and revealed at the threshold.

For each call: every voucher is parsed strictly first (a malformed one refuses the whole
call, nothing stored); then each must be for the table as it is, within a day of now, not
seen before from this account, and within the account's quota. Each is opened with its
table's key; a matching item gives its account share and sealed payload, kept. When an
account holds `t` shares with distinct x, its key is recomputed, checked against a payload,
and every matching payload of the account is revealed (and, from then on, each new one).

What the caller gets back is the same whatever matched: how many vouchers were accepted.
What was revealed goes to the caller's code only (`Revealed`), to be matched and acted on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bastion.e2ee.tables import PrivateTables
from bastion.errors import BastionError, ConflictError, ValidationError
from bastion.private.table import TableInfo
from bastion.private.voucher import Voucher, account_key, open_payload, open_voucher
from bastion.store.models import PrivateAccountRow, PrivateVoucherRow, utcnow

#: Vouchers one call may carry, and the largest voucher (bytes, before base64).
MAX_VOUCHERS = 100
MAX_VOUCHER_BYTES = 24 * 1024
#: How far a voucher's time may be from the service's, and how long ids are kept.
WINDOW = timedelta(hours=24)
MAX_ACCOUNT = 200


class QuotaExceededError(BastionError):
    """An account sent more vouchers in 24 hours than `private_voucher_quota`."""

    code = "quota-exceeded"


class ReplayedVoucherError(ConflictError):
    code = "replayed-voucher"


class StaleVoucherError(ConflictError):
    """A voucher for a table (or threshold) the service no longer publishes, or dated out
    of the window: the device fetches the table again."""

    code = "stale-voucher"


@dataclass(frozen=True)
class Revealed:
    account: str
    kind: str
    voucher: str
    payload: dict[str, Any]


class VoucherDesk:
    def __init__(
        self, tables: PrivateTables, *, quota: int, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.tables = tables
        self.quota = quota
        self._clock = clock

    def receive_in(self, s: Session, account: str, encoded: Sequence[str]) -> list[Revealed]:
        """Take `encoded` (base64 vouchers) from `account` in transaction `s`; returns what
        this call revealed."""
        _check_account(account)
        if not 1 <= len(encoded) <= MAX_VOUCHERS:
            raise ValidationError(f"send 1-{MAX_VOUCHERS} vouchers at a time")
        vouchers = [_decode(v, i) for i, v in enumerate(encoded)]
        now = self._clock()
        tables = {kind: self.tables.sync(kind) for kind in {v.kind for v in vouchers}}
        for i, voucher in enumerate(vouchers):
            _check_current(voucher, tables[voucher.kind], now, i)
        ids = [v.id.hex() for v in vouchers]
        if len(set(ids)) != len(ids):
            raise ReplayedVoucherError("a voucher appears twice in this call")
        # The account's rows are written first: calls of one account take turns.
        s.execute(delete(PrivateVoucherRow).where(
            PrivateVoucherRow.received_at < now - 2 * WINDOW, PrivateVoucherRow.inner.is_(None)
        ))  # fmt: skip
        recent = s.scalar(
            select(func.count()).where(
                PrivateVoucherRow.account == account,
                PrivateVoucherRow.received_at > now - WINDOW,
            )
        )
        if (recent or 0) + len(vouchers) > self.quota:
            raise QuotaExceededError(
                f"account {account!r} sent {recent:,} vouchers in 24 hours (quota {self.quota:,})"
            )
        seen = s.scalar(
            select(func.count()).where(
                PrivateVoucherRow.account == account, PrivateVoucherRow.voucher.in_(ids)
            )
        )
        if seen:
            raise ReplayedVoucherError(f"{seen} of these vouchers were received before")
        opened_any = False
        for voucher in vouchers:
            info = tables[voucher.kind]
            opened = open_voucher(voucher, self.tables.alpha(voucher.kind, info.id), account)
            row = PrivateVoucherRow(
                account=account, voucher=voucher.id.hex(), kind=voucher.kind, received_at=now
            )
            if opened is not None:
                opened_any = True
                x, y = opened.share
                row.threshold = voucher.account_threshold
                row.share_x, row.share_y, row.inner = format(x, "x"), format(y, "x"), opened.inner
            s.add(row)
        s.flush()
        if not opened_any:
            return []
        return self._reveal(s, account, vouchers[0].account_threshold, now)

    def _reveal(self, s: Session, account: str, threshold: int, now: datetime) -> list[Revealed]:
        rows = s.scalars(
            select(PrivateVoucherRow)
            .where(
                PrivateVoucherRow.account == account,
                PrivateVoucherRow.threshold == threshold,
                PrivateVoucherRow.inner.is_not(None),
            )
            .order_by(PrivateVoucherRow.id)
        ).all()
        shares: dict[int, int] = {}
        for row in rows:
            assert row.share_x is not None
            assert row.share_y is not None
            shares.setdefault(int(row.share_x, 16), int(row.share_y, 16))
        pending = [r for r in rows if r.revealed_at is None]
        if len(shares) < threshold or not pending:
            return []
        assert pending[0].inner is not None
        key = account_key(sorted(shares.items()), threshold, pending[0].inner)
        if key is None:
            return []  # forged shares among them: nothing can be read
        revealed = []
        # The same item sent again gives the same share: it is revealed (acted on) once.
        done = {r.share_x for r in rows if r.revealed_at is not None}
        for row in pending:
            assert row.inner is not None
            payload = open_payload(key, row.inner)
            row.revealed_at = now
            if payload is not None and row.share_x not in done:
                done.add(row.share_x)
                revealed.append(Revealed(account, row.kind, row.voucher, payload))
        if s.get(PrivateAccountRow, (account, threshold)) is None:
            s.add(PrivateAccountRow(account=account, threshold=threshold, revealed_at=now))
        s.flush()
        return revealed


def _check_account(account: str) -> None:
    if not isinstance(account, str) or not account.strip() or len(account) > MAX_ACCOUNT:
        raise ValidationError(f"an account id is 1-{MAX_ACCOUNT} characters")


def _decode(encoded: str, index: int) -> Voucher:
    if not isinstance(encoded, str) or len(encoded) > MAX_VOUCHER_BYTES * 4 // 3 + 4:
        raise ValidationError(f"voucher {index}: base64 text of at most {MAX_VOUCHER_BYTES} bytes")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"voucher {index}: not base64") from None
    try:
        return Voucher.decode(data)
    except ValidationError as error:
        raise type(error)(f"voucher {index}: {error}") from None


def _check_current(voucher: Voucher, info: TableInfo, now: datetime, index: int) -> None:
    if voucher.table != info.id:
        raise StaleVoucherError(
            f"voucher {index} is for table {voucher.table.hex()}, not the current "
            f"{info.id.hex()}: fetch the table again"
        )
    if voucher.account_threshold != info.account_threshold or (
        voucher.item_threshold != info.item_threshold
    ):
        raise StaleVoucherError(f"voucher {index} uses other thresholds than the table's")
    created = datetime.fromtimestamp(voucher.created, now.tzinfo)
    if abs(created - now) > WINDOW:
        raise StaleVoucherError(f"voucher {index} is dated {created.isoformat()}, over a day off")
