"""Vouchers: made on a device for one item, opened on the server.

A voucher carries, for each of the item's tokens y:

- Q = b·H(y) + c·G, with b and c fresh random scalars;
- for each of y's three slots w, a box sealed with a key from S_w = b·T[w] + c·(a·G),
  holding the token's share of the item key.

The server computes a·Q once per token. If T[w] = a·H(y), that is S_w and the box opens;
otherwise S_w is unrelated to a·Q and nothing opens. Shares of the item key are Shamir
shares with threshold `item_threshold` (1 for exact tables: any one token matching opens
the item; k of the near tokens for near tables).

The item key opens the envelope, which holds a share of the *account* key (the constant of
a polynomial of degree t - 1 that only the device knows, its x fixed by the item so the same
item gives the same share) and the item's payload sealed with the account key. The server
reads payloads only once it holds `t` shares of one account, that is, `t` distinct matching
items. Every box is bound (associated data) to the table, the account, the voucher's id and
time: a voucher moved to another account, or edited, opens nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from bastion.errors import ValidationError
from bastion.private import group, shamir
from bastion.private.cuckoo import CHOICES, positions
from bastion.private.table import BlindedTable

MAGIC = b"BV\x01"
ID_BYTES = 16
#: Tokens one voucher may carry (near tables: one per sample).
MAX_TOKENS = 64
#: The largest envelope (the sealed payload and the account share).
MAX_ENVELOPE = 4096
MAX_PAYLOAD = 2048
_HEADER = struct.Struct(">3sB16sBB16sQB")  # magic, kind, table, t, k, id, created, tokens
_BOX = shamir.Y_BYTES + 16
_TOKEN = group.POINT_BYTES + CHOICES * _BOX
_NONCE = 24
_ZERO_NONCE = bytes(_NONCE)
_KINDS = {"exact": 0, "near": 1}
#: Payload fields.
PAYLOAD_KEYS = frozenset({"content", "signals"})


class MalformedVoucherError(ValidationError):
    """Bytes that are not a voucher: wrong sizes, counts or points."""

    code = "malformed-voucher"


@dataclass(frozen=True)
class Account:
    """A device's account: the platform's id and a secret only the device holds (it fixes
    the account's polynomial; keep it across installs, or start a new polynomial)."""

    id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 200:
            raise ValidationError("an account id is 1-200 characters")
        if len(self.secret) < 32:
            raise ValidationError("an account secret is at least 32 bytes")

    @classmethod
    def new(cls, account_id: str) -> Account:
        return cls(account_id, secrets.token_bytes(32))

    def coefficients(self, threshold: int) -> list[int]:
        return shamir.derived_coefficients(self.secret, b"account", threshold)

    def x_for(self, tokens: Sequence[bytes]) -> int:
        digest = hashlib.blake2b(
            b"".join(sorted(tokens)), digest_size=shamir.X_BYTES,
            key=hashlib.sha256(self.secret + b"x").digest(),
        ).digest()  # fmt: skip
        return int.from_bytes(digest, "little") or 1


@dataclass(frozen=True)
class TokenPart:
    q: bytes
    boxes: tuple[bytes, ...]


@dataclass(frozen=True)
class Voucher:
    kind: str
    table: bytes
    account_threshold: int
    item_threshold: int
    id: bytes
    created: int
    tokens: tuple[TokenPart, ...]
    envelope: bytes

    def header(self) -> bytes:
        return _HEADER.pack(
            MAGIC, _KINDS[self.kind], self.table, self.account_threshold,
            self.item_threshold, self.id, self.created, len(self.tokens),
        )  # fmt: skip

    def encode(self) -> bytes:
        body = b"".join(t.q + b"".join(t.boxes) for t in self.tokens)
        return self.header() + body + struct.pack(">H", len(self.envelope)) + self.envelope

    @classmethod
    def decode(cls, data: bytes) -> Voucher:
        """Parse strictly: every size checked, every point validated."""
        if not isinstance(data, bytes) or len(data) < _HEADER.size + 2:
            raise MalformedVoucherError("too short for a voucher")
        magic, kind, table, t, k, vid, created, count = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise MalformedVoucherError("not a bastion voucher (or another format version)")
        kinds = {v: n for n, v in _KINDS.items()}
        if kind not in kinds:
            raise MalformedVoucherError(f"unknown voucher kind {kind}")
        if not 1 <= count <= MAX_TOKENS or not 1 <= k <= count or t < 1:
            raise MalformedVoucherError(f"{count} tokens, item threshold {k}, account {t}")
        offset = _HEADER.size
        end = offset + count * _TOKEN
        if len(data) < end + 2:
            raise MalformedVoucherError("the tokens are cut short")
        parts = []
        for i in range(count):
            start = offset + i * _TOKEN
            q = group.point(data[start : start + group.POINT_BYTES], f"token {i}")
            first = start + group.POINT_BYTES
            boxes = tuple(data[first + c * _BOX : first + (c + 1) * _BOX] for c in range(CHOICES))
            parts.append(TokenPart(q, boxes))
        (length,) = struct.unpack_from(">H", data, end)
        envelope = data[end + 2 :]
        if length != len(envelope) or not _NONCE + 16 < length <= MAX_ENVELOPE:
            raise MalformedVoucherError("the envelope's length is wrong")
        return cls(kinds[kind], table, t, k, vid, created, tuple(parts), envelope)


def make(
    table: BlindedTable,
    account: Account,
    tokens: Sequence[bytes],
    payload: dict[str, Any],
    *,
    now: float | None = None,
) -> Voucher:
    """A voucher for one item with `tokens` (exact or near, as `table` is) and `payload`
    (what the server reads once the account reaches the threshold)."""
    info = table.info
    k = info.item_threshold
    if not k <= len(tokens) <= MAX_TOKENS:
        raise ValidationError(f"a voucher carries {k}-{MAX_TOKENS} tokens, not {len(tokens)}")
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    if len(body) > MAX_PAYLOAD or not PAYLOAD_KEYS.issuperset(payload):
        raise ValidationError(f"a payload holds {sorted(PAYLOAD_KEYS)} in {MAX_PAYLOAD} bytes")
    draft = Voucher(
        info.kind, info.id, info.account_threshold, k, secrets.token_bytes(ID_BYTES),
        int(time.time() if now is None else now), (), b"",
    )  # fmt: skip
    context = _context(draft, len(tokens), account.id)
    item_poly = [group.random_scalar() for _ in range(k)]
    parts = []
    for index, token in enumerate(tokens):
        share = group.scalar_bytes(shamir.evaluate(item_poly, index + 1))
        parts.append(_blind(table, token, share, context, index))
    account_poly = account.coefficients(info.account_threshold)
    x = account.x_for(tokens)
    account_share = shamir.encode((x, shamir.evaluate(account_poly, x)))
    inner = _seal(_account_key(account_poly[0]), body, context, random_nonce=True)
    sealed_with = _bound(context, parts)
    envelope = _seal(_item_key(item_poly[0]), account_share + inner, sealed_with, random_nonce=True)
    return Voucher(
        draft.kind, draft.table, draft.account_threshold, k, draft.id, draft.created,
        tuple(parts), envelope,
    )  # fmt: skip


def _blind(
    table: BlindedTable, token: bytes, share: bytes, context: bytes, index: int
) -> TokenPart:
    info = table.info
    beta, gamma = group.random_scalar(), group.random_scalar()
    q = group.add(group.mult(beta, token_point(token)), group.base_mult(gamma))
    masked = group.mult(gamma, info.public_key)
    boxes = []
    for choice, slot in enumerate(positions(info.seed, info.size, token)):
        entry = group.point(table.slot(slot), f"table slot {slot}")
        s = group.add(group.mult(beta, entry), masked)
        boxes.append(_seal(_box_key(s, context, index, choice), share, context))
    return TokenPart(q, tuple(boxes))


@dataclass(frozen=True)
class Opened:
    """What the server learns from a voucher whose item matched: a share of the account key
    and the payload, still sealed with that key (`inner` starts with the voucher's context,
    its associated data)."""

    share: shamir.Share
    inner: bytes


def open_voucher(voucher: Voucher, alpha: int, account: str) -> Opened | None:
    """The account share of `voucher` if at least `item_threshold` of its tokens are in the
    table blinded with `alpha`; None otherwise (nothing is learned of the item)."""
    context = _context(voucher, len(voucher.tokens), account)
    shares: list[shamir.Share] = []
    for index, part in enumerate(voucher.tokens):
        s = group.mult(alpha, part.q)
        for choice, box in enumerate(part.boxes):
            opened = _open(_box_key(s, context, index, choice), box, context)
            if opened is not None:
                shares.append((index + 1, int.from_bytes(opened, "little")))
                break
        if len(shares) == voucher.item_threshold:
            break
    if len(shares) < voucher.item_threshold:
        return None
    item_key = shamir.combine(shares)
    bound = _bound(context, voucher.tokens)
    content = _open(_item_key(item_key), voucher.envelope, bound, random_nonce=True)
    if content is None or len(content) <= shamir.SHARE_BYTES:
        return None  # shares that do not agree: a forged voucher
    share = shamir.decode(content[: shamir.SHARE_BYTES])
    return Opened(share, context + content[shamir.SHARE_BYTES :])


def account_key(
    shares: Sequence[shamir.Share], threshold: int, sealed: bytes, attempts: int = 32
) -> int | None:
    """The account key from `shares` (distinct x), checked by opening `sealed` (one of the
    account's payloads); tries up to `attempts` subsets when some shares are forged."""
    if len(shares) < threshold:
        return None
    rng = random.Random(0)
    ordered = sorted(shares)
    for attempt in range(attempts):
        chosen = ordered[:threshold] if attempt == 0 else rng.sample(ordered, threshold)
        key = shamir.combine(chosen)
        if open_payload(key, sealed) is not None:
            return key
        if len(ordered) == threshold:
            return None
    return None


def open_payload(key: int, sealed: bytes) -> dict[str, Any] | None:
    """The payload sealed with the account key `key`, or None if it does not open."""
    body = _open_any(_account_key(key), sealed)
    if body is None:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and PAYLOAD_KEYS.issuperset(doc) else None


# Keys and boxes ---------------------------------------------------------------------------

_DOMAIN = b"bastion-private-v1|token"


def token_point(token: bytes) -> bytes:
    """H(token): what the table blinds."""
    return group.hash_to_point(_DOMAIN, token)


def _context(voucher: Voucher, count: int, account: str) -> bytes:
    header = _HEADER.pack(
        MAGIC, _KINDS[voucher.kind], voucher.table, voucher.account_threshold,
        voucher.item_threshold, voucher.id, voucher.created, count,
    )  # fmt: skip
    return hashlib.blake2b(header + account.encode(), digest_size=32).digest()


def _bound(context: bytes, parts: Sequence[TokenPart]) -> bytes:
    """The envelope's associated data: the context and every token part, so that a voucher
    changed anywhere opens nothing."""
    body = b"".join(p.q + b"".join(p.boxes) for p in parts)
    return hashlib.blake2b(context + body, digest_size=32).digest()


def _box_key(s: bytes, context: bytes, index: int, choice: int) -> bytes:
    return hashlib.blake2b(s + bytes((index, choice)), digest_size=32, key=context).digest()


def _item_key(value: int) -> bytes:
    return hashlib.blake2b(
        group.scalar_bytes(value), digest_size=32, person=b"bastion-item"
    ).digest()


def _account_key(value: int) -> bytes:
    return hashlib.blake2b(
        group.scalar_bytes(value), digest_size=32, person=b"bastion-account"
    ).digest()


def _seal(key: bytes, message: bytes, context: bytes, *, random_nonce: bool = False) -> bytes:
    nonce = secrets.token_bytes(_NONCE) if random_nonce else _ZERO_NONCE
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, context, nonce, key)
    return (nonce if random_nonce else b"") + sealed


def _open(key: bytes, box: bytes, context: bytes, *, random_nonce: bool = False) -> bytes | None:
    nonce, sealed = (box[:_NONCE], box[_NONCE:]) if random_nonce else (_ZERO_NONCE, box)
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, context, nonce, key))
    except CryptoError:
        return None


def _open_any(key: bytes, sealed: bytes) -> bytes | None:
    """A payload sealed with `key` under any voucher's context (it carries its context)."""
    if len(sealed) < 32 + _NONCE:
        return None
    return _open(key, sealed[32:], sealed[:32], random_nonce=True)
