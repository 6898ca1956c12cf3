"""The CyberTipline's XML schema: documents are checked against it before they are sent.

NCMEC serves the schema at `GET /xsd`; bastion does not ship it. `SchemaCache` fetches it once
and keeps it in a directory it is given, one file per server, fetching it again when the
file is absent or unreadable; `refresh()` (run by the sink's `check`) replaces it with what
the server serves today, and keeps the cached copy when the server cannot be reached.

The schema is parsed with xmlschema allowing no outside resource (no import, include or
entity is fetched or expanded), as it comes from the network.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xmlschema

from bastion.reporting.sink import ReportInvalid, SinkError, SinkUnavailable

#: Warnings xmlschema gives when a schema imports or includes another (never fetched here).
OUTSIDE = (xmlschema.XMLSchemaImportWarning, xmlschema.XMLSchemaIncludeWarning)
#: Problems listed in one `ReportInvalid` message before the rest are counted.
MAX_LISTED = 12


class ReportSchema:
    """A parsed CyberTipline schema, validating `<report>` and `<fileDetails>` documents."""

    def __init__(self, schema: xmlschema.XMLSchema10) -> None:
        self._schema = schema

    @classmethod
    def from_bytes(cls, xsd: bytes) -> ReportSchema:
        """Raises `SinkUnavailable` when `xsd` is not a schema xmlschema can read (the
        server served something else; try again later)."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                schema = xmlschema.XMLSchema10(io.BytesIO(xsd), allow="none", defuse="always")
        except (xmlschema.XMLSchemaException, SyntaxError, ValueError) as e:
            first = " ".join(str(e).split())[:200]
            raise SinkUnavailable(f"CyberTipline xsd: not a readable schema ({first})") from None
        for warning in caught:
            if issubclass(warning.category, OUTSIDE):
                raise SinkUnavailable(
                    "CyberTipline xsd: the schema refers to another resource (not fetched)"
                )
        return cls(schema)

    def problems(self, document: bytes) -> list[str]:
        """Each way `document` breaks the schema: ``path: reason``."""
        try:
            resource = xmlschema.XMLResource(io.BytesIO(document), allow="none", defuse="always")
            errors: list[Any] = list(self._schema.iter_errors(resource))
        except (xmlschema.XMLSchemaException, SyntaxError, ValueError) as e:
            return [f"not well-formed XML ({' '.join(str(e).split())[:200]})"]
        return [_describe(error) for error in errors]

    def validate(self, document: bytes, what: str) -> None:
        """Raise `ReportInvalid` listing, in one line, each problem of `document` (named
        `what`, e.g. ``report.xml``) with its path."""
        found = self.problems(document)
        if found:
            listed = "; ".join(found[:MAX_LISTED])
            more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            raise ReportInvalid(f"{what} does not match the CyberTipline schema: {listed}{more}")


class SchemaCache:
    """The schema of one server, kept in `directory/file_name`. `fetch(retry)` asks the
    server for it, retrying (`retry` true) or not."""

    def __init__(self, directory: Path, file_name: str, fetch: Callable[[bool], bytes]) -> None:
        self.path = Path(directory) / file_name
        self._fetch = fetch
        self._schema: ReportSchema | None = None

    def get(self, *, patient: bool = True) -> ReportSchema:
        """The schema: in memory, else on disk, else fetched (and kept); `patient`: with
        retries. Raises a `SinkError` when it is nowhere and the server cannot give it."""
        if self._schema is None:
            self._schema = self._from_disk()
        if self._schema is None:
            self._schema = self._fetch_and_keep(retry=patient)
        return self._schema

    def cached(self) -> ReportSchema | None:
        """The schema if it is held without asking the server."""
        if self._schema is None:
            self._schema = self._from_disk()
        return self._schema

    def refresh(self) -> str:
        """Fetch the schema again and keep it; when the server cannot give it, keep the copy
        held (if none, raise). A line saying which happened."""
        try:
            self._schema = self._fetch_and_keep(retry=True)
            return "schema fetched"
        except SinkError as e:
            if self.cached() is None:
                raise
            return f"schema kept from the cache ({e.message})"

    def _from_disk(self) -> ReportSchema | None:
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        try:
            return ReportSchema.from_bytes(data)
        except SinkUnavailable:
            return None  # a damaged copy: fetched again

    def _fetch_and_keep(self, *, retry: bool) -> ReportSchema:
        data = self._fetch(retry)
        schema = ReportSchema.from_bytes(data)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".xsd-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return schema


def cache_file_name(base_url: str) -> str:
    """A file name for the schema of the server at `base_url` (test and production apart)."""
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", base_url.split("://", 1)[-1]).strip("_")
    return f"cybertipline-{stem}.xsd"


def _describe(error: Any) -> str:
    path = getattr(error, "path", None) or "/"
    reason = getattr(error, "reason", None) or getattr(error, "message", None) or str(error)
    text = " ".join(str(reason).split())
    if len(text) > 200:
        text = text[:199] + "…"
    return f"{path}: {text}"
