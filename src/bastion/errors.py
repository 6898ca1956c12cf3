"""The exception hierarchy: every error bastion raises on purpose is a `BastionError`.

Each class carries a stable `code` (used as the problem `type` by the HTTP API and shown by
the CLI) and a message that is one readable line, safe to show to the user.
"""

from __future__ import annotations


class BastionError(Exception):
    """Base of every error bastion raises on purpose."""

    code = "bastion-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(BastionError):
    """A setting is missing, malformed or contradictory."""

    code = "configuration"


class MediaError(BastionError):
    """Content could not be turned into signals."""

    code = "media"


class UnsupportedMediaError(MediaError):
    """The bytes are not in a format bastion can hash."""

    code = "unsupported-media"


class CorruptMediaError(MediaError):
    """The bytes claim a supported format but cannot be decoded (corrupt or truncated)."""

    code = "corrupt-media"


class MediaTooLargeError(MediaError):
    """The content exceeds a byte or pixel limit (for example a decompression bomb)."""

    code = "media-too-large"


class InvalidSignalError(BastionError):
    """A hash string is malformed for its signal type, or the signal type is unknown."""

    code = "invalid-signal"


class UnknownSignalTypeError(InvalidSignalError):
    """No signal type is registered under this name."""

    code = "unknown-signal-type"


class InvalidTmkError(InvalidSignalError):
    """Bytes that are not a well-formed TMK+PDQF feature-vector (`.tmk`) file."""

    code = "invalid-tmk"


class StorageError(BastionError):
    """The database cannot be opened, migrated or written."""

    code = "storage"


class NotFoundError(BastionError):
    """A named bank or entry does not exist."""

    code = "not-found"


class ConflictError(BastionError):
    """The change would break a uniqueness rule (for example a duplicate bank name)."""

    code = "conflict"


class ValidationError(BastionError):
    """A value supplied by the caller is not acceptable (name, threshold, metadata...)."""

    code = "validation"


class ImportFormatError(BastionError):
    """A hash list file cannot be imported; the message names the line."""

    code = "import-format"


def first_line(error: BaseException | None) -> str:
    """The first line of an error's message (or its type's name): a library's exception text
    made fit for one of bastion's one-line messages."""
    if error is None:
        return "unknown error"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
