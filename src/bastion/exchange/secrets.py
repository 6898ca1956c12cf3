"""Exchange credentials (and webhook signing secrets) encrypted at rest.

Credentials (NCMEC passwords, API tokens, partner keys) are stored in the database only as
Fernet tokens (AES-128-CBC with HMAC-SHA256, from `cryptography`), so a copy of the
database, a backup or a leaked dump does not hold them in clear; the actioner seals webhook
signing secrets with the same box (`bastion.actions.secrets`). The key is the `secret_key`
setting when given (every process and machine of one deployment must share it), else a key
file in the data directory, created owner-only on first use (whole, even when several
processes start at once) and made owner-only again if it was left readable by others. A
token made with another key cannot be read: the error says to set the credentials again.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bastion.errors import ConfigurationError
from bastion.exchange.api import ExchangeAuthError
from bastion.store.private_files import create_private_file, make_owner_only, make_private_dir

KEY_FILE = "secret.key"


def deployment_secret(secret_key: str, data_dir: Path) -> bytes:
    """The deployment's secret key: the `secret_key` setting, or the data directory's key
    file (made if absent). The credential box is keyed with it, and other keys are derived
    from it (the evidence vault's)."""
    if secret_key:
        return secret_key.encode()
    path = data_dir / KEY_FILE
    if not path.exists():
        make_private_dir(data_dir)
        create_private_file(path, Fernet.generate_key())  # False: another process won
    make_owner_only(path)
    return path.read_bytes().strip()


class CredentialBox:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ConfigurationError(
                "secret_key must be 32 url-safe base64-encoded bytes "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None

    @classmethod
    def for_settings(cls, secret_key: str, data_dir: Path) -> CredentialBox:
        """The box for `secret_key`, or for the data directory's key file (made if absent)."""
        return cls(deployment_secret(secret_key, data_dir))

    def seal(self, credentials: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def open(self, token: str, *, owner: str) -> dict[str, str]:
        try:
            found = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ExchangeAuthError(
                f"{owner}: stored credentials cannot be read with this secret key "
                "(was secret_key changed?); set them again"
            ) from None
        return {str(k): str(v) for k, v in found.items()}
