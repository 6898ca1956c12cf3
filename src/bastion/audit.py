"""The audit log: a record of every export of a list, every sync of an exchange, and every
change to credentials, keys and sharing, with who did it.

A leaked hash list helps offenders evade it, so who took a copy, and who could, must be
answerable. Events are only ever added. Actors are named as `key:<prefix>` (an API key),
`cli:<user>` (the command line, as the operating-system user), `partner:<name>` or
`scheduler`; details never hold a secret.
"""

from __future__ import annotations

import builtins
import getpass
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.errors import ValidationError
from bastion.store.database import Database
from bastion.store.models import AuditEventRow, utcnow


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def cli_actor() -> str:
    """The actor for commands run from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this user id (a container)
        return "cli:unknown"


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, actor: str, action: str, target: str, **detail: Any) -> None:
        with self._db.session() as s:
            record_in(s, actor, action, target, **detail)

    def list(
        self, *, action: str | None = None, limit: int = 100, before: int | None = None
    ) -> list[AuditEvent]:
        """Events newest first; `before` an id, to page back."""
        if not 1 <= limit <= 1000:
            raise ValidationError("limit must be 1-1000")
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if before is not None:
            query = query.where(AuditEventRow.id < before)
        with self._db.session() as s:
            return [
                AuditEvent(r.id, r.at, r.actor, r.action, r.target, dict(r.detail or {}))
                for r in s.scalars(query)
            ]

    def about(self, targets: Collection[str], *, limit: int = 10_000) -> builtins.list[AuditEvent]:
        """Events on any of `targets` (a report, its evidence objects), oldest first: a chain
        of custody. An export reads it rarely, so no index serves it."""
        if not targets:
            return []
        query = (
            select(AuditEventRow)
            .where(AuditEventRow.target.in_(sorted(set(targets))))
            .order_by(AuditEventRow.id)
            .limit(limit)
        )
        with self._db.session() as s:
            return [
                AuditEvent(r.id, r.at, r.actor, r.action, r.target, dict(r.detail or {}))
                for r in s.scalars(query)
            ]


def record_in(s: Session, actor: str, action: str, target: str, **detail: Any) -> None:
    """Add an event in the caller's transaction (it is kept only if that commits)."""
    s.add(
        AuditEventRow(
            at=utcnow(), actor=actor[:200], action=action, target=target[:200], detail=detail
        )
    )
