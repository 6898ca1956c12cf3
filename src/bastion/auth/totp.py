"""Time-based one-time passwords (RFC 6238): the console's second factor.

HMAC-SHA-1 over the number of 30-second steps since the Unix epoch, truncated to 6 digits
(RFC 4226), as every authenticator app computes it by default. A code is accepted in its
own step and `window` steps either side, for clocks that drift and people who type slowly.
Refusing a code whose step was already used (a code seen over a shoulder, or replayed) needs
memory of the last step used, so it is the user store's: `verify` only takes that step as
`after`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

from bastion.errors import ValidationError

#: Seconds per step, and digits per code, as authenticator apps assume them.
STEP_SECONDS = 30
DIGITS = 6
#: 160 bits: the length RFC 4226 recommends for an HMAC-SHA-1 key.
SECRET_BYTES = 20


def new_secret() -> str:
    """A random secret, base32 without padding (what authenticator apps accept)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def step_at(when: datetime, *, step_seconds: int = STEP_SECONDS) -> int:
    """The number of the step `when` falls in (an aware datetime)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to TOTP; use an aware UTC datetime")
    return int(when.timestamp()) // step_seconds


def code_for_step(secret: str, step: int, *, digits: int = DIGITS) -> str:
    """The code of step number `step` (RFC 4226's HOTP with the step as counter)."""
    mac = hmac.new(_key(secret), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(number % 10**digits).zfill(digits)


def code_at(
    secret: str, when: datetime, *, digits: int = DIGITS, step_seconds: int = STEP_SECONDS
) -> str:
    """The code an authenticator shows at `when`."""
    return code_for_step(secret, step_at(when, step_seconds=step_seconds), digits=digits)


def verify(
    secret: str,
    code: str,
    when: datetime,
    window: int = 1,
    *,
    after: int | None = None,
    digits: int = DIGITS,
    step_seconds: int = STEP_SECONDS,
) -> int | None:
    """The step whose code `code` is, among `when`'s step and `window` steps either side,
    and later than step `after` (the last one used); None if none. Spaces in `code` are
    ignored (apps show codes as ``123 456``); every candidate is compared in constant time."""
    typed = code.replace(" ", "")
    if len(typed) != digits or not typed.isascii() or not typed.isdigit():
        return None
    now = step_at(when, step_seconds=step_seconds)
    found = None
    for step in range(now - window, now + window + 1):
        matches = hmac.compare_digest(code_for_step(secret, step, digits=digits), typed)
        if matches and (after is None or step > after) and found is None:
            found = step
    return found


def provisioning_uri(secret: str, username: str, issuer: str = "bastion") -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code, or pasted), in
    the Key URI format that Google Authenticator defined and the others follow."""
    label = f"{quote(issuer, safe='')}:{quote(username, safe='')}"
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise ValidationError("a TOTP secret must be base32 text") from None
