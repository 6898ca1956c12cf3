"""Where the evidence vault keeps its sealed objects: a folder of owner-only files, or a bucket.

An `ObjectStore` holds opaque bytes under a name; the vault hands it only sealed objects
(AES-GCM ciphertext) named by their evidence ids, so what a store keeps is never media in
clear, whoever can read the folder or the bucket. A folder (`LocalObjects`) is the default,
`<data_dir>/evidence`; any URL fsspec speaks (`s3://bucket/prefix`, and others) is read and
written through fsspec (`FsspecObjects`), installed with bastion's optional `s3` extra.

Names are checked before they reach a path or a key: letters, digits, `.`, `_` and `-`,
never starting with a dot, so no name climbs out of the folder or the bucket's prefix.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from bastion.errors import (
    BastionError,
    ConfigurationError,
    NotFoundError,
    StorageError,
    ValidationError,
    first_line,
)
from bastion.store.private_files import FILE_MODE, make_owner_only, make_private_dir

#: A name an object may have: no separator, no leading dot (so neither `.` nor `..`).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class ObjectStore(Protocol):
    """Opaque bytes kept under names (`read` of a missing name raises NotFoundError;
    `delete` of one does nothing)."""

    def write(self, name: str, data: bytes) -> None: ...

    def read(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


def object_name(name: str) -> str:
    """`name` if it is a safe object name, else ValidationError."""
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"object name {name[:64]!r} is not allowed (letters, digits, '.', '_' and '-', "
            "not starting with '.')"
        )
    return name


def object_store(location: str, storage_options: Mapping[str, Any] | None = None) -> ObjectStore:
    """The store at `location`: a folder (a path, or a ``file://`` URL) as `LocalObjects`,
    any other URL (``s3://bucket/prefix``) as `FsspecObjects` with `storage_options`."""
    if "://" not in location:
        return LocalObjects(Path(location).expanduser())
    if location.startswith("file://"):
        return LocalObjects(Path(urlsplit(location).path))
    return FsspecObjects(location, storage_options)


class LocalObjects:
    """Objects as files in an owner-only folder (0700, files 0600), each written whole or
    not at all: to a temporary file first, then renamed over its name."""

    def __init__(self, directory: Path) -> None:
        try:
            make_private_dir(directory)
        except OSError as e:
            raise StorageError(
                f"cannot create the evidence folder {directory}: {e.strerror or e}"
            ) from None
        make_owner_only(directory)  # whatever made it before
        self.directory = directory

    def __repr__(self) -> str:
        return f"LocalObjects({str(self.directory)!r})"

    def write(self, name: str, data: bytes) -> None:
        path = self.directory / object_name(name)
        temporary = path.with_name(f".{name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except OSError as e:
            temporary.unlink(missing_ok=True)
            raise StorageError(f"cannot write {path}: {e.strerror or e}") from None

    def read(self, name: str) -> bytes:
        path = self.directory / object_name(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no object {name!r} in {self.directory}") from None
        except OSError as e:
            raise StorageError(f"cannot read {path}: {e.strerror or e}") from None

    def delete(self, name: str) -> None:
        path = self.directory / object_name(name)
        try:
            path.unlink(missing_ok=True)
        except OSError as e:
            raise StorageError(f"cannot delete {path}: {e.strerror or e}") from None


class FsspecObjects:
    """Objects under a prefix of any storage fsspec speaks: S3 and S3-compatible stores
    (``s3://bucket/prefix``, with s3fs), and the others fsspec registers.

    `storage_options` go to the file system as they are (for S3: ``endpoint_url``,
    ``client_kwargs={"region_name": ...}``, ``key`` and ``secret``); without credentials
    s3fs finds them where the AWS tools do (environment, profile, instance role). One
    object is one write, which S3 makes visible whole or not at all.
    """

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        scheme = urlsplit(url).scheme
        try:
            import fsspec

            fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        except ImportError as e:
            raise ConfigurationError(
                f"evidence_url {scheme}://...: {first_line(e)} (for s3://, install bastion's "
                "`s3` extra: pip install 'bastion[s3]')"
            ) from None
        except (ValueError, TypeError) as e:
            raise ConfigurationError(f"evidence_url {scheme}://...: {first_line(e)}") from None
        self._fs = fs
        self._root = str(root).rstrip("/")
        self.url = f"{scheme}://{self._root}"

    def __repr__(self) -> str:
        return f"FsspecObjects({self.url!r})"

    def write(self, name: str, data: bytes) -> None:
        with self._errors("write", name):
            self._fs.pipe_file(self._path(name), data)

    def read(self, name: str) -> bytes:
        with self._errors("read", name):
            try:
                return bytes(self._fs.cat_file(self._path(name)))
            except FileNotFoundError:
                raise NotFoundError(f"no object {name!r} in {self.url}") from None

    def delete(self, name: str) -> None:
        # Deleted already is what was asked.
        with self._errors("delete", name), suppress(FileNotFoundError):
            self._fs.rm_file(self._path(name))

    def _path(self, name: str) -> str:
        return f"{self._root}/{object_name(name)}"

    @contextmanager
    def _errors(self, action: str, name: str) -> Iterator[None]:
        """The file system's failures as `StorageError`. (Backends raise their own
        exceptions besides OSError: botocore's for missing credentials, for one.)"""
        try:
            yield
        except BastionError:
            raise
        except Exception as e:
            raise StorageError(
                f"cannot {action} {name!r} in {self.url}: {type(e).__name__}: {first_line(e)}"
            ) from None
