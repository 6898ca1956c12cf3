"""Webhook targets and signatures.

Every request is signed: ``X-Bastion-Signature: sha256=<hex>``, an HMAC-SHA256 keyed with the
rule's secret over ``"<X-Bastion-Timestamp>." + body``. A receiver recomputes it over the raw
body (`verify_signature` does) and refuses stale timestamps, which stops replays. While a
rotated secret's grace period lasts the header carries two signatures, space-separated, the
new secret's first (as Standard Webhooks' ``webhook-signature`` does): a receiver accepts the
request when any of them is its own.

Webhook URLs are configured by an administrator, so unlike content URLs they may point at
private and loopback addresses (an internal moderation service is the usual target).
Redirects are never followed, and credentials in the URL are refused: the secret is the
credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from bastion.errors import ValidationError
from bastion.validation import checked_text

SIGNATURE_PREFIX = "sha256="
MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 128


def validate_webhook_url(url: str) -> str:
    """The URL, checked: http or https, a host, no credentials, no spaces, controls or
    invisible characters."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"webhook URL must be 1-{MAX_URL_LENGTH} characters")
    checked_text(url, "webhook URL", max_length=MAX_URL_LENGTH)
    if not url.isprintable() or any(c.isspace() for c in url):
        raise ValidationError("webhook URL may not contain spaces, control or invisible characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise ValidationError("webhook URL is malformed") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("webhook URL must use http or https")
    if not parts.hostname:
        raise ValidationError("webhook URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("webhook URL may not hold credentials; the signing secret is one")
    del port
    return url


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def validate_secret(secret: str) -> str:
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise ValidationError(
            f"webhook secret must be {MIN_SECRET_LENGTH}-{MAX_SECRET_LENGTH} characters"
        )
    if not secret.isascii() or not secret.isprintable() or " " in secret:
        raise ValidationError("webhook secret must be printable ASCII without spaces")
    return secret


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature of `body` sent at `timestamp` (unix seconds) with `secret`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The X-Bastion-Signature value: one signature per secret, space-separated."""
    return " ".join(sign(secret, timestamp, body) for secret in secrets)


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """For receivers: whether one of the signatures in the header (`signature`) signs
    `body` with `secret`, and the timestamp is recent."""
    if not timestamp.isdigit():
        return False
    sent = int(timestamp)
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    expected = sign(secret, sent, body)
    return any(
        given.isascii() and hmac.compare_digest(expected, given) for given in signature.split()
    )
