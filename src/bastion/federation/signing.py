"""Ed25519 signatures on federation feeds, so a partner knows a page came from its publisher.

The publisher signs the exact bytes of every response body and sends the signature in the
``X-Bastion-Signature`` header, as ``keyid=<id>, ed25519=<base64>``; the key id is the first
16 hex digits of the public key's SHA-256. A partner configures the publisher's public key
(given out of band: `bastion collab key`) and refuses any page whose signature does not
verify. The signing key is the `federation_key` setting, or a key file made in the data
directory with owner-only permissions on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bastion.errors import ConfigurationError, ValidationError
from bastion.store.private_files import create_private_file, make_owner_only, make_private_dir

HEADER = "X-Bastion-Signature"
KEY_FILE = "federation.key"


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def for_settings(cls, configured: str, data_dir: Path) -> SigningKey:
        """The `federation_key` setting (base64 of the 32-byte private key), or the data
        directory's key file (made if absent)."""
        if configured:
            return cls(Ed25519PrivateKey.from_private_bytes(_decode(configured, 32)))
        path = data_dir / KEY_FILE
        if not path.exists():
            make_private_dir(data_dir)
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
            create_private_file(path, base64.b64encode(raw))  # False: another process won
        make_owner_only(path)
        return cls(Ed25519PrivateKey.from_private_bytes(_decode(path.read_text().strip(), 32)))

    @property
    def public(self) -> str:
        """The public key, base64: what partners configure."""
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    @property
    def id(self) -> str:
        return key_id(base64.b64decode(self.public))

    def header(self, body: bytes) -> str:
        signature = base64.b64encode(self.private.sign(body)).decode()
        return f"keyid={self.id}, ed25519={signature}"


def verify(public_key: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is a valid signature of `body` by `public_key` (base64)."""
    if not header:
        return False
    fields = dict(part.strip().partition("=")[::2] for part in header.split(",") if "=" in part)
    try:
        public = _decode(public_key, 32)
        signature = base64.b64decode(fields.get("ed25519", ""), validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def check_public_key(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("public_key must be the publisher's key, base64")
    try:
        _decode(value, 32)
    except ConfigurationError:
        raise ValidationError(
            "public_key must be the publisher's 32-byte Ed25519 key in base64 "
            "(`bastion collab key` on the publisher prints it)"
        ) from None
    return value


def _decode(text: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length:
        raise ConfigurationError(f"expected {length} bytes in base64")
    return raw
