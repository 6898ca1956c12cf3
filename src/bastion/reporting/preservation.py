"""The preservation package: what a provider hands over when law enforcement asks, lawfully,
for what it reported.

A CyberTipline report is a request to preserve what it held for a year (18 U.S.C.
§ 2258A(h)); the evidence vault keeps the files sealed that long. `write_package` gathers one
report's preserved material into a zip:

- ``manifest.json``: the report (its ids, status, times, the destination's receipts) and
  each file with its size, SHA-256 and MD5, and what the destination computed;
- ``files/``: the files, as the platform received them (left out with ``include_media=False``);
- ``report/``: the documents sent (the report's XML and each file's details);
- ``custody.jsonl``: the chain of custody, oldest first: the report's own history and every
  audit event on the report and its evidence (kept, revealed, held, sent, exported);
- ``SHA256SUMS``: a checksum of every other member, to check the package later.

The zip is written owner-only and atomically (it appears whole or not at all). Writing it is
itself audited by the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bastion.errors import ValidationError
from bastion.reporting.model import Report

#: Where the members sit in the zip.
FILES = "files/"
DOCUMENTS = "report/"


@dataclass(frozen=True)
class CustodyEvent:
    at: datetime
    actor: str
    action: str
    target: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class Package:
    path: Path
    files: int
    media_bytes: int
    members: int


def write_package(
    path: Path,
    report: Report,
    *,
    documents: Mapping[str, bytes],
    custody: Iterable[CustodyEvent],
    open_evidence: Callable[[str], bytes],
    created_by: str,
    created_at: datetime,
    preserved_until: datetime | None,
    include_media: bool = True,
) -> Package:
    """Write the package of `report` to `path` (a new file)."""
    if path.exists():
        raise ValidationError(f"{path} exists already; name a new file")
    if not path.parent.is_dir():
        raise ValidationError(f"{path.parent} is not a folder")
    sums: dict[str, str] = {}
    media_bytes = 0
    files: list[dict[str, Any]] = []
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:

            def add(name: str, data: bytes) -> None:
                z.writestr(name, data)
                sums[name] = hashlib.sha256(data).hexdigest()

            for number, file in enumerate(report.files, start=1):
                data = open_evidence(file.evidence_id)
                member = f"{FILES}{number:03d}-{_safe(file.file_name)}"
                files.append(
                    {
                        "member": member if include_media else None,
                        "file_name": file.file_name,
                        "evidence_id": file.evidence_id,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                        "classification": _value(file.classification),
                        "remote_file_id": file.remote_id,
                        "remote_md5": file.remote_md5,
                        "original_hashes": dict(file.original_hashes),
                    }
                )
                if include_media:
                    add(member, data)
                    media_bytes += len(data)
            for name, data in sorted(documents.items()):
                add(DOCUMENTS + _safe(name), data)
            lines = [json.dumps(_custody(e), sort_keys=True) for e in custody]
            add("custody.jsonl", ("\n".join(lines) + "\n").encode() if lines else b"")
            manifest = {
                "report": {
                    "id": report.id,
                    "destination": report.sink,
                    "remote_id": report.remote_id,
                    "status": report.status.value,
                    "incident_type": report.incident.type.value,
                    "incident_at": report.incident.at.isoformat(),
                    "case_id": report.case_id,
                    "job_ids": list(report.job_ids),
                    "created_at": report.created_at.isoformat(),
                    "submitted_at": _iso(report.submitted_at),
                    "finished_at": _iso(report.finished_at),
                },
                "preserved_until": _iso(preserved_until),
                "files": files,
                "media_included": include_media,
                "package": {"created_at": created_at.isoformat(), "created_by": created_by},
            }
            add("manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
            z.writestr(
                "SHA256SUMS", "".join(f"{digest}  {name}\n" for name, digest in sums.items())
            )
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Package(path, len(files), media_bytes, len(sums) + 1)


def _safe(name: str) -> str:
    """A member name that stays in its folder: no separators, no leading dots."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return cleaned[:120] or "file"


def _custody(event: CustodyEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "detail": dict(event.detail),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _value(value: Any) -> Any:
    return None if value is None else getattr(value, "value", value)
