"""`CyberTiplineSink`: the `ReportSink` that files reports with NCMEC's CyberTipline.

Each step is one call of `CyberTiplineClient`: `open` submits the `<report>`, `attach`
uploads a file, `describe` sends its `<fileDetails>`, `close` finishes the report, `withdraw`
retracts it. The filing (`bastion.reporting.filing`) orders them, records each answer and
decides about retries; this adapter only translates.

Before a report is opened it is checked twice: on the model (`checks`: what the schema cannot
say, such as a well-formed email) and against the schema NCMEC serves (the documents built
with placeholder ids). The schema is fetched once and cached in `schema_dir`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bastion.reporting.cybertipline.checks import problems
from bastion.reporting.cybertipline.client import CyberTiplineClient, md5_of
from bastion.reporting.cybertipline.document import file_document, report_document
from bastion.reporting.cybertipline.schema import ReportSchema, SchemaCache, cache_file_name
from bastion.reporting.model import Report, ReportFile
from bastion.reporting.sink import (
    Attached,
    FileMismatch,
    ReportingError,
    ReportInvalid,
    SinkError,
)

#: Problems listed in one `ReportInvalid` message before the rest are counted.
MAX_LISTED = 20


class CyberTiplineSink:
    name = "cybertipline"

    def __init__(self, client: CyberTiplineClient, *, schema_dir: Path) -> None:
        self.client = client
        self.schemas = SchemaCache(
            Path(schema_dir),
            cache_file_name(client.base_url),
            lambda retry: client.xsd(retry=retry),
        )

    def __repr__(self) -> str:
        return f"<CyberTiplineSink {self.client.base_url}>"

    def check(self) -> str:
        """NCMEC's line about the connection (it answers and takes the credentials); the
        schema is fetched again on the way (the cached copy kept if it cannot be)."""
        line = self.client.status()
        kept = self.schemas.refresh()
        return f"CyberTipline at {self.client.base_url}: {line} ({kept})"

    def validate(self, report: Report) -> None:
        """Raise `ReportInvalid` naming every problem of `report`: the model's, then the
        schema's. When the schema is neither cached nor reachable at the first try, only the
        model is checked (`open` checks both, and NCMEC checks again): a draft is not kept
        waiting while NCMEC is down."""
        try:
            schema: ReportSchema | None = self.schemas.get(patient=False)
        except SinkError:
            schema = None
        self._validate(report, schema)

    def open(self, report: Report) -> str:
        """Check `report` on the model and against the schema, then submit it: NCMEC's id."""
        self._validate(report, self.schemas.get())
        return self.client.submit(report_document(report))

    def attach(self, report: Report, remote_id: str, file: ReportFile, data: bytes) -> Attached:
        """Upload one file. NCMEC's MD5 of what it received must be the MD5 of `data`; when
        not, `FileMismatch` names both and the file id (the report is sent again whole)."""
        attached = self.client.upload(remote_id, file.file_name, data)
        ours = md5_of(data)
        if attached.md5 is not None and attached.md5 != ours:
            raise FileMismatch(
                f"CyberTipline upload: NCMEC holds file {attached.file_id} of report "
                f"{remote_id} with MD5 {attached.md5}, but the bytes sent have MD5 {ours}"
            )
        return attached

    def describe(self, report: Report, remote_id: str, file: ReportFile) -> None:
        if file.remote_id is None:
            raise ReportingError(f"file {file.id} of report {report.id} is not uploaded yet")
        document = file_document(remote_id, file)
        self.schemas.get().validate(document, self._details_name(file))
        self.client.fileinfo(document)

    def close(self, report: Report, remote_id: str) -> tuple[str, ...]:
        return self.client.finish(remote_id)

    def withdraw(self, remote_id: str) -> None:
        self.client.retract(remote_id)

    def document(self, report: Report) -> Mapping[str, bytes]:
        """``report.xml`` and ``file-<id>-details.xml`` for each file (`id`: the file's id
        in bastion), with NCMEC's ids once known and placeholders before."""
        documents = {"report.xml": report_document(report)}
        for file in report.files:
            documents[self._details_name(file)] = file_document(report.remote_id, file)
        return documents

    def _validate(self, report: Report, schema: ReportSchema | None) -> None:
        found = problems(report)
        if schema is not None:
            try:
                built = self.document(report)
            except ReportInvalid as e:
                found.append(e.message)
            else:
                for name, document in built.items():
                    found.extend(f"{name} {p}" for p in schema.problems(document))
        if found:
            listed = "; ".join(found[:MAX_LISTED])
            more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            raise ReportInvalid(f"report {report.id} cannot go to the CyberTipline: {listed}{more}")

    @staticmethod
    def _details_name(file: ReportFile) -> str:
        return f"file-{file.id}-details.xml"
