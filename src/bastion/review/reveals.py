"""`Reveals`: a reviewer's explicit choice to see one job's media, and their exposure.

Media reaches a browser only through a reveal: the reviewer asks for it (`grant`), which is
refused unless their role may reveal that queue's media and their daily cap is not reached,
and gives a single-use link valid for a short while; opening the link (`redeem`) spends it.
Only the SHA-256 of the link's token is stored, so a copy of the database cannot open media.
Every grant, every use and every refusal (wrong role, cap reached, a guessed, someone
else's, expired or reused link) is written to the audit log. Used reveals are the exposure
counted per person per day (UTC).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update

from bastion.audit import AuditLog
from bastion.auth import PermissionDeniedError
from bastion.auth.roles import Role
from bastion.review.access import may_reveal
from bastion.review.model import Job, Queue
from bastion.store.database import Database
from bastion.store.models import RevealRow, utcnow

#: How long a reveal link may wait before it is opened.
LINK_LIFETIME = timedelta(minutes=2)


class RevealRefusedError(PermissionDeniedError):
    """A reveal that is not allowed (role, queue, cap) or a link that is not valid."""

    code = "reveal-refused"


@dataclass(frozen=True)
class Reviewer:
    """Who asks: their account id, name and role, and their daily cap of reveals."""

    user_id: int
    username: str
    role: Role
    daily_cap: int


class Reveals:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self._audit = AuditLog(db)
        self._clock = clock

    def grant(self, job: Job, queue: Queue, who: Reviewer, *, has_media: bool) -> str:
        """A single-use link token for `job`'s media; `RevealRefusedError` (audited) when
        `who` may not see it now."""
        target = f"job:{job.id}"
        if not may_reveal(who.role, who.username, queue):
            self._refuse(who, target, f"the {who.role} role may not reveal media of {queue.name}")
        if not has_media:
            self._refuse(who, target, "this job has no media kept to reveal")
        today = self.exposure(who.user_id, self._clock().date())
        if today >= who.daily_cap:
            self._refuse(who, target, f"daily cap of {who.daily_cap} reveals reached")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self.db.session() as s:
            s.add(
                RevealRow(
                    token_sha256=_digest(token),
                    job_id=job.id,
                    user_id=who.user_id,
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                )
            )
        self._audit.record(who.username, "review.reveal_granted", target, queue=queue.name)
        return token

    def redeem(self, token: str, who: Reviewer) -> int:
        """Spend a link: the id of the job whose media it opens. A link that is unknown,
        someone else's, expired or used is refused, and the attempt audited."""
        now = self._clock()
        digest = _digest(token)
        with self.db.session() as s:
            row = s.scalar(select(RevealRow).where(RevealRow.token_sha256 == digest))
            reason = None
            if row is None:
                reason = "unknown reveal link"
            elif row.user_id != who.user_id:
                reason = f"reveal link of another person (job {row.job_id})"
            elif row.used_at is not None:
                reason = f"reveal link already used (job {row.job_id})"
            elif row.expires_at <= now:
                reason = f"reveal link expired (job {row.job_id})"
            else:
                spent = s.execute(
                    update(RevealRow)
                    .where(RevealRow.id == row.id, RevealRow.used_at.is_(None))
                    .values(used_at=now)
                    .execution_options(synchronize_session=False)
                )
                if spent.rowcount != 1:  # type: ignore[attr-defined]
                    reason = f"reveal link already used (job {row.job_id})"
            job_id = None if row is None else row.job_id
        target = f"job:{job_id}" if job_id is not None else "reveal"
        if reason is not None or job_id is None:
            self._refuse(who, target, reason or "unknown reveal link")
        self._audit.record(who.username, "review.reveal", target)
        assert job_id is not None
        return job_id

    def exposure(self, user_id: int, day: date) -> int:
        """Reveals `user_id` opened on `day` (UTC)."""
        start = datetime.combine(day, time(), tzinfo=UTC)
        return self._count(user_id, start, start + timedelta(days=1))

    def recent(self, user_id: int, minutes: int) -> int:
        """Reveals opened in the last `minutes` (for break prompts)."""
        now = self._clock()
        return self._count(user_id, now - timedelta(minutes=minutes), now + timedelta(seconds=1))

    def history(self, user_id: int, days: int = 14) -> list[tuple[date, int]]:
        """Reveals a day over the last `days` days, oldest first."""
        today = self._clock().date()
        return [
            (today - timedelta(days=n), self.exposure(user_id, today - timedelta(days=n)))
            for n in reversed(range(days))
        ]

    def _count(self, user_id: int, start: datetime, end: datetime) -> int:
        with self.db.session() as s:
            return (
                s.scalar(
                    select(func.count(RevealRow.id)).where(
                        RevealRow.user_id == user_id,
                        RevealRow.used_at >= start,
                        RevealRow.used_at < end,
                    )
                )
                or 0
            )

    def _refuse(self, who: Reviewer, target: str, reason: str) -> None:
        self._audit.record(who.username, "review.reveal_refused", target, reason=reason)
        raise RevealRefusedError(f"reveal refused: {reason}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
