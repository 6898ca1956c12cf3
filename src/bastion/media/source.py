"""Reading content from disk without ever holding more than the configured limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bastion.errors import MediaError, MediaTooLargeError


def read_media(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of a regular file, refusing anything larger than `max_bytes`."""
    try:
        with path.open("rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise MediaError(f"{path}: not a regular file")
            if info.st_size > max_bytes:
                raise MediaTooLargeError(
                    f"{path}: {info.st_size:,} bytes exceeds the limit of {max_bytes:,} bytes "
                    "(setting max_media_bytes)"
                )
            data = f.read(max_bytes + 1)  # the file may grow while we read it
    except FileNotFoundError:
        raise MediaError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise MediaError(f"{path}: is a directory") from None
    except PermissionError:
        raise MediaError(f"{path}: permission denied") from None
    if len(data) > max_bytes:
        raise MediaTooLargeError(
            f"{path}: exceeds the limit of {max_bytes:,} bytes (setting max_media_bytes)"
        )
    if not data:
        raise MediaError(f"{path}: file is empty")
    return data
