"""Hash lists in files and at URLs: python-threatexchange's `local_file`, and the CSV of its
`dataset --csv` (ThreatExchange CSV), read as an exchange.

A file is a whole list, so every sync reads all of it: an entry the file no longer holds is
deleted once a complete read is applied (`full_list`). The checkpoint is the file's SHA-256;
an unchanged file is not read again. A URL is downloaded through the configured transport,
with a size limit; a failed or truncated download applies nothing. Malformed rows are
counted and skipped (the rest of the list is kept).

Which files and addresses may be read is the exchange's `SourceAccess`, checked when the
exchange is added and again at every read (`bastion.exchange.access`). What the list holds
is never quoted back in an error: the file named might not be a hash list at all.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from typing import IO, ClassVar

import httpx

from bastion.errors import BastionError, ValidationError
from bastion.exchange.access import SourceAccess
from bastion.exchange.api import Exchange, ExchangeError, FetchPage, JsonObject, Record
from bastion.exchange.formats import (
    HashEntry,
    HashListFormat,
    detect_format,
    read_entries,
    read_local_file,
    read_te_csv,
)
from bastion.signals import get_signal_type

PAGE = 5000
#: Largest list downloaded from a URL.
MAX_DOWNLOAD = 2 * 1024**3
#: Longest upstream id stored (a longer one is a digest of the signal).
MAX_UPSTREAM_ID = 256
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

    @classmethod
    def check_sources(cls, config: JsonObject, access: SourceAccess) -> JsonObject:
        """The file must be one `access` lets exchanges read (stored as `access` names it);
        a URL, one it lets them reach."""
        if config.get("filename") is not None:
            filename = access.checked_file(config["filename"], "local_file: filename")
            return {**config, "filename": filename}
        return super().check_sources(config, access)

    @property
    def source(self) -> str:
        """Where the list is, for messages (a URL without credentials or query)."""
        if self.config.get("filename") is not None:
            return str(self.config["filename"])
        return str(httpx.URL(self.config["url"]).copy_with(query=None, userinfo=b""))

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
        records: list[Record] = []
        skipped = 0
        try:
            rows = (
                read_te_csv(text)
                if self._format(text) is HashListFormat.TE_CSV
                else read_local_file(text, default_type=self.config["signal_type"])
            )
            for item in read_entries(rows):
                if not isinstance(item, HashEntry):
                    skipped += 1
                    continue
                records.append(_record(item))
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

    def _format(self, text: io.TextIOWrapper) -> HashListFormat:
        if self.config["format"] != "auto":
            return HashListFormat(self.config["format"])
        first = ""
        while not first.strip() and (line := text.readline(4096)):
            first = line
        text.seek(0)
        return detect_format(first)

    def _open(self) -> IO[bytes]:
        if self.config.get("filename") is None:
            return self._download()
        filename = self.config["filename"]
        try:
            return self.access.open_file(filename, self.name)
        except ValidationError as e:
            raise ExchangeError(e.message) from None
        except OSError as e:
            raise ExchangeError(f"{self.name}: cannot read {filename}: {e.strerror}") from None

    def _download(self) -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024**2)  # noqa: SIM115
        try:
            with (
                httpx.Client(
                    transport=self.transport,
                    timeout=self.config["timeout"],
                    follow_redirects=True,  # each hop is checked by the transport
                    max_redirects=self.access.fetch.max_redirects,
                    trust_env=False,
                ) as client,
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


def _record(entry: HashEntry) -> Record:
    """An entry of the list, keyed by its first signal (a digest of it when that is long)."""
    first = entry.signals[0]
    upstream_id = f"{first.type}:{first.key}"
    if len(upstream_id) > MAX_UPSTREAM_ID:
        upstream_id = f"{first.type}:sha256:{hashlib.sha256(first.value.encode()).hexdigest()}"
    return Record(upstream_id=upstream_id, signals=entry.signals, metadata=entry.metadata)


def _sha256(raw: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := raw.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
