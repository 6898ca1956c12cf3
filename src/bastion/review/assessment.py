"""Each job's level: what is known about its content and its user, weighed by the triage
policy (`bastion.triage.policy`), in the transaction that opens or updates the job.

A job's findings are of three sorts:
- its own: a match job's bank match, a conversation job's alert, an escalation;
- the content's: what classifiers, outside matchers and near misses found about its media
  (`triage_findings` rows, by the media's SHA-256);
- its user's, counted afresh at each assessment: jobs about the user confirmed before,
  conversation alerts naming the user, reports of the same content.

The assessment (the level, the rules that set it and every finding weighed) is kept on the
job, its priority set to the level's (unless the platform chose one when it submitted the
job), so that `bastion triage evaluate` can count how often each finding led to a confirmed
decision. A job is assessed again when its content gains findings (a classifier that finished
after the match answer) or its user's history changes (a confirmation in the same case).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.review.model import Decision, JobKind, JobStatus
from bastion.store.models import CaseRow, JobRow, TriageFindingRow
from bastion.triage.findings import Finding, FindingKind
from bastion.triage.policy import Assessment, Policy

#: Findings counted afresh from the database at each assessment.
_COUNTED = frozenset(
    {FindingKind.CONFIRMED_BEFORE, FindingKind.CONVERSATION_ALERT, FindingKind.USER_REPORT}
)
_CONFIRMED = (Decision.CONFIRMED.value, Decision.REPORTED.value)


class Assessor:
    """Assesses jobs with one policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def assess_in(
        self,
        s: Session,
        row: JobRow,
        given: Sequence[Finding] = (),
        *,
        fixed: int | None = None,
    ) -> Assessment:
        """Assess the job `row` (flushed) with its own findings, `given` ones (an opener's),
        its content's and its user's; set its priority to the level's (or to `fixed`, a
        priority the platform chose when it submitted the job, kept through later
        assessments) and keep the assessment."""
        kept = [] if row.triage is None else _kept(row.triage)
        if fixed is None and row.triage is not None:
            fixed = row.triage.get("fixed")
        findings = _unique([*_own(row), *kept, *given, *_of_media(s, row), *_of_user(s, row)])
        assessment = self.policy.assess(findings)
        priority = assessment.level.priority if fixed is None else fixed
        row.priority = priority
        row.urgency = 100 - priority
        row.triage = {
            **assessment.to_json(),
            "findings": [f.to_json() for f in findings],
            **({"fixed": fixed} if fixed is not None else {}),
        }
        return assessment

    def reassess_open_in(
        self,
        s: Session,
        *,
        media_sha256: str | None = None,
        case_id: int | None = None,
        given: Sequence[Finding] = (),
    ) -> list[JobRow]:
        """Assess again the open jobs over `media_sha256` (with `given` findings about it) or
        in the case `case_id`; returns them."""
        query = select(JobRow).where(JobRow.status == JobStatus.OPEN.value)
        if media_sha256 is not None:
            query = query.where(JobRow.media_sha256 == media_sha256)
        elif case_id is not None:
            query = query.where(JobRow.case_id == case_id)
        else:
            return []
        rows = list(s.scalars(query.order_by(JobRow.id)))
        for row in rows:
            self.assess_in(s, row, given)
        return rows


def findings_of(triage: dict[str, Any] | None) -> list[Finding]:
    """The findings an assessment kept on a job weighed."""
    if not triage:
        return []
    return [Finding.from_json(f) for f in triage.get("findings", [])]


def _kept(triage: dict[str, Any]) -> list[Finding]:
    """What an earlier assessment weighed, less what is counted afresh."""
    return [f for f in findings_of(triage) if f.kind not in _COUNTED]


def _own(row: JobRow) -> list[Finding]:
    kind = JobKind(row.kind)
    if kind is JobKind.MATCH and row.bank is not None:
        detail = {"entry_id": row.entry_id, "signal_type": row.signal_type}
        return [Finding(FindingKind.BANK_MATCH, row.bank, "", float(row.distance or 0), detail)]
    if kind is JobKind.ESCALATION:
        return [Finding(FindingKind.ESCALATION)]
    return []


def _of_media(s: Session, row: JobRow) -> list[Finding]:
    """What triage found about the job's media, not yet tied to a job."""
    if row.media_sha256 is None:
        return []
    found = s.scalars(
        select(TriageFindingRow)
        .where(TriageFindingRow.media_sha256 == row.media_sha256)
        .order_by(TriageFindingRow.id)
    )
    return [Finding(FindingKind(f.kind), f.source, f.label, f.score, dict(f.detail)) for f in found]


def _of_user(s: Session, row: JobRow) -> list[Finding]:
    """Counts about the job's user (its case's subject) and its content."""
    found: list[Finding] = []
    subject = s.scalar(select(CaseRow.subject).where(CaseRow.id == row.case_id))
    if subject is not None and subject.startswith("user:"):
        cases = select(CaseRow.id).where(CaseRow.subject == subject)
        confirmed = s.scalar(
            select(func.count()).where(
                JobRow.case_id.in_(cases), JobRow.decision.in_(_CONFIRMED), JobRow.id != row.id
            )
        )
        if confirmed:
            found.append(Finding(FindingKind.CONFIRMED_BEFORE, "", "", float(confirmed)))
        alerts = s.scalar(
            select(func.count()).where(
                JobRow.case_id.in_(cases),
                JobRow.kind == JobKind.CONVERSATION.value,
                _not_false(),
            )
        )
        if alerts:
            found.append(Finding(FindingKind.CONVERSATION_ALERT, "", "", float(alerts)))
    same = _same_content(row)
    if same is not None:
        reports = s.scalar(
            select(func.count()).where(same, JobRow.kind == JobKind.USER_REPORT.value, _not_false())
        )
        if reports:
            found.append(Finding(FindingKind.USER_REPORT, "", "", float(reports)))
    return found


def _same_content(row: JobRow) -> Any:
    if row.media_sha256 is not None:
        return JobRow.media_sha256 == row.media_sha256
    if row.content_id is not None:
        return JobRow.content_id == row.content_id
    if JobKind(row.kind) is JobKind.USER_REPORT:
        return JobRow.id == row.id
    return None


def _not_false() -> Any:
    return (JobRow.decision.is_(None)) | (JobRow.decision != Decision.FALSE_POSITIVE.value)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per kind, source and label: the strongest (a count or score, or the
    nearest match)."""
    best: dict[tuple[FindingKind, str, str], Finding] = {}
    for f in findings:
        key = (f.kind, f.source, f.label)
        old = best.get(key)
        if old is None or _stronger(f, old):
            best[key] = f
    return list(best.values())


def _stronger(a: Finding, b: Finding) -> bool:
    if a.kind in (FindingKind.BANK_MATCH, FindingKind.NEAR_MISS):
        return a.score < b.score  # a distance: nearer is stronger
    return a.score > b.score


def decided_findings(
    s: Session, *, since: datetime | None = None, until: datetime | None = None
) -> Iterator[tuple[list[Finding], str]]:
    """Each decided job's findings (as last assessed) with its decision, oldest first: what
    the feedback loop counts (`bastion.triage.evaluate`)."""
    query = select(JobRow.decision, JobRow.triage).where(JobRow.decision.is_not(None))
    if since is not None:
        query = query.where(JobRow.decided_at >= since)
    if until is not None:
        query = query.where(JobRow.decided_at < until)
    for decided, triage in s.execute(query.order_by(JobRow.id)).yield_per(1000):
        yield findings_of(triage), str(decided)
