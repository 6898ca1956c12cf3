"""Shamir's threshold secret sharing over the scalar field of `group` (a prime field).

A secret is the constant term of a polynomial of degree `t - 1`; any `t` of its points give
it back (Lagrange interpolation at 0) and fewer say nothing about it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bastion.errors import ValidationError
from bastion.private.group import ORDER

Share = tuple[int, int]

#: A share on the wire: x (16 bytes) and y (32 bytes), little-endian.
X_BYTES = 16
Y_BYTES = 32
SHARE_BYTES = X_BYTES + Y_BYTES


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """The polynomial with `coefficients` (constant first) at `x`."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % ORDER
    return value


def derived_coefficients(seed: bytes, label: bytes, threshold: int) -> list[int]:
    """The `threshold` coefficients of a polynomial fixed by a secret `seed`: the same seed
    and label give the same polynomial on every call (an account's, across its items)."""
    if threshold < 1:
        raise ValidationError("a threshold is at least 1")
    key = hashlib.sha256(seed).digest()
    return [
        int.from_bytes(
            hashlib.blake2b(label + i.to_bytes(2, "big"), digest_size=64, key=key).digest(),
            "little",
        )
        % ORDER
        for i in range(threshold)
    ]


def combine(shares: Sequence[Share]) -> int:
    """The secret of the polynomial through `shares` (which must have distinct x)."""
    xs = [x % ORDER for x, _ in shares]
    if len(set(xs)) != len(xs) or 0 in xs:
        raise ValidationError("shares need distinct, nonzero x")
    secret = 0
    for i, (xi, yi) in enumerate(shares):
        numerator, denominator = 1, 1
        for j, (xj, _) in enumerate(shares):
            if i != j:
                numerator = numerator * xj % ORDER
                denominator = denominator * (xj - xi) % ORDER
        secret = (secret + yi * numerator * pow(denominator, -1, ORDER)) % ORDER
    return secret


def encode(share: Share) -> bytes:
    x, y = share
    return x.to_bytes(X_BYTES, "little") + (y % ORDER).to_bytes(Y_BYTES, "little")


def decode(data: bytes) -> Share:
    if len(data) != SHARE_BYTES:
        raise ValidationError(f"a share is {SHARE_BYTES} bytes")
    return int.from_bytes(data[:X_BYTES], "little"), int.from_bytes(data[X_BYTES:], "little")
