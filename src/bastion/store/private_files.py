"""Owner-only files: what bastion keeps on disk is for the account that runs it, no other.

The data directory holds the database (entries, the audit log, sealed credentials), the keys
that unseal credentials and sign feeds (``secret.key``, ``federation.key``) and index
snapshots. Every directory bastion makes there is created 0700 and every file 0600, by
explicit modes and `chmod` rather than `os.umask`, which is process-wide: a library that
changed it would change what every other thread of the host process creates.

What an older version (or a copy made by hand) left readable by others is tightened when
bastion opens it: group and other permissions are taken off, the owner's are kept. A path
that cannot be tightened (owned by another account, a read-only mount) is logged as a
warning naming the command that fixes it; bastion still runs.

On Windows a file's mode is only its read-only flag and access is by the ACL inherited from
the user's profile folder, so nothing is changed there.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import sys
from pathlib import Path

log = logging.getLogger("bastion.store")

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600

_POSIX = sys.platform != "win32"


def make_private_dir(path: Path) -> Path:
    """Create `path` and each missing parent owner-only (0700); existing ones are left as
    they are (see `make_owner_only`). Raises OSError when one cannot be created."""
    missing = []
    here = path
    while not here.exists() and here.parent != here:
        missing.append(here)
        here = here.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:  # another process made it a moment ago
            continue
        if _POSIX:
            os.chmod(directory, DIRECTORY_MODE)  # whatever the umask took off the owner
    return path


def make_owner_only(path: Path) -> None:
    """Take group and other permissions off `path` if it exists (0755 becomes 0700, 0644
    becomes 0600); logs a warning when that cannot be done."""
    if not _POSIX:
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as e:
        log.warning("cannot check the permissions of %s: %s", path, e.strerror or e)
        return
    if not mode & 0o077:
        return
    try:
        os.chmod(path, mode & 0o700)
    except OSError as e:
        log.warning(
            "%s is readable by other accounts (mode %03o) and cannot be made owner-only: %s; "
            "run as its owner: chmod go= %s",
            path,
            mode,
            e.strerror or e,
            path,
        )


def create_private_file(path: Path, data: bytes) -> bool:
    """Write `data` to `path` as a new owner-only file, whole or not at all; False (and
    `path` untouched) when it already exists.

    Several processes may race to make the same file (every worker of a new deployment
    making ``secret.key``): each writes its own temporary file and links it into place,
    which fails for all but the first, so no process ever reads a half-written file or
    keeps a key that another replaced. Where the file system has no hard links the file is
    created in place (exclusively) instead.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (FAT, some network file systems)
            return _create_in_place(path, data)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _create_in_place(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return True


def create_empty_private_file(path: Path) -> None:
    """Make `path` an empty owner-only file unless it exists (an empty file is an empty
    SQLite database, and SQLite gives its -wal and -shm files the database file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def make_tree_owner_only(root: Path) -> None:
    """`make_owner_only` on `root` and everything under it (links are not followed)."""
    make_owner_only(root)
    for directory, subdirectories, files in os.walk(root):
        for name in (*subdirectories, *files):
            child = Path(directory, name)
            if not child.is_symlink():
                make_owner_only(child)
