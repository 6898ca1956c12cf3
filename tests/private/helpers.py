"""A blinded table built in memory, as the service builds one, for protocol tests."""

from __future__ import annotations

import secrets

from bastion.private import cuckoo, group
from bastion.private.table import BlindedTable, TableInfo
from bastion.private.tokens import Lsh
from bastion.private.voucher import token_point


def build_table(
    tokens: list[bytes],
    *,
    alpha: int,
    kind: str = "exact",
    threshold: int = 3,
    item_threshold: int = 1,
    lsh: Lsh | None = None,
) -> BlindedTable:
    distinct = sorted(set(tokens))
    seed = secrets.token_bytes(16)
    size = cuckoo.size_for(len(distinct))
    placed = cuckoo.build(distinct, seed, size)
    points = b"".join(
        group.mult(alpha, token_point(placed[i])) if i in placed else group.random_point()
        for i in range(size)
    )
    info = TableInfo(
        id=secrets.token_bytes(16), kind=kind, version=1, size=size, seed=seed,
        public_key=group.base_mult(alpha), account_threshold=threshold,
        item_threshold=item_threshold, lsh=lsh,
    )  # fmt: skip
    return BlindedTable(info, points)
