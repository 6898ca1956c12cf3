"""`Filing`: a report taken through its destination's steps, so that it is finished once,
with every file once, however often the process dies on the way.

The sender holds the report (a lease), records each step as *in flight* before sending it
and its answer before the next step, and so on a restart knows exactly what it does not
know:

- a **submission** whose answer was lost is sent again. The destination may now hold an
  unfinished copy; it is never finished, and NCMEC deletes unfinished reports within a day.
  Only a finished report counts, and only one is ever finished.
- an **upload** whose answer was lost may or may not have reached the destination, which
  would then hold that file twice. The report is withdrawn there and sent again from the
  submission, so the report finished holds every file exactly once.
- **file details** are sent again (they replace what was sent).
- a **finish** is sent again; "already finished" (NCMEC's 5102) confirms it, with the file
  ids the uploads' answers gave.

Errors: a destination that is unreachable or failing on its side (`SinkUnavailable`) is tried
again later, backing off (a minute, doubling to an hour, with jitter), the time kept in the
database so a restart honours it. Refused credentials (`SinkAuthError`), a document or file
refused as invalid (`SinkRejected`, `ReportInvalid`) and evidence gone from the vault fail
the report with the reason, for a person to fix; what was opened at the destination is
withdrawn first, so nothing is left half-sent. A destination that no longer knows the report
(`RemoteReportGone`: it expired) gets it again from the submission.

Once finished, `on_finished` runs (preservation, banks); it is recorded when it has run, and
run again after a crash until it is.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bastion.errors import BastionError, ConflictError, NotFoundError, StorageError, first_line
from bastion.reporting.model import FileState, Report, ReportStatus
from bastion.reporting.sink import (
    FileMismatch,
    RemoteReportFinished,
    RemoteReportGone,
    RemoteReportRetracted,
    ReportInvalid,
    ReportSink,
    SinkAuthError,
    SinkError,
    SinkRejected,
    SinkUnavailable,
)
from bastion.reporting.store import DEFAULT_LEASE, ReportStore
from bastion.store.models import utcnow

log = logging.getLogger("bastion.reporting")

#: How often one `advance` starts a report again from its submission before leaving it
#: for the next round.
MAX_RESTARTS = 2


class Evidence(Protocol):
    """Where a report's files are read from (the evidence vault)."""

    def open(self, evidence_id: str) -> bytes: ...


class Sinks(Protocol):
    """The destinations by name (built when asked: credentials may change)."""

    def __getitem__(self, name: str) -> ReportSink: ...


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    #: A share of each wait, added or taken at random, so that senders do not beat in step.
    jitter: float = 0.2

    def after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure in a row (1 for the first)."""
        wait = min(self.cap, self.first * (2 ** max(0, attempts - 1)))
        spread = wait.total_seconds() * self.jitter
        jittered: timedelta = wait + timedelta(seconds=random.uniform(-spread, spread))
        return jittered


class _Restart(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Settled(Exception):
    """The report's fate was settled while resuming (retracted, or found finished)."""

    def __init__(self, report: Report) -> None:
        self.report = report


class Filing:
    def __init__(
        self,
        store: ReportStore,
        sinks: Sinks,
        evidence: Evidence,
        *,
        on_finished: Callable[[Report], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        backoff: Backoff | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.store = store
        self._sinks = sinks
        self._evidence = evidence
        self._on_finished = on_finished
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._lease = lease

    def run_due(self, worker: str, limit: int = 20) -> int:
        """Advance every report due now (that no other sender holds); how many."""
        advanced = 0
        for report_id in self.store.due(self._clock(), limit):
            try:
                if self._advance(report_id, worker) is not None:
                    advanced += 1
            except Exception:  # one report's trouble must not hold up the others
                log.exception("report %s: sending failed", report_id)
        return advanced

    def advance(self, report_id: int, worker: str) -> Report:
        """Take one report as far as it goes now; the report as it stands after."""
        advanced = self._advance(report_id, worker)
        if advanced is None:
            raise ConflictError(f"report {report_id} is being sent by another process")
        return advanced

    def _advance(self, report_id: int, worker: str) -> Report | None:
        report = self.store.claim(report_id, worker, self._lease)
        if report is None:
            return None
        try:
            for restarts in range(MAX_RESTARTS + 1):
                try:
                    report = self._steps(report, worker)
                    break
                except _Restart as restart:
                    report = self.store.record_restart(report.id, worker, restart.reason)
                    if restarts == MAX_RESTARTS:  # not this round: later, backing off
                        retry_at = self._clock() + self._backoff.after(report.attempts + 1)
                        report = self.store.record_failure(
                            report.id, worker, "restart", restart.reason, "restarted",
                            retry_at=retry_at,
                        )  # fmt: skip
                except ConflictError:
                    raise  # another sender holds it now: it goes on from what is recorded
                except Exception as e:  # a destination's bug: tried again later, not in a loop
                    log.exception("report %s: unexpected error", report_id)
                    report = self._retry(report, worker, "send", e)
                    break
            if report.status is ReportStatus.FINISHED:
                report = self._after(report, worker)
            return report
        finally:
            self.store.release(report_id, worker)

    # The steps -------------------------------------------------------------------------

    def _steps(self, report: Report, worker: str) -> Report:
        if not report.status.sending:
            return report
        try:
            sink = self._sinks[report.sink]
        except SinkError as e:
            return self._failed(report, worker, "send", e)
        except NotFoundError as e:
            return self._fail(report, worker, "send", e.message, "unknown-destination")
        step = ""
        try:
            report = self._resume(sink, report, worker)
            if report.status is ReportStatus.QUEUED:
                step = "submit"
                self.store.begin_step(report.id, worker, step, lease=self._lease)
                remote_id = sink.open(report)
                report = self.store.record_submitted(report.id, worker, remote_id)
            remote_id = _remote(report)
            for file in report.files:
                if file.state is not FileState.PENDING:
                    continue
                step = f"upload:{file.id}"
                data = self._read(report, file.evidence_id, file.file_name)
                self.store.begin_step(report.id, worker, step, lease=self._lease)
                attached = sink.attach(report, remote_id, file, data)
                ours = hashlib.md5(data, usedforsecurity=False).hexdigest()
                if attached.md5 is not None and attached.md5.lower() != ours:
                    raise _Restart(
                        f"file {file.id}: the destination received MD5 {attached.md5}, "
                        f"not {ours}: sent again"
                    )
                report = self.store.record_uploaded(
                    report.id, worker, file.id, attached.file_id, attached.md5
                )
            for file in report.files:
                if file.state is not FileState.UPLOADED:
                    continue
                step = f"fileinfo:{file.id}"
                self.store.begin_step(report.id, worker, step, lease=self._lease)
                sink.describe(report, remote_id, file)
                report = self.store.record_described(report.id, worker, file.id)
            step = "finish"
            self.store.begin_step(report.id, worker, step, lease=self._lease)
            try:
                file_ids = sink.close(report, remote_id)
            except RemoteReportFinished:  # a finish whose answer was lost
                file_ids = tuple(f.remote_id for f in report.files if f.remote_id)
            return self.store.record_finished(report.id, worker, file_ids)
        except _Settled as done:
            return done.report
        except FileMismatch as e:  # damaged on the way: withdrawn and sent again whole
            self._withdraw(sink, report, worker)
            raise _Restart(e.message) from None
        except _Restart as restart:
            self._withdraw(sink, report, worker)
            raise restart
        except RemoteReportGone as e:
            raise _Restart(f"the destination no longer holds the report ({e.message})") from None
        except SinkUnavailable as e:
            return self._retry(report, worker, step or "send", e)
        except (SinkAuthError, SinkRejected, RemoteReportRetracted, ReportInvalid) as e:
            if not isinstance(e, SinkAuthError):
                self._withdraw(sink, report, worker)
            return self._failed(report, worker, step or "send", e)
        except _Unreadable as e:
            self._withdraw(sink, report, worker)
            return self._fail(report, worker, step, e.message, "evidence-unreadable")
        except RemoteReportFinished as e:  # finished there, and yet a step was still to take
            message = (
                f"the destination holds report {report.remote_id} finished already, though "
                f"{step or 'a step'} was still to be confirmed: ask it what it holds "
                f"({e.message})"
            )
            return self._fail(report, worker, step or "send", message, e.code)

    def _resume(self, sink: ReportSink, report: Report, worker: str) -> Report:
        """Settle a step that was sent but not confirmed when the last sender stopped."""
        in_flight = self.store.in_flight(report.id)
        if in_flight is None:
            return report
        if in_flight == "retract":  # a person's retraction, cut short
            try:
                sink.withdraw(_remote(report))
            except (RemoteReportGone, RemoteReportRetracted):
                pass
            except RemoteReportFinished:  # its finish had gone through: it stands finished
                raise _Settled(self._found_finished(report, worker)) from None
            raise _Settled(self.store.record_retracted(report.id, worker, remote=True))
        if in_flight.startswith("upload:"):
            raise _Restart(f"the answer to {in_flight} was lost: it may have arrived")
        self.store.note(report.id, worker, "resume", "ok", in_flight=in_flight)
        return report

    def _read(self, report: Report, evidence_id: str, name: str) -> bytes:
        try:
            return self._evidence.open(evidence_id)
        except (NotFoundError, StorageError) as e:
            raise _Unreadable(
                f"file {name!r} cannot be read from the evidence vault: {e.message}"
            ) from None

    def _withdraw(self, sink: ReportSink, report: Report, worker: str) -> None:
        """Withdraw what the destination holds of `report`, if anything (best effort: an
        unfinished report it holds expires there anyway)."""
        current = self.store.get(report.id)
        if current.remote_id is None:
            return
        try:
            sink.withdraw(current.remote_id)
            outcome = "ok"
        except (RemoteReportGone, RemoteReportRetracted):
            outcome = "ok"
        except SinkError as e:
            outcome = "error"
            log.warning("report %s: withdrawing %s failed: %s", report.id, current.remote_id, e)
        self.store.note(report.id, worker, "withdraw", outcome, remote_id=current.remote_id)

    # Outcomes --------------------------------------------------------------------------

    def _retry(self, report: Report, worker: str, step: str, error: Exception) -> Report:
        current = self.store.get(report.id)
        retry_at = self._clock() + self._backoff.after(current.attempts + 1)
        if isinstance(error, BastionError):
            message, code = error.message, error.code
        else:
            message, code = f"unexpected error: {first_line(error)}", "report-internal"
        log.info("report %s: %s: %s; again at %s", report.id, step, message, retry_at)
        return self.store.record_failure(
            report.id, worker, step, message, code, retry_at=retry_at, keep_in_flight=True
        )

    def _found_finished(self, report: Report, worker: str) -> Report:
        """The destination says the report is finished (its finish had gone through, the
        answer lost): it is recorded so, with the file ids of the uploads' answers, and what
        follows a report runs."""
        self.store.note(report.id, worker, "finish", "ok", found="already finished")
        file_ids = tuple(f.remote_id for f in report.files if f.remote_id)
        return self.store.record_finished(report.id, worker, file_ids)

    def _failed(self, report: Report, worker: str, step: str, error: BastionError) -> Report:
        if isinstance(error, SinkAuthError):
            # Nothing was withdrawn: what the destination holds stays ours, with the step
            # that was in flight (a finish, perhaps), so that sending again resumes there
            # and never opens a second report beside one that may be finished.
            message = f"{error.message} (set the credentials again, then send the report again)"
            log.warning("report %s failed at %s: %s", report.id, step, message)
            return self.store.record_failure(
                report.id, worker, step, message, error.code, retry_at=None, keep_remote=True
            )
        return self._fail(report, worker, step, error.message, error.code)

    def _fail(self, report: Report, worker: str, step: str, message: str, code: str) -> Report:
        log.warning("report %s failed at %s: %s", report.id, step, message)
        return self.store.record_failure(report.id, worker, step, message, code, retry_at=None)

    def _after(self, report: Report, worker: str) -> Report:
        """What follows a finished report, once."""
        if self._on_finished is None:
            return self.store.record_after_done(report.id, worker)
        try:
            self._on_finished(report)
        except Exception as e:  # a full disk as much as a bank refusing: tried again later
            if not isinstance(e, BastionError):
                log.exception("report %s: what follows it failed", report.id)
            message = e.message if isinstance(e, BastionError) else first_line(e)
            code = e.code if isinstance(e, BastionError) else "report-internal"
            retry_at = self._clock() + self._backoff.after(report.attempts + 1)
            return self.store.record_failure(
                report.id, worker, "after", f"after the report: {message}", code,
                retry_at=retry_at,
            )  # fmt: skip
        return self.store.record_after_done(report.id, worker)

    # A person's retraction -------------------------------------------------------------

    def retract(self, report_id: int, actor: str) -> Report:
        """Withdraw a report that is not finished (at the destination too, when it holds
        it)."""
        report = self.store.claim(report_id, actor, self._lease)
        if report is None:
            raise ConflictError(f"report {report_id} is being sent right now: try again shortly")
        try:
            if report.status in (ReportStatus.FINISHED, ReportStatus.RETRACTED):
                raise ConflictError(
                    f"report {report_id} is {report.status}: it cannot be retracted"
                )
            remote = report.remote_id is not None
            if remote:
                sink = self._sinks[report.sink]
                self.store.begin_step(report.id, actor, "retract", lease=self._lease)
                try:
                    sink.withdraw(_remote(report))
                except (RemoteReportGone, RemoteReportRetracted):
                    pass
                except RemoteReportFinished:  # a finish whose answer was lost went through
                    self._found_finished(report, actor)
                    raise ConflictError(
                        f"report {report_id} was already finished at the destination"
                    ) from None
            return self.store.record_retracted(report_id, actor, remote=remote)
        finally:
            self.store.release(report_id, actor)


class _Unreadable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _remote(report: Report) -> str:
    if report.remote_id is None:
        raise ConflictError(f"report {report.id} has no id at its destination yet")
    return report.remote_id
