"""The prime-order group of edwards25519, through libsodium (PyNaCl's bindings).

Every point received from outside goes through `point()`, which refuses a wrong length,
a non-canonical encoding, a point off the curve, outside the prime-order subgroup or of
small order (libsodium's `crypto_core_ed25519_is_valid_point`). Scalars are reduced
modulo the group order; multiplication never clamps.
"""

from __future__ import annotations

import hashlib
import secrets

from nacl import bindings as sodium
from nacl.exceptions import RuntimeError as SodiumError

from bastion.errors import ValidationError

#: The order of the prime-order subgroup (and the field of `shamir`).
ORDER = 2**252 + 27742317777372353535851937790883648493
POINT_BYTES = 32
SCALAR_BYTES = 32


class MalformedPointError(ValidationError):
    """Bytes that are not a point of the group (or a scalar product that is the identity)."""

    code = "malformed-point"


def point(data: bytes, what: str = "point") -> bytes:
    """`data` if it is a valid group element, else MalformedPointError."""
    if not isinstance(data, bytes | bytearray) or len(data) != POINT_BYTES:
        raise MalformedPointError(f"{what}: a point is {POINT_BYTES} bytes")
    if not sodium.crypto_core_ed25519_is_valid_point(bytes(data)):
        raise MalformedPointError(f"{what}: not a point of the prime-order group")
    return bytes(data)


def hash_to_point(domain: bytes, data: bytes) -> bytes:
    """A point no one knows the discrete logarithm of, from `data` (Elligator 2 into the
    prime-order subgroup)."""
    uniform = hashlib.blake2b(data, digest_size=32, key=domain[:64]).digest()
    return bytes(sodium.crypto_core_ed25519_from_uniform(uniform))


def random_scalar() -> int:
    """A uniformly random nonzero scalar."""
    while True:
        value = int.from_bytes(secrets.token_bytes(64), "little") % ORDER
        if value:
            return value


def scalar_bytes(value: int) -> bytes:
    return (value % ORDER).to_bytes(SCALAR_BYTES, "little")


def derive_scalar(key: bytes, label: bytes) -> int:
    """A nonzero scalar derived from a secret `key` (the same key and label give the same)."""
    wide = hashlib.blake2b(label, digest_size=64, key=hashlib.sha256(key).digest()).digest()
    return int.from_bytes(wide, "little") % (ORDER - 1) + 1


def mult(scalar: int, element: bytes) -> bytes:
    """`scalar` · `element`; MalformedPointError when the product is the identity (a point
    of small order slipped in)."""
    try:
        return bytes(sodium.crypto_scalarmult_ed25519_noclamp(scalar_bytes(scalar), element))
    except SodiumError:
        raise MalformedPointError("the product is the identity: a point of small order") from None


def base_mult(scalar: int) -> bytes:
    """`scalar` · the group's generator."""
    return bytes(sodium.crypto_scalarmult_ed25519_base_noclamp(scalar_bytes(scalar)))


def add(a: bytes, b: bytes) -> bytes:
    return bytes(sodium.crypto_core_ed25519_add(a, b))


def random_point() -> bytes:
    """A point indistinguishable from a blinded one (an empty slot of the table)."""
    return bytes(sodium.crypto_core_ed25519_from_uniform(secrets.token_bytes(32)))
