"""Console passwords: hashed with Argon2id, checked against a length rule, generated.

People choose guessable secrets, so unlike API keys (`bastion.auth.keys`) a password is kept
only as a slow, salted, memory-hard hash: argon2-cffi's `PasswordHasher`, whose defaults
follow RFC 9106's recommendation. A hash made with other parameters than the hasher's
(older defaults, a test's cheap ones) verifies all the same and `needs_rehash` says to
replace it, which the user store does at the next sign-in.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bastion.errors import ValidationError
from bastion.validation import checked_text

#: Longer passwords are refused: hashing costs the same, but nobody types more and the
#: request that carries one should stay small.
MAX_PASSWORD_LENGTH = 1024
#: Generated passwords avoid look-alikes (0/O, 1/l/I) so they survive being read aloud or
#: copied by hand; 24 of these 57 characters hold about 140 bits.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
GENERATED_LENGTH = 24


class Passwords:
    """Hashes and verifies passwords with one `PasswordHasher`."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """Whether `hashed` was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return True

    def verify_nothing(self, password: str) -> None:
        """Spend the time a verification takes, on a hash no password matches: a sign-in
        as someone unknown or locked out takes as long as a real one, so the time an answer
        takes does not tell which names exist."""
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        self.verify(self._decoy, password)


def generated_password(min_length: int) -> str:
    """A random password, at least `min_length` characters long."""
    length = max(GENERATED_LENGTH, min_length)
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def check_new_password(password: str, *, min_length: int, username: str) -> str:
    """`password` if it may be someone's new password: `min_length` to 1024 characters
    (what NIST SP 800-63B asks: length, not composition rules), not the username."""
    checked_text(password, "password", max_length=MAX_PASSWORD_LENGTH)
    if len(password) < min_length:
        raise ValidationError(f"a password must be at least {min_length} characters long")
    if not password.strip():
        raise ValidationError("a password must not be only spaces")
    if password.casefold() == username.casefold():
        raise ValidationError("a password must not be the username")
    return password
