"""`ExceptionList`: matches a reviewer found false, which do not alert again.

An exception is one content signal (by the SHA-256 of its value) against one bank entry: the
same picture matching the same entry again opens no job and sends no webhook, while other
content matching that entry, and that content matching other entries, still do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.store.database import Database
from bastion.store.models import MatchExceptionRow, utcnow


class Excepted(Protocol):
    """What a match says of itself that an exception is kept by."""

    @property
    def entry_id(self) -> int: ...
    @property
    def signal_type(self) -> str: ...
    @property
    def query_value(self) -> str: ...


M = TypeVar("M", bound=Excepted)


def value_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ExceptionList:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_in(
        self,
        s: Session,
        *,
        bank: str,
        entry_id: int,
        signal_type: str,
        value: str,
        job_id: int | None,
        created_by: str,
    ) -> None:
        """Add an exception in the caller's transaction (once: a repeat is a no-op)."""
        digest = value_digest(value)
        exists = s.scalar(
            select(MatchExceptionRow.id).where(
                MatchExceptionRow.entry_id == entry_id,
                MatchExceptionRow.signal_type == signal_type,
                MatchExceptionRow.value_sha256 == digest,
            )
        )
        if exists is None:
            s.add(
                MatchExceptionRow(
                    bank=bank,
                    entry_id=entry_id,
                    signal_type=signal_type,
                    value_sha256=digest,
                    job_id=job_id,
                    created_by=created_by[:200],
                    created_at=utcnow(),
                )
            )

    def drop_excepted(self, matches: Sequence[M]) -> list[M]:
        """`matches` less those a reviewer found false."""
        if not matches:
            return []
        with self.db.session() as s:
            found = set(
                s.execute(
                    select(
                        MatchExceptionRow.entry_id,
                        MatchExceptionRow.signal_type,
                        MatchExceptionRow.value_sha256,
                    ).where(MatchExceptionRow.entry_id.in_(sorted({m.entry_id for m in matches})))
                ).all()
            )
        if not found:
            return list(matches)
        return [
            m
            for m in matches
            if (m.entry_id, m.signal_type, value_digest(m.query_value)) not in found
        ]

    def count(self) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count(MatchExceptionRow.id))) or 0
