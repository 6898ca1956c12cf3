"""`ReportSink`: where reports go. NCMEC's CyberTipline is the first; a hotline elsewhere
(a member of INHOPE, say) is added by writing one and registering it under the
``bastion.report_sinks`` entry point group.

A sink's steps mirror the CyberTipline's, which any hotline that takes files can follow: open
a report (the hotline answers with its id), attach each file (its file id), describe each file,
close the report (from then on it cannot change), or withdraw it before it is closed. The
filing (`bastion.reporting.filing`) calls them in order, records each answer before taking
the next step, and so resumes after a crash at the step it had not confirmed.

Errors a sink raises say what the filing should do next:

- `SinkUnavailable`: the hotline could not be reached or failed on its side; try again later.
- `SinkAuthError`: its credentials were refused; a person must set them again.
- `SinkRejected`: it refused the document or a file as invalid; a person must fix the report.
  `FileMismatch`, a kind of it, says a file arrived damaged (another MD5): the report is sent
  again from the start.
- `RemoteReportGone`: it no longer holds the report (unknown id: an unfinished report expires);
  the report is opened again.
- `RemoteReportFinished` / `RemoteReportRetracted`: the report was already closed or
  withdrawn, which is how a step repeated after a crash is recognised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from bastion.errors import BastionError, ConfigurationError
from bastion.reporting.model import Report, ReportFile

#: The entry point group that third-party sinks register under.
ENTRY_POINT_GROUP = "bastion.report_sinks"


class ReportingError(BastionError):
    """A report could not be made or sent."""

    code = "reporting"


class ReportInvalid(ReportingError):
    """The report lacks what the destination requires, or holds what it refuses; nothing
    was sent."""

    code = "report-invalid"


class SinkError(ReportingError):
    """The destination answered with an error (`remote_code`: its own code, when any)."""

    code = "report-sink"

    def __init__(self, message: str, *, remote_code: int | None = None) -> None:
        super().__init__(message)
        self.remote_code = remote_code


class SinkUnavailable(SinkError):
    code = "report-sink-unavailable"


class SinkAuthError(SinkError):
    code = "report-sink-auth"


class SinkRejected(SinkError):
    code = "report-sink-rejected"


class FileMismatch(SinkRejected):
    """The destination received other bytes than were sent (its MD5 of the file differs):
    the file arrived damaged. The filing withdraws the report and sends it again whole."""

    code = "report-file-mismatch"


class RemoteReportGone(SinkError):
    code = "report-gone"


class RemoteReportFinished(SinkError):
    code = "report-already-finished"


class RemoteReportRetracted(SinkError):
    code = "report-already-retracted"


@dataclass(frozen=True)
class Attached:
    """The destination's answer to a file: its id, and the MD5 of the bytes it received."""

    file_id: str
    md5: str | None


@runtime_checkable
class ReportSink(Protocol):
    #: The sink's stable short name, stored with each report (``cybertipline``).
    name: str

    def check(self) -> str:
        """Whether the destination answers and takes the credentials: a line saying so
        (raises a `SinkError` when not)."""
        ...

    def validate(self, report: Report) -> None:
        """Raise `ReportInvalid` naming every problem that would make the destination
        refuse `report` (checked before anything is sent, and when a draft is saved)."""
        ...

    def open(self, report: Report) -> str:
        """Send the report itself; the destination's id for it."""
        ...

    def attach(self, report: Report, remote_id: str, file: ReportFile, data: bytes) -> Attached: ...

    def describe(self, report: Report, remote_id: str, file: ReportFile) -> None:
        """Send what is known about an attached file (`file.remote_id` is set)."""
        ...

    def close(self, report: Report, remote_id: str) -> tuple[str, ...]:
        """Finish the report; the file ids the destination holds for it."""
        ...

    def withdraw(self, remote_id: str) -> None:
        """Retract a report that is not yet closed."""
        ...

    def document(self, report: Report) -> Mapping[str, bytes]:
        """The documents this report is sent as (file name → bytes: the report's XML, each
        file's details), as they are or would be sent; kept with the preserved evidence."""
        ...


@dataclass(frozen=True)
class SinkContext:
    """What a destination is built with: where it may keep files of its own, and the
    credentials the organisation stored for reporting (None when none are)."""

    data_dir: Path
    username: str | None
    password: str | None = field(default=None, repr=False)


#: A plugin's entry point names a callable that builds its destination.
SinkFactory = Callable[[SinkContext], ReportSink]


def installed_sinks() -> dict[str, SinkFactory]:
    """The destinations plugins register under ``bastion.report_sinks``, by name; two of
    one name, or one named ``cybertipline`` (built in), is an error naming them."""
    found: dict[str, SinkFactory] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found or point.name == "cybertipline":
            raise ConfigurationError(
                f"two report destinations are registered as {point.name!r} ({point.value})"
            )
        found[point.name] = point.load()
    return found
