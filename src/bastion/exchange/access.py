"""What exchanges may read: files in one folder and never bastion's own, and network
addresses that are public or that the operator allows.

An exchange's settings say where its list comes from: a file (`local_file`'s `filename`) or
a URL (every kind). Whoever adds an exchange could otherwise make the service read any file
it can open (its database, `secret.key`, `federation.key`) or any address it can reach (the
cloud metadata service, an internal admin page), and take what came back out again with an
export of the bank. So:

- **Files.** With the `exchange_files_dir` setting, every file source must lie inside that
  folder, whoever adds it; a relative name is taken inside it. Without it (the default),
  the API refuses file sources: an admin key is a credential for the service, not for the
  machine it runs on. The command line is run by the operator on the server, under their
  own account, and may name any file they could read anyway; `bastion exchange add` stores
  the path made absolute, so the service's workers read the same file. Whoever adds it,
  nothing in bastion's data directory (nor the SQLite database, wherever it is) is ever
  read. Paths are resolved (symlinks, `..`) before they are checked, when the exchange is
  added and again at every read; the file read is the one checked: opened by its resolved
  path without following a final symlink and, where the system shows it, checked once more
  by the path of the open file.
- **Addresses.** Every request an exchange makes goes through `GuardedTransport`: its host
  resolved once, every address checked as media fetches check theirs (public, or inside
  the `fetch_allow_networks` setting), and the connection made to a checked address, so a
  second DNS answer cannot send it elsewhere. A redirect is a new request, checked alike.
  An address named literally is refused as soon as the exchange is added; a name, when a
  request is sent (adding an exchange does not wait on DNS).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from bastion.errors import ValidationError
from bastion.exchange.guard import ALLOW_HINT, GuardedTransport, checked_target
from bastion.media.fetch import (
    FetchError,
    FetchPolicy,
    ForbiddenAddressError,
    InvalidUrlError,
    resolve_allowed,
)
from bastion.validation import checked_text

#: Where the system shows the path of an open file (Linux).
_PROC_FD = Path("/proc/self/fd")


@dataclass(frozen=True)
class FileAccess:
    """Which files exchanges may read (see the module docstring)."""

    #: Paths never read, whatever else allows it: the data directory, the database file.
    protected: tuple[Path, ...]
    #: The folder file sources must lie in (`exchange_files_dir`); None: no such folder.
    folder: Path | None = None
    #: Whether the door adding an exchange may name a file outside `folder` when there is
    #: none: the operator's command line, not the API.
    operator: bool = False

    def checked_name(self, filename: str, where: str) -> str:
        """`filename` as an exchange being added stores it (absolute, unless relative to the
        folder); ValidationError, naming `where`, if it may not be read."""
        if self.folder is None and not self.operator:
            raise ValidationError(
                f"{where}: file sources are not accepted here unless the exchange_files_dir "
                "setting names the folder they are in (or add the exchange with the "
                "`bastion exchange add` command on the server)"
            )
        path = self._path(filename, where)
        try:
            resolved = _resolved(path, strict=False)
        except OSError as e:
            raise ValidationError(f"{where}: {filename}: {e.strerror}") from None
        self._check_place(resolved, filename, where)
        return filename if self.folder is not None else str(path)

    def open(self, filename: str, where: str) -> BinaryIO:
        """The file, opened for reading after the checks of `checked_name` (bar the door's):
        ValidationError if it may not be read, OSError if it cannot."""
        path = _resolved(self._path(filename, where), strict=True)
        self._check_place(path, filename, where)
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO would block, a device never end
                raise ValidationError(f"{where}: {filename} is not a regular file")
            opened = _PROC_FD / str(fd)
            if opened.is_symlink():  # the file as opened, whatever was swapped meanwhile
                self._check_place(Path(os.readlink(opened)), filename, where)
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def _path(self, filename: str, where: str) -> Path:
        checked_text(filename, where, max_length=4096)  # no NUL, no lone surrogate
        if not filename.strip():
            raise ValidationError(f"{where}: the file name is empty")
        try:
            path = Path(filename).expanduser()
        except RuntimeError:  # `~user` for a user the system does not know
            raise ValidationError(f"{where}: {filename}: no such home directory") from None
        if path.is_absolute():
            return path
        return (self.folder / path) if self.folder is not None else path.absolute()

    def _check_place(self, resolved: Path, filename: str, where: str) -> None:
        for protected in self.protected:
            if resolved.is_relative_to(protected.expanduser().resolve(strict=False)):
                raise ValidationError(
                    f"{where}: {filename} is in bastion's own data, which exchanges never read"
                )
        if self.folder is not None and not resolved.is_relative_to(
            self.folder.expanduser().resolve(strict=False)
        ):
            raise ValidationError(f"{where}: {filename} is outside exchange_files_dir")


def _later(host: str, port: int) -> list[str]:
    """A resolver that looks nothing up: names are checked when requests are sent."""
    raise OSError(f"{host} is looked up when requested")


def _resolved(path: Path, *, strict: bool) -> Path:
    """`path.resolve`, with a symlink loop an OSError like any other unreadable path (Python
    3.11 raises RuntimeError for it)."""
    try:
        return path.resolve(strict=strict)
    except RuntimeError:
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None


@dataclass(frozen=True)
class SourceAccess:
    """What exchanges may read. The default reads no file and reaches public addresses only:
    build the real one from settings (`Settings.exchange_access`)."""

    fetch: FetchPolicy = field(default_factory=FetchPolicy)
    #: None: file sources are refused, added or read.
    files: FileAccess | None = None

    def checked_file(self, filename: str, where: str) -> str:
        """`FileAccess.checked_name`, for an exchange being added."""
        if self.files is None:
            raise ValidationError(f"{where}: file sources are not accepted here")
        return self.files.checked_name(filename, where)

    def open_file(self, filename: str, where: str) -> BinaryIO:
        """`FileAccess.open`, for a sync."""
        if self.files is None:
            raise ValidationError(f"{where}: file sources are not accepted here")
        return self.files.open(filename, where)

    def check_url(self, url: str, where: str) -> None:
        """Refuse, as an exchange is added, a URL that is malformed or names an address
        requests may not reach. A host name is not looked up now (adding an exchange does
        not wait on DNS): every request checks what it resolves to."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            raise ValidationError(f"{where}: not a valid URL") from None
        try:
            host, port = checked_target(target, self.fetch, where)
            resolve_allowed(host, port, self.fetch, resolver=_later)
        except ForbiddenAddressError as e:
            raise ValidationError(f"{where}: {e.message}{ALLOW_HINT}") from None
        except InvalidUrlError as e:
            raise ValidationError(e.message) from None
        except FetchError:
            pass  # a name: GuardedTransport checks what it resolves to, at every request

    def transport(self, name: str) -> httpx.BaseTransport:
        """A transport for one exchange client, checking every request it sends."""
        return GuardedTransport(name, self.fetch)
