"""Where a scan's items come from: a folder, a bucket (any fsspec URL: ``s3://bucket/prefix``),
or a manifest (CSV or Parquet) naming each item's content id, where it is, and its user.

A source is *listed* by the scan's client (`list_items`), which records every item in the scan's
manifest table; a worker *reads* one item (`read_item`) from the location recorded there. Each
item has a key that stays the same from one listing to the next (its path under the folder, its
object key, its manifest id), so a re-run finds what it already did; its size and ETag (or the
file's modification time) tell a changed item from the one already checked.

Reading refuses what it should: more than `max_bytes`, a symbolic link out of the folder,
a URL on a private network unless the fetch policy allows it. Those errors are the item's,
recorded against it: they never stop the scan.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bastion.errors import ImportFormatError, MediaError, MediaTooLargeError, ValidationError
from bastion.media import read_media
from bastion.media.fetch import FetchPolicy, fetch

#: Columns a manifest may have; ``content_id`` and one of ``path``/``url`` are required.
MANIFEST_COLUMNS = ("content_id", "path", "url", "user_id")
#: The longest content or user id a manifest may give (the columns' width).
MAX_ID_LENGTH = 200
#: File names a folder scan passes over: dot files, and files of nothing but metadata.
_SKIPPED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class SourceItem:
    """One item as listed: its stable key, where to read it, and what identifies its bytes."""

    key: str
    location: str
    size: int | None = None
    #: The object's ETag, or a file's modification time in nanoseconds: a changed value
    #: means changed bytes.
    etag: str | None = None
    content_id: str | None = None
    user_id: str | None = None


def source_kind(source: str) -> str:
    """``manifest``, ``bucket`` or ``folder``; raises `ValidationError` for none of these."""
    lowered = source.lower()
    if lowered.endswith((".csv", ".parquet")):
        return "manifest"
    scheme = urlsplit(source).scheme
    if scheme in ("http", "https"):
        raise ValidationError(
            f"{source}: a scan's source is a folder, a bucket URL (s3://...) or a manifest "
            "(.csv or .parquet) listing URLs, not one URL"
        )
    if len(scheme) > 1:  # not a Windows drive letter
        return "bucket"
    if not Path(source).is_dir():
        raise ValidationError(f"{source}: no such folder (or a .csv/.parquet manifest)")
    return "folder"


def list_items(
    source: str, *, storage_options: Mapping[str, Any] | None = None
) -> Iterator[SourceItem]:
    """Every item of `source`, in a stable order. Raises `ValidationError` or
    `ImportFormatError` when the source itself cannot be read."""
    kind = source_kind(source)
    if kind == "folder":
        yield from _folder(Path(source))
    elif kind == "bucket":
        yield from _bucket(source, dict(storage_options or {}))
    else:
        yield from _manifest(source, dict(storage_options or {}))


def read_item(
    location: str,
    *,
    max_bytes: int,
    fetch_policy: FetchPolicy,
    storage_options: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes at `location` (a file path, an fsspec URL, an http(s) URL), refusing more
    than `max_bytes`; raises a `MediaError` saying why it could not be read."""
    scheme = urlsplit(location).scheme
    if scheme in ("http", "https"):
        limit = min(max_bytes, fetch_policy.max_bytes)
        return fetch(location, replace(fetch_policy, max_bytes=limit)).data
    if len(scheme) <= 1:
        return read_media(Path(location), max_bytes=max_bytes)
    return _read_remote(location, max_bytes, dict(storage_options or {}))


# Folders --------------------------------------------------------------------------------


def _folder(root: Path) -> Iterator[SourceItem]:
    """Regular files under `root` (recursively, sorted), not following links out of it."""
    root = root.resolve()
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name in _SKIPPED_NAMES:
                continue
            path = Path(directory) / name
            try:
                info = path.lstat()
            except OSError:
                continue  # gone since it was listed
            if stat.S_ISLNK(info.st_mode):
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    continue  # a link out of the folder is not the folder's
                info = target.stat()
            elif not stat.S_ISREG(info.st_mode):
                continue
            yield SourceItem(
                key=path.relative_to(root).as_posix(),
                location=str(path),
                size=info.st_size,
                etag=f"mtime:{info.st_mtime_ns}",
            )


# Buckets --------------------------------------------------------------------------------


def _filesystem(url: str, options: dict[str, Any]) -> tuple[Any, str]:
    try:
        import fsspec  # the scan extra: bastion[scan]
    except ImportError:
        raise ValidationError(
            f"{url}: scanning a bucket needs fsspec and s3fs (pip install 'bastion[scan]')"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
    except (ImportError, ValueError) as e:
        raise ValidationError(f"{url}: {e}") from None
    return fs, path


def _bucket(url: str, options: dict[str, Any]) -> Iterator[SourceItem]:
    fs, path = _filesystem(url, options)
    protocol = url.split("://", 1)[0]
    try:
        found = fs.find(path, detail=True)
    except FileNotFoundError:
        raise ValidationError(f"{url}: no such bucket or prefix") from None
    except OSError as e:
        raise ValidationError(f"{url}: cannot list it: {e}") from None
    prefix = path.rstrip("/") + "/"
    for name in sorted(found):
        info = found[name]
        if info.get("type") != "file" or name.rsplit("/", 1)[-1].startswith("."):
            continue
        etag = info.get("ETag") or info.get("etag") or info.get("mtime")
        yield SourceItem(
            key=name[len(prefix) :] if name.startswith(prefix) else name,
            location=f"{protocol}://{name}",
            size=int(info["size"]) if info.get("size") is not None else None,
            etag=str(etag).strip('"') if etag is not None else None,
        )


def _read_remote(url: str, max_bytes: int, options: dict[str, Any]) -> bytes:
    fs, path = _filesystem(url, options)
    try:
        with fs.open(path, "rb") as f:
            data: bytes = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise MediaError(f"{url}: no such object") from None
    except (OSError, ValueError) as e:
        raise MediaError(f"{url}: cannot read it: {e}") from None
    if len(data) > max_bytes:
        raise MediaTooLargeError(
            f"{url}: exceeds the limit of {max_bytes:,} bytes (setting max_media_bytes)"
        )
    if not data:
        raise MediaError(f"{url}: object is empty")
    return data


# Manifests ------------------------------------------------------------------------------


def _manifest(source: str, options: dict[str, Any]) -> Iterator[SourceItem]:
    rows = (
        _parquet_rows(source, options)
        if source.lower().endswith(".parquet")
        else _csv_rows(source, options)
    )
    base = Path(source).parent if len(urlsplit(source).scheme) <= 1 else None
    seen: set[str] = set()
    for number, row in rows:
        content_id = _id(row.get("content_id"), "content_id", number)
        if content_id is None:
            raise ImportFormatError(f"{source}: row {number} has no content_id")
        if content_id in seen:
            raise ImportFormatError(f"{source}: row {number} repeats content_id {content_id!r}")
        seen.add(content_id)
        path, url = (row.get("path") or "").strip(), (row.get("url") or "").strip()
        if bool(path) == bool(url):
            raise ImportFormatError(f"{source}: row {number} needs a path or a url (one of them)")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ImportFormatError(f"{source}: row {number}: url must be http(s): {url[:100]!r}")
        location = url or path
        if path and len(urlsplit(path).scheme) <= 1 and base is not None:
            location = str(base / path)  # relative to the manifest
        yield SourceItem(
            key=content_id,
            location=location,
            content_id=content_id,
            user_id=_id(row.get("user_id"), "user_id", number),
        )


def _id(value: object, column: str, number: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise ImportFormatError(f"row {number}: {column} is over {MAX_ID_LENGTH} characters")
    return text or None


def _check_columns(source: str, columns: list[str]) -> None:
    unknown = sorted(set(columns) - set(MANIFEST_COLUMNS))
    if "content_id" not in columns or not {"path", "url"} & set(columns):
        raise ImportFormatError(
            f"{source}: a manifest needs the columns content_id and path or url "
            f"(it has: {', '.join(columns) or 'none'})"
        )
    if unknown:
        raise ImportFormatError(
            f"{source}: unknown manifest column(s) {', '.join(unknown)}; "
            f"known: {', '.join(MANIFEST_COLUMNS)}"
        )


def _open_text(source: str, options: dict[str, Any]) -> io.TextIOBase:
    if len(urlsplit(source).scheme) <= 1:
        return open(source, encoding="utf-8-sig", newline="")
    fs, path = _filesystem(source, options)
    return io.TextIOWrapper(fs.open(path, "rb"), encoding="utf-8-sig", newline="")


def _csv_rows(source: str, options: dict[str, Any]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with _open_text(source, options) as f:
            reader = csv.DictReader(f)
            _check_columns(source, [c.strip() for c in reader.fieldnames or []])
            for number, row in enumerate(reader, start=2):
                if None in row:
                    raise ImportFormatError(f"{source}: row {number} has more fields than columns")
                yield number, {k.strip(): v for k, v in row.items() if k is not None}
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ImportFormatError(f"{source}: cannot read it as CSV: {e}") from None


def _parquet_rows(source: str, options: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        pq: Any = importlib.import_module("pyarrow.parquet")  # the scan extra: bastion[scan]
    except ImportError:
        raise ValidationError(
            f"{source}: reading a Parquet manifest needs pyarrow (pip install 'bastion[scan]')"
        ) from None
    try:
        if len(urlsplit(source).scheme) <= 1:
            parquet = pq.ParquetFile(source)
        else:
            fs, path = _filesystem(source, options)
            parquet = pq.ParquetFile(fs.open(path, "rb"))
        columns = list(parquet.schema_arrow.names)
        _check_columns(source, columns)
        number = 1
        for batch in parquet.iter_batches(batch_size=10_000, columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield number, row
    except (OSError, ValueError) as e:  # pyarrow's errors derive from these
        raise ImportFormatError(f"{source}: cannot read it as Parquet: {e}") from None
