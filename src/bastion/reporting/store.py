"""`ReportStore`: reports, their files and their history, in the database.

Each change is one short transaction that writes the report's new state and an event
together, so the history never disagrees with the state. What a person changes (a draft's
text, its files) is allowed only while the report is editable; what the sender records
(`begin_step`, `record_*`) is a compare-and-set on the report's status and on the lease the
sender holds, so two workers never advance one report and a step confirmed once is never
confirmed again.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.reporting.model import (
    FileState,
    Incident,
    IpCapture,
    Report,
    ReportedPerson,
    Reporter,
    ReportStatus,
)
from bastion.reporting.rows import (
    capture_json,
    incident_from,
    incident_json,
    person_from,
    person_json,
    plain,
    report_file,
)
from bastion.review import Classification, classification
from bastion.store.database import Database
from bastion.store.models import ReportEventRow, ReportFileRow, ReportRow, utcnow

#: What a report's sender holds it for from each step it begins: longer than any one step
#: may take (the CyberTipline client gives an upload ten minutes), so that no other sender
#: takes the report on while an answer may still come.
DEFAULT_LEASE = timedelta(minutes=15)
#: The fields of a file a person may change while the report is editable.
_FILE_FIELDS = frozenset(
    {
        "classification", "viewed_by_esp", "exif_viewed_by_esp", "publicly_available",
        "uploaded_at", "location", "ip_capture", "file_name", "original_name",
    }
)  # fmt: skip


@dataclass(frozen=True)
class NewFile:
    evidence_id: str
    file_name: str
    content_id: int | None = None
    classification: Classification | None = None
    viewed_by_esp: bool = False
    exif_viewed_by_esp: bool = False
    publicly_available: bool = False
    original_hashes: dict[str, str] = field(default_factory=dict)
    uploaded_at: datetime | None = None
    location: str | None = None
    ip_capture: IpCapture | None = None
    original_name: str | None = None


@dataclass(frozen=True)
class NewReport:
    sink: str
    incident: Incident
    case_id: int | None = None
    job_ids: tuple[int, ...] = ()
    reporter: Reporter | None = None
    person: ReportedPerson | None = None
    files: tuple[NewFile, ...] = ()


@dataclass(frozen=True)
class ReportEvent:
    id: int
    report_id: int
    at: datetime
    actor: str
    step: str
    outcome: str
    detail: dict[str, Any]


class ReportStore:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self._clock = clock

    # Reading ---------------------------------------------------------------------------

    def get(self, report_id: int) -> Report:
        with self.db.session() as s:
            return _report(s, _row(s, report_id))

    def list(
        self,
        *,
        status: ReportStatus | None = None,
        case_id: int | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> builtins.list[Report]:
        """Reports, newest first; `before` an id, to page back."""
        if not 1 <= limit <= 1000:
            raise ValidationError("limit must be 1-1000")
        query = select(ReportRow).order_by(ReportRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(ReportRow.status == status.value)
        if case_id is not None:
            query = query.where(ReportRow.case_id == case_id)
        if before is not None:
            query = query.where(ReportRow.id < before)
        with self.db.session() as s:
            return [_report(s, row) for row in s.scalars(query)]

    def finished_between(
        self, start: datetime, end: datetime
    ) -> builtins.list[tuple[dict[str, Any], datetime | None, builtins.list[int]]]:
        """Of each report finished in [start, end): its incident, when it was submitted and
        its jobs (what the transparency report counts; no person, no file)."""
        query = select(ReportRow.incident, ReportRow.submitted_at, ReportRow.job_ids).where(
            ReportRow.status == ReportStatus.FINISHED.value,
            ReportRow.finished_at >= start,
            ReportRow.finished_at < end,
        )
        with self.db.session() as s:
            return [(dict(i), at, builtins.list(j or ())) for i, at, j in s.execute(query)]

    def in_flight(self, report_id: int) -> str | None:
        """The step sent for the report and not yet confirmed, if any."""
        with self.db.session() as s:
            return _row(s, report_id).step_in_flight

    def events(self, report_id: int) -> builtins.list[ReportEvent]:
        """A report's history, oldest first."""
        with self.db.session() as s:
            _row(s, report_id)
            rows = s.scalars(
                select(ReportEventRow)
                .where(ReportEventRow.report_id == report_id)
                .order_by(ReportEventRow.id)
            )
            return [
                ReportEvent(r.id, r.report_id, r.at, r.actor, r.step, r.outcome, dict(r.detail))
                for r in rows
            ]

    # What people do --------------------------------------------------------------------

    def create(self, new: NewReport, actor: str) -> Report:
        now = self._clock()
        with self.db.session() as s:
            row = ReportRow(
                sink=new.sink,
                case_id=new.case_id,
                job_ids=list(new.job_ids),
                status=ReportStatus.DRAFT.value,
                incident=incident_json(new.incident),
                reporter=None if new.reporter is None else plain(new.reporter),
                person=None if new.person is None else person_json(new.person),
                extra={},
                attempts=0,
                after_done=False,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            for file in new.files:
                s.add(_file_row(row.id, file))
            _event(s, row.id, now, actor, "draft", "ok", jobs=list(new.job_ids))
            s.flush()
            return _report(s, row)

    def update(
        self,
        report_id: int,
        actor: str,
        *,
        incident: Incident | None = None,
        reporter: Reporter | None = None,
        person: ReportedPerson | None = None,
        job_ids: Iterable[int] | None = None,
        clear_person: bool = False,
    ) -> Report:
        """Change an editable report (a draft, one awaiting approval, or a failed one).
        A report awaiting approval goes back to draft: what was approved has changed."""
        now = self._clock()
        with self.db.session() as s:
            row = _editable(s, report_id)
            changed = []
            if incident is not None:
                row.incident = incident_json(incident)
                changed.append("incident")
            if reporter is not None:
                row.reporter = plain(reporter)
                changed.append("reporter")
            if person is not None or clear_person:
                row.person = None if person is None else person_json(person)
                changed.append("person")
            if job_ids is not None:
                row.job_ids = sorted(set(job_ids))
                changed.append("jobs")
            if changed:
                _edited(s, row, now, actor, changed)
            return _report(s, row)

    def update_extra(self, report_id: int, values: dict[str, Any]) -> Report:
        """Merge `values` into what the report keeps besides its document (any status)."""
        with self.db.session() as s:
            row = _row(s, report_id, lock=True)
            row.extra = {**(row.extra or {}), **values}
            return _report(s, row)

    def add_file(self, report_id: int, file: NewFile, actor: str) -> Report:
        now = self._clock()
        with self.db.session() as s:
            row = _editable(s, report_id)
            s.add(_file_row(row.id, file))
            _edited(s, row, now, actor, ["files"], added=file.evidence_id)
            s.flush()
            return _report(s, row)

    def update_file(self, report_id: int, file_id: int, actor: str, **changes: Any) -> Report:
        unknown = sorted(set(changes) - _FILE_FIELDS)
        if unknown:
            raise ValidationError(f"a report's file has no field {unknown[0]!r} to change")
        now = self._clock()
        with self.db.session() as s:
            row = _editable(s, report_id)
            file = _file(s, report_id, file_id)
            for name, value in changes.items():
                if name == "classification":
                    chosen = None if value is None else classification(str(value))
                    value = None if chosen is None else chosen.value
                elif name == "ip_capture":
                    value = None if value is None else capture_json(value)
                setattr(file, name, value)
            _edited(s, row, now, actor, ["files"], file=file_id, fields=sorted(changes))
            return _report(s, row)

    def remove_file(self, report_id: int, file_id: int, actor: str) -> Report:
        now = self._clock()
        with self.db.session() as s:
            row = _editable(s, report_id)
            s.delete(_file(s, report_id, file_id))
            _edited(s, row, now, actor, ["files"], removed=file_id)
            s.flush()
            return _report(s, row)

    def request(self, report_id: int, actor: str, *, approval_required: bool) -> Report:
        """Ask to send: queued, or awaiting approval when the organisation requires one."""
        now = self._clock()
        with self.db.session() as s:
            row = _row(s, report_id, lock=True)
            if ReportStatus(row.status) not in (ReportStatus.DRAFT, ReportStatus.FAILED):
                raise ConflictError(f"report {report_id} is {row.status}: it cannot be sent now")
            row.requested_by = actor
            row.approved_by = None
            if row.remote_id is not None:  # failed half-way: resume where it stopped
                row.status = _progress(_files(s, report_id)).value
                row.next_attempt_at = now
                row.attempts = 0
            elif approval_required:
                row.status = ReportStatus.AWAITING_APPROVAL.value
            else:
                _queue(row, now)
            row.error = row.error_code = None
            row.updated_at = now
            _event(s, row.id, now, actor, "request", row.status)
            return _report(s, row)

    def approve(self, report_id: int, actor: str) -> Report:
        """Approve a report someone else asked to send (four eyes): it is queued."""
        now = self._clock()
        with self.db.session() as s:
            row = _row(s, report_id, lock=True)
            if row.status != ReportStatus.AWAITING_APPROVAL.value:
                raise ConflictError(f"report {report_id} is {row.status}, not awaiting approval")
            if actor == row.requested_by:
                raise ConflictError(
                    "the person who asked to send a report cannot approve it: another lead "
                    "or admin must"
                )
            row.approved_by = actor
            _queue(row, now)
            row.updated_at = now
            _event(s, row.id, now, actor, "approve", "ok")
            return _report(s, row)

    # What the sender records -----------------------------------------------------------

    def due(self, now: datetime, limit: int = 20) -> builtins.list[int]:
        """Reports the sender has steps to take for, due now and not held by a sender;
        finished reports whose after-report work has not run yet too."""
        sending = [s.value for s in ReportStatus if s.sending]
        with self.db.session() as s:
            rows = s.scalars(
                select(ReportRow.id)
                .where(
                    or_(
                        and_(
                            ReportRow.status.in_(sending),
                            or_(
                                ReportRow.next_attempt_at.is_(None),
                                ReportRow.next_attempt_at <= now,
                            ),
                        ),
                        and_(
                            ReportRow.status == ReportStatus.FINISHED.value,
                            ReportRow.after_done.is_(False),
                            or_(
                                ReportRow.next_attempt_at.is_(None),
                                ReportRow.next_attempt_at <= now,
                            ),
                        ),
                    ),
                    or_(ReportRow.claimed_until.is_(None), ReportRow.claimed_until <= now),
                )
                .order_by(ReportRow.next_attempt_at, ReportRow.id)
                .limit(limit)
            )
            return builtins.list(rows)

    def claim(self, report_id: int, worker: str, lease: timedelta = DEFAULT_LEASE) -> Report | None:
        """Hold a report to take its steps (a compare-and-set); None when another holds it."""
        now = self._clock()
        with self.db.session() as s:
            taken = s.execute(
                update(ReportRow)
                .where(
                    ReportRow.id == report_id,
                    or_(
                        ReportRow.claimed_until.is_(None),
                        ReportRow.claimed_until <= now,
                        ReportRow.claimed_by == worker,
                    ),
                )
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                _row(s, report_id)  # an unknown id is NotFoundError
                return None
            return _report(s, _row(s, report_id))

    def release(self, report_id: int, worker: str) -> None:
        with self.db.session() as s:
            s.execute(
                update(ReportRow)
                .where(ReportRow.id == report_id, ReportRow.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    def begin_step(
        self, report_id: int, worker: str, step: str, *, lease: timedelta | None = None
    ) -> None:
        """Record that `step` is about to be sent (before it is): one conditional update
        and its event, the report not read back. `lease` renews the sender's hold for as
        long as the step may take."""
        now = self._clock()
        values: dict[str, Any] = {"step_in_flight": step, "updated_at": now}
        if lease is not None:
            values["claimed_until"] = now + lease
        with self.db.session() as s:
            marked = s.execute(
                update(ReportRow)
                .where(ReportRow.id == report_id, ReportRow.claimed_by == worker)
                .values(**values)
            )
            if not marked.rowcount:  # type: ignore[attr-defined]
                _held_row(s, report_id, worker)  # says who holds it (or that none does)
            _event(s, report_id, now, worker, step, "sent")

    def record_submitted(self, report_id: int, worker: str, remote_id: str) -> Report:
        now = self._clock()
        return self._held(
            report_id, worker, "submit", "ok", remote_id=remote_id,
            status=ReportStatus.SUBMITTED.value, submitted_at=now, step_in_flight=None,
            detail={"remote_id": remote_id},
        )  # fmt: skip

    def record_uploaded(
        self, report_id: int, worker: str, file_id: int, remote_file_id: str, md5: str | None
    ) -> Report:
        with self.db.session() as s:
            file = _file(s, report_id, file_id)
            file.state = FileState.UPLOADED.value
            file.remote_id = remote_file_id
            file.remote_md5 = md5
            row = _held_row(s, report_id, worker)
            pending = [f for f in _files(s, report_id) if f.state == FileState.PENDING.value]
            if not pending:
                row.status = ReportStatus.FILES_UPLOADED.value
            row.step_in_flight = None
            row.updated_at = self._clock()
            _event(s, report_id, row.updated_at, worker, "upload", "ok", file=file_id,
                   remote_file_id=remote_file_id, md5=md5)  # fmt: skip
            return _report(s, row)

    def record_described(self, report_id: int, worker: str, file_id: int) -> Report:
        with self.db.session() as s:
            file = _file(s, report_id, file_id)
            file.state = FileState.DESCRIBED.value
            row = _held_row(s, report_id, worker)
            undescribed = [f for f in _files(s, report_id) if f.state != FileState.DESCRIBED.value]
            if not undescribed and row.status == ReportStatus.FILES_UPLOADED.value:
                row.status = ReportStatus.DETAILS_SENT.value
            row.step_in_flight = None
            row.updated_at = self._clock()
            _event(s, report_id, row.updated_at, worker, "fileinfo", "ok", file=file_id)
            return _report(s, row)

    def record_finished(self, report_id: int, worker: str, file_ids: Iterable[str]) -> Report:
        now = self._clock()
        return self._held(
            report_id, worker, "finish", "ok", status=ReportStatus.FINISHED.value,
            finished_at=now, step_in_flight=None, error=None, error_code=None,
            next_attempt_at=None, detail={"files": builtins.list(file_ids)},
        )  # fmt: skip

    def record_after_done(self, report_id: int, worker: str) -> Report:
        return self._held(
            report_id, worker, "after", "ok", after_done=True, error=None, error_code=None,
            next_attempt_at=None,
        )  # fmt: skip

    def record_restart(self, report_id: int, worker: str, reason: str) -> Report:
        """Start the sending again from the submission: the destination's copy is gone
        (withdrawn, expired, or holding a file of unknown state)."""
        with self.db.session() as s:
            row = _held_row(s, report_id, worker)
            for file in _files(s, report_id):
                file.state = FileState.PENDING.value
                file.remote_id = file.remote_md5 = None
            row.status = ReportStatus.QUEUED.value
            row.remote_id = None
            row.submitted_at = None
            row.step_in_flight = None
            row.updated_at = self._clock()
            _event(s, report_id, row.updated_at, worker, "restart", "retry", reason=reason)
            return _report(s, row)

    def record_failure(
        self,
        report_id: int,
        worker: str,
        step: str,
        error: str,
        code: str,
        *,
        retry_at: datetime | None,
        keep_in_flight: bool = False,
        keep_remote: bool = False,
    ) -> Report:
        """An error at `step`: tried again at `retry_at`, or `failed` for a person to fix.
        A failed report forgets what the destination held of it (withdrawn) unless
        `keep_remote`: then it keeps the report's id there, its files' receipts and the step
        in flight, and sending it again resumes there."""
        with self.db.session() as s:
            row = _held_row(s, report_id, worker)
            row.error = error[:4000]
            row.error_code = code
            row.attempts += 1
            if not keep_in_flight and not keep_remote:
                row.step_in_flight = None
            if retry_at is None and keep_remote and row.status != ReportStatus.FINISHED.value:
                row.status = ReportStatus.FAILED.value
                row.next_attempt_at = None
            elif retry_at is None and row.status != ReportStatus.FINISHED.value:
                row.status = ReportStatus.FAILED.value
                row.next_attempt_at = None
                row.remote_id = None
                row.submitted_at = None
                for file in _files(s, report_id):
                    file.state = FileState.PENDING.value
                    file.remote_id = file.remote_md5 = None
            else:
                row.next_attempt_at = retry_at
            row.updated_at = self._clock()
            outcome = "failed" if retry_at is None else "retry"
            again = None if retry_at is None else retry_at.isoformat()
            _event(s, report_id, row.updated_at, worker, step, outcome, error=error[:1000],
                   code=code, retry_at=again)  # fmt: skip
            return _report(s, row)

    def record_retracted(self, report_id: int, actor: str, *, remote: bool) -> Report:
        now = self._clock()
        with self.db.session() as s:
            row = _row(s, report_id, lock=True)
            if ReportStatus(row.status) in (ReportStatus.FINISHED, ReportStatus.RETRACTED):
                raise ConflictError(f"report {report_id} is {row.status}: it cannot be retracted")
            row.status = ReportStatus.RETRACTED.value
            row.step_in_flight = None
            row.next_attempt_at = None
            row.claimed_by = row.claimed_until = None
            row.updated_at = now
            _event(s, report_id, now, actor, "retract", "ok", at_destination=remote)
            return _report(s, row)

    def note(self, report_id: int, actor: str, step: str, outcome: str, **detail: Any) -> None:
        """Add an event to a report's history."""
        with self.db.session() as s:
            _row(s, report_id)
            _event(s, report_id, self._clock(), actor, step, outcome, **detail)

    def _held(
        self, report_id: int, worker: str, step: str, outcome: str, *,
        detail: dict[str, Any] | None = None, **values: Any,
    ) -> Report:  # fmt: skip
        with self.db.session() as s:
            row = _held_row(s, report_id, worker)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self._clock()
            _event(s, report_id, row.updated_at, worker, step, outcome, **(detail or {}))
            return _report(s, row)


# Rows and values ---------------------------------------------------------------------


def _row(s: Session, report_id: int, *, lock: bool = False) -> ReportRow:
    query = select(ReportRow).where(ReportRow.id == report_id)
    if lock:
        query = query.with_for_update()
    row = s.scalars(query).first()
    if row is None:
        raise NotFoundError(f"no report {report_id}")
    return row


def _held_row(s: Session, report_id: int, worker: str) -> ReportRow:
    row = _row(s, report_id, lock=True)
    if row.claimed_by != worker:
        raise ConflictError(f"report {report_id} is held by another sender ({row.claimed_by})")
    return row


def _editable(s: Session, report_id: int) -> ReportRow:
    row = _row(s, report_id, lock=True)
    if not ReportStatus(row.status).editable:
        raise ConflictError(
            f"report {report_id} is {row.status.replace('_', ' ')}: it can no longer be changed"
        )
    if row.remote_id is not None:
        raise ConflictError(
            f"report {report_id} is held unfinished by its destination ({row.remote_id}): "
            "send it again to finish it, or retract it; it cannot be changed"
        )
    return row


def _progress(files: builtins.list[ReportFileRow]) -> ReportStatus:
    """Where a report its destination holds stands, from its files."""
    states = {FileState(f.state) for f in files}
    if FileState.PENDING in states:
        return ReportStatus.SUBMITTED
    if FileState.UPLOADED in states:
        return ReportStatus.FILES_UPLOADED
    return ReportStatus.DETAILS_SENT


def _edited(s: Session, row: ReportRow, now: datetime, actor: str, changed: list[str],
            **detail: Any) -> None:  # fmt: skip
    if row.status == ReportStatus.AWAITING_APPROVAL.value:
        row.status = ReportStatus.DRAFT.value  # what was to be approved has changed
    row.updated_at = now
    _event(s, row.id, now, actor, "edit", "ok", changed=changed, **detail)


def _queue(row: ReportRow, now: datetime) -> None:
    row.status = ReportStatus.QUEUED.value
    row.next_attempt_at = now
    row.attempts = 0
    row.after_done = False


def _files(s: Session, report_id: int) -> builtins.list[ReportFileRow]:
    return builtins.list(
        s.scalars(
            select(ReportFileRow)
            .where(ReportFileRow.report_id == report_id)
            .order_by(ReportFileRow.id)
        )
    )


def _file(s: Session, report_id: int, file_id: int) -> ReportFileRow:
    found = s.get(ReportFileRow, file_id)
    if found is None or found.report_id != report_id:
        raise NotFoundError(f"report {report_id} has no file {file_id}")
    return found


def _event(s: Session, report_id: int, at: datetime, actor: str, step: str, outcome: str,
           **detail: Any) -> None:  # fmt: skip
    s.add(ReportEventRow(report_id=report_id, at=at, actor=actor[:200], step=step,
                         outcome=outcome, detail=detail))  # fmt: skip


def _file_row(report_id: int, file: NewFile) -> ReportFileRow:
    return ReportFileRow(
        report_id=report_id,
        evidence_id=file.evidence_id,
        file_name=file.file_name[:255],
        content_id=file.content_id,
        classification=None if file.classification is None else file.classification.value,
        viewed_by_esp=file.viewed_by_esp,
        exif_viewed_by_esp=file.exif_viewed_by_esp,
        publicly_available=file.publicly_available,
        original_hashes=dict(file.original_hashes),
        uploaded_at=file.uploaded_at,
        location=file.location,
        ip_capture=None if file.ip_capture is None else capture_json(file.ip_capture),
        state=FileState.PENDING.value,
        original_name=file.original_name,
    )


def _report(s: Session, row: ReportRow) -> Report:
    return Report(
        id=row.id,
        sink=row.sink,
        case_id=row.case_id,
        job_ids=tuple(row.job_ids or ()),
        status=ReportStatus(row.status),
        incident=incident_from(row.incident),
        reporter=None if row.reporter is None else Reporter(**row.reporter),
        person=None if row.person is None else person_from(row.person),
        files=tuple(report_file(f) for f in _files(s, row.id)),
        remote_id=row.remote_id,
        error=row.error,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_by=row.created_by,
        approved_by=row.approved_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        finished_at=row.finished_at,
        extra=dict(row.extra or {}),
    )
