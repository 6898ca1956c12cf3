"""What a voucher matches: tokens, 32 bytes each, derived from signals.

- Exact tokens: one per signal of a type matched exactly by value (MD5, SHA-256, video
  MD5) or, for PDQ, by an identical hash.
- Near tokens (`Lsh`): `tables` samples of `bits` bit positions of a PDQ hash, each drawn
  from a public seed. Two hashes `d` bits apart agree on one sample with probability about
  (1 - d/256)^bits, so a near copy shares some of its tokens with the original while an
  unrelated hash almost never shares one. The server learns which samples agree; that is
  the leakage measured in docs/private-matching.md.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass
from functools import cached_property

from bastion.errors import ValidationError

TOKEN_BYTES = 32
#: Signal types with exact tokens, and the length of their hex values.
EXACT_TYPES: dict[str, int] = {"md5": 32, "sha256": 64, "video_md5": 32, "pdq": 64}
#: The only type with near tokens.
NEAR_TYPE = "pdq"
PDQ_BITS = 256
_HEX = frozenset(string.hexdigits)


def clean_value(signal_type: str, value: str) -> str:
    """`value` as tokens read it (lowercase hex of the type's length), or ValidationError."""
    length = EXACT_TYPES.get(signal_type)
    if length is None:
        raise ValidationError(
            f"private matching covers {', '.join(EXACT_TYPES)}, not {signal_type!r}"
        )
    if not isinstance(value, str) or len(value) != length or not _HEX.issuperset(value):
        raise ValidationError(f"a {signal_type} value is {length} hex digits")
    return value.lower()


def exact_token(signal_type: str, value: str) -> bytes:
    data = f"bastion-token-v1|exact|{signal_type}|{clean_value(signal_type, value)}"
    return hashlib.blake2b(data.encode(), digest_size=TOKEN_BYTES).digest()


@dataclass(frozen=True)
class Lsh:
    """The near tokens' parameters, published with the near table."""

    tables: int
    bits: int
    seed: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.tables <= 64:
            raise ValidationError("near matching uses 1-64 samples")
        if not 8 <= self.bits <= 128:
            raise ValidationError("a sample holds 8-128 bits")
        if len(self.seed) != 16:
            raise ValidationError("the sampling seed is 16 bytes")

    @cached_property
    def samples(self) -> tuple[tuple[int, ...], ...]:
        """Each sample's bit positions (sorted), the same wherever it is computed."""
        draw = random.Random(self.seed)
        return tuple(
            tuple(sorted(draw.sample(range(PDQ_BITS), self.bits))) for _ in range(self.tables)
        )

    def tokens(self, pdq: str) -> list[bytes]:
        """The near tokens of a PDQ hash (hex), one per sample."""
        code = int(clean_value(NEAR_TYPE, pdq), 16)
        out = []
        for index, positions in enumerate(self.samples):
            bits = 0
            for position in positions:
                bits = (bits << 1) | ((code >> position) & 1)
            data = b"bastion-token-v1|near|" + self.seed + index.to_bytes(1, "big")
            data += bits.to_bytes((self.bits + 7) // 8, "big")
            out.append(hashlib.blake2b(data, digest_size=TOKEN_BYTES).digest())
        return out

    def to_json(self) -> dict[str, object]:
        return {"tables": self.tables, "bits": self.bits, "seed": self.seed.hex()}

    @classmethod
    def from_json(cls, doc: object) -> Lsh:
        if not isinstance(doc, dict):
            raise ValidationError("lsh: an object with tables, bits and seed")
        try:
            return cls(int(doc["tables"]), int(doc["bits"]), bytes.fromhex(str(doc["seed"])))
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(f"lsh: {error}") from None


def exact_tokens(signals: dict[str, str]) -> list[bytes]:
    """The exact tokens of the signals with one (others are ignored)."""
    return [exact_token(t, v) for t, v in sorted(signals.items()) if t in EXACT_TYPES]
