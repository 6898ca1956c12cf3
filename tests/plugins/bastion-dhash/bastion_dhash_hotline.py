"""`drop_folder`: a report destination that files each report in a folder, as a hotline
that takes reports by secure file drop would (one folder a report: its document, its files,
their details, and a DONE mark once closed).

A bastion report-destination plugin: the entry point
``drop_folder = "bastion_dhash_hotline:DropFolderHotline"`` in the group
``bastion.report_sinks`` is all it takes; the organisation chooses it with
``bastion report profile --set destination=drop_folder``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping

from bastion.reporting.model import Report, ReportFile
from bastion.reporting.sink import (
    Attached,
    RemoteReportFinished,
    RemoteReportGone,
    ReportInvalid,
    SinkContext,
)


class DropFolderHotline:
    name = "drop_folder"

    def __init__(self, context: SinkContext) -> None:
        self.root = context.data_dir

    def check(self) -> str:
        return f"reports are filed in {self.root}"

    def validate(self, report: Report) -> None:
        if not report.files and not report.incident.text:
            raise ReportInvalid("drop_folder: a report needs a file or a text")

    def open(self, report: Report) -> str:
        self.validate(report)
        remote_id = uuid.uuid4().hex
        folder = self.root / remote_id
        folder.mkdir(parents=True)
        (folder / "report.json").write_bytes(self.document(report)["report.json"])
        return remote_id

    def attach(self, report: Report, remote_id: str, file: ReportFile, data: bytes) -> Attached:
        folder = self._open_folder(remote_id)
        (folder / f"file-{file.id}").write_bytes(data)
        return Attached(str(file.id), hashlib.md5(data, usedforsecurity=False).hexdigest())

    def describe(self, report: Report, remote_id: str, file: ReportFile) -> None:
        details = {"file_name": file.file_name, "classification": str(file.classification)}
        (self._open_folder(remote_id) / f"file-{file.id}.json").write_text(json.dumps(details))

    def close(self, report: Report, remote_id: str) -> tuple[str, ...]:
        folder = self._open_folder(remote_id)
        (folder / "DONE").touch()
        return tuple(f.remote_id for f in report.files if f.remote_id)

    def withdraw(self, remote_id: str) -> None:
        folder = self._open_folder(remote_id)
        folder.rename(folder.with_name(f"{remote_id}.withdrawn"))

    def document(self, report: Report) -> Mapping[str, bytes]:
        doc = {
            "incident": report.incident.type.value,
            "at": report.incident.at.isoformat(),
            "description": report.incident.description,
            "user": None if report.person is None else report.person.user_id,
        }
        return {"report.json": json.dumps(doc).encode()}

    def _open_folder(self, remote_id: str):  # type: ignore[no-untyped-def]
        folder = self.root / remote_id
        if not folder.is_dir():
            raise RemoteReportGone(f"drop_folder: no report {remote_id}")
        if (folder / "DONE").exists():
            raise RemoteReportFinished(f"drop_folder: report {remote_id} is closed")
        return folder
