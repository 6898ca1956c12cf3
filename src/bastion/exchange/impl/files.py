"""Hash lists in files and at URLs: python-threatexchange's `local_file`, and the CSV of its
`dataset --csv` (ThreatExchange CSV), read as an exchange.

A file is a whole list, so every sync reads all of it: an entry the file no longer holds is
deleted once a complete read is applied (`full_list`). The checkpoint is the file's SHA-256;
an unchanged file is not read again. A URL is downloaded through the configured transport,
with a size limit; a failed or truncated download applies nothing. Malformed rows are
counted and skipped (the rest of the list is kept).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, ClassVar

import httpx

from bastion.errors import BastionError, ValidationError
from bastion.exchange.api import Exchange, ExchangeError, FetchPage, JsonObject, Record
from bastion.exchange.formats import HashListFormat, looks_like_te_csv, read_local_file, read_te_csv
from bastion.exchange.formats.rows import HashRow
from bastion.signals import Signal, get_signal_type

PAGE = 5000
#: Largest list downloaded from a URL.
MAX_DOWNLOAD = 2 * 1024**3
_CHUNK = 1 << 20


class FileExchange(Exchange):
    kind: ClassVar[str] = "local_file"
    description: ClassVar[str] = (
        "A hash list in a file or at a URL: python-threatexchange's local_file format "
        "('<signal_type> <hash>' per line) or its dataset CSV (ThreatExchange CSV)"
    )
    full_list: ClassVar[bool] = True

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        known = {"filename", "url", "format", "signal_type", "timeout"}
        if unknown := set(config) - known:
            raise ValidationError(f"local_file: unknown settings {', '.join(sorted(unknown))}")
        filename, url = config.get("filename"), config.get("url")
        if (filename is None) == (url is None):
            raise ValidationError("local_file needs one of 'filename' or 'url'")
        if url is not None and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            raise ValidationError("local_file: 'url' must be an http(s) URL")
        if filename is not None and not isinstance(filename, str):
            raise ValidationError("local_file: 'filename' must be a path")
        fmt = config.get("format", "auto")
        if fmt not in ("auto", *(f.value for f in HashListFormat)):
            raise ValidationError("local_file: 'format' must be auto, csv or local_file")
        signal_type = config.get("signal_type")
        if signal_type is not None:
            signal_type = get_signal_type(str(signal_type)).name
        timeout = config.get("timeout", 60)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValidationError("local_file: 'timeout' must be a positive number of seconds")
        return {
            **({"filename": filename} if filename is not None else {"url": url}),
            "format": fmt,
            "signal_type": signal_type,
            "timeout": timeout,
        }

    @property
    def source(self) -> str:
        """Where the list is, for messages (a URL without its query)."""
        if self.config.get("filename") is not None:
            return str(self.config["filename"])
        return str(httpx.URL(self.config["url"]).copy_with(query=None))

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        with self._open() as raw:
            digest = _sha256(raw)
            if checkpoint is not None and checkpoint.get("sha256") == digest:
                return  # unchanged since the last complete read
            raw.seek(0)
            yield from self._pages(raw, {"sha256": digest})

    def _pages(self, raw: IO[bytes], done: JsonObject) -> Iterator[FetchPage]:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict")
        try:
            yield from self._read(text, done)
        finally:
            text.detach()  # the caller closes `raw`

    def _read(self, text: io.TextIOWrapper, done: JsonObject) -> Iterator[FetchPage]:
        fmt = self.config["format"]
        records: list[Record] = []
        skipped = 0
        try:
            first = text.readline()
            text.seek(0)
            csv = fmt == HashListFormat.TE_CSV or (fmt == "auto" and looks_like_te_csv(first))
            rows = (
                read_te_csv(text)
                if csv
                else read_local_file(text, default_type=self.config["signal_type"])
            )
            for row in rows:
                if not isinstance(row, HashRow):
                    skipped += 1
                    continue
                records.append(_record(row))
                if len(records) == PAGE:
                    yield FetchPage(records, None, skipped)
                    records, skipped = [], 0
        except UnicodeDecodeError as e:
            raise ExchangeError(
                f"{self.name}: {self.source} is not UTF-8 text ({e.reason})"
            ) from None
        except BastionError as e:
            raise ExchangeError(f"{self.name}: {self.source}: {e.message}") from None
        yield FetchPage(records, done, skipped)  # the last page carries the checkpoint

    def _open(self) -> IO[bytes]:
        if self.config.get("filename") is not None:
            path = Path(self.config["filename"]).expanduser()
            try:
                return path.open("rb")
            except OSError as e:
                raise ExchangeError(f"{self.name}: cannot read {path}: {e.strerror}") from None
        return self._download()

    def _download(self) -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024**2)  # noqa: SIM115
        try:
            with (
                httpx.Client(transport=self.transport, timeout=self.config["timeout"]) as client,
                client.stream("GET", self.config["url"]) as response,
            ):
                if response.status_code != 200:
                    raise ExchangeError(
                        f"{self.name}: {self.source} answered HTTP {response.status_code}"
                    )
                size = 0
                for chunk in response.iter_bytes(_CHUNK):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD:
                        raise ExchangeError(
                            f"{self.name}: {self.source} is over {MAX_DOWNLOAD:,} bytes"
                        )
                    spool.write(chunk)
        except httpx.HTTPError as e:
            spool.close()
            raise ExchangeError(f"{self.name}: {self.source}: {type(e).__name__}") from None
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool


def _record(row: HashRow) -> Record:
    signal = Signal(row.signal_type, row.value)
    return Record(
        upstream_id=f"{signal.type}:{signal.key}", signals=(signal,), metadata=row.metadata
    )


def _sha256(raw: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := raw.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
