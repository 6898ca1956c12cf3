"""`PrivateChecker`: a device's vouchers for its items, against the service's tables."""

from __future__ import annotations

import base64
from typing import Any

from bastion.errors import ValidationError
from bastion.private import voucher
from bastion.private.table import BlindedTable
from bastion.private.tokens import NEAR_TYPE, exact_tokens
from bastion.private.voucher import Account

#: The lowest account threshold a device accepts from a table: a service that lowered it
#: could read an account's items one at a time.
MIN_THRESHOLD = 2


class PrivateChecker:
    """Holds the tables (exact, and near when the service publishes it) and makes vouchers
    for `account`. `min_threshold`: refuse tables with a lower account threshold."""

    def __init__(self, account: Account, *, min_threshold: int = MIN_THRESHOLD) -> None:
        self.account = account
        self.min_threshold = min_threshold
        self.tables: dict[str, BlindedTable] = {}

    def take(self, document: dict[str, Any]) -> BlindedTable:
        """Take a table document from the service (whole, or changes since the version held)."""
        kind = document.get("kind")
        held = self.tables.get(str(kind))
        table = held.update(document) if held is not None else BlindedTable.from_document(document)
        if table.info.account_threshold < self.min_threshold:
            raise ValidationError(
                f"the service's table asks for a threshold of {table.info.account_threshold}; "
                f"this device accepts {self.min_threshold} or more"
            )
        self.tables[table.info.kind] = table
        return table

    def version(self, kind: str) -> int | None:
        """The version held of table `kind` (ask for changes since it)."""
        table = self.tables.get(kind)
        return None if table is None else table.info.version

    def vouchers(self, signals: dict[str, str], content: str | None = None) -> list[str]:
        """Base64 vouchers for one item: one against the exact table, and one against the
        near table for an image when the device holds it. `content`: the app's id of the
        item, read by the service only past the threshold."""
        if "exact" not in self.tables:
            raise ValidationError("take the service's exact table first")
        payload = {"content": content, "signals": signals}
        out = []
        tokens = exact_tokens(signals)
        if tokens:
            out.append(voucher.make(self.tables["exact"], self.account, tokens, payload))
        near = self.tables.get("near")
        if near is not None and near.info.lsh is not None and NEAR_TYPE in signals:
            near_tokens = near.info.lsh.tokens(signals[NEAR_TYPE])
            out.append(voucher.make(near, self.account, near_tokens, payload))
        return [base64.b64encode(v.encode()).decode() for v in out]
