"""`CheckedStore`: the signals of content bastion checked, kept for retroactive matching.

When `checked_retention_days` is on, every check that acts (an upload, a scanned item) records
the content's signals (never its media) with the platform's content and user ids, the entries
it matched then, and the bank change its matcher had applied. When a bank gains entries, only
those entries are matched against this history (`bastion.pipeline.retroactive`); a pair found
is recorded once (`retro_matches`), in the transaction that acts on it, so it never acts twice.

Long values (a video's frame hashes) are not kept: a video's MD5 and SHA-256 are, and its
keyframes' PDQ where a platform hashes them as images.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bastion.signals import Signal
from bastion.store import Database
from bastion.store.models import (
    CheckedContentRow,
    CheckedSignalRow,
    RetroCursorRow,
    RetroMatchRow,
)

#: The longest signal value kept (longer ones, a video's frame hashes, are left out).
MAX_KEPT_VALUE = 512
#: Values per IN (...) when looking exact values up.
_IN_BATCH = 500


@dataclass(frozen=True)
class CheckedContent:
    """One checked piece of content, as kept."""

    id: int
    content_id: str | None
    user_id: str | None
    door: str
    info: dict[str, Any]
    matched: frozenset[int]
    seq: int
    checked_at: datetime
    signals: tuple[Signal, ...] = field(default=())


class CheckedStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Recording ----------------------------------------------------------------------------

    def record_in(
        self,
        s: Session,
        *,
        signals: Iterable[Signal],
        info: dict[str, Any],
        door: str,
        seq: int,
        matched: Iterable[int] = (),
        content_id: str | None = None,
        user_id: str | None = None,
        at: datetime | None = None,
    ) -> int | None:
        """Keep checked content in the caller's transaction `s`; returns its id (None when
        it has no signal short enough to keep)."""
        kept = [sig for sig in signals if len(sig.value) <= MAX_KEPT_VALUE]
        if not kept:
            return None
        row = CheckedContentRow(
            content_id=content_id, user_id=user_id, door=door[:32], info=info,
            matched=sorted(set(matched)), seq=seq, checked_at=at or datetime.now(UTC),
        )  # fmt: skip
        s.add(row)
        s.flush()
        s.add_all(
            CheckedSignalRow(
                checked_id=row.id, signal_type=sig.type, value=sig.value, quality=sig.quality
            )
            for sig in {(sig.type, sig.value): sig for sig in kept}.values()
        )
        return row.id

    def purge_before(self, cutoff: datetime) -> int:
        """Forget content checked before `cutoff` (its signals and after-the-fact matches)."""
        with self.db.session() as s:
            old = select(CheckedContentRow.id).where(CheckedContentRow.checked_at < cutoff)
            s.execute(delete(CheckedSignalRow).where(CheckedSignalRow.checked_id.in_(old)))
            s.execute(delete(RetroMatchRow).where(RetroMatchRow.checked_id.in_(old)))
            result = s.execute(
                delete(CheckedContentRow).where(CheckedContentRow.checked_at < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # Reading ------------------------------------------------------------------------------

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(CheckedContentRow)) or 0)

    def oldest_seq(self) -> int | None:
        """The earliest bank change any kept content was checked as of."""
        with self.db.session() as s:
            return s.scalar(select(func.min(CheckedContentRow.seq)))

    def page(self, signal_type: str, *, after: int, limit: int) -> list[tuple[int, int, str]]:
        """(signal row id, checked id, value) of `signal_type`, in id order after `after`."""
        with self.db.session() as s:
            rows = s.execute(
                select(CheckedSignalRow.id, CheckedSignalRow.checked_id, CheckedSignalRow.value)
                .where(CheckedSignalRow.signal_type == signal_type, CheckedSignalRow.id > after)
                .order_by(CheckedSignalRow.id)
                .limit(limit)
            ).all()
        return [(int(i), int(c), str(v)) for i, c, v in rows]

    def with_values(self, signal_type: str, values: Sequence[str]) -> set[int]:
        """Ids of kept content with a `signal_type` signal of one of `values`."""
        found: set[int] = set()
        unique = sorted(set(values))
        with self.db.session() as s:
            for start in range(0, len(unique), _IN_BATCH):
                found.update(
                    s.scalars(
                        select(CheckedSignalRow.checked_id).where(
                            CheckedSignalRow.signal_type == signal_type,
                            CheckedSignalRow.value.in_(unique[start : start + _IN_BATCH]),
                        )
                    )
                )
        return found

    def get(self, ids: Iterable[int]) -> dict[int, CheckedContent]:
        wanted = sorted(set(ids))
        out: dict[int, CheckedContent] = {}
        with self.db.session() as s:
            for start in range(0, len(wanted), _IN_BATCH):
                part = wanted[start : start + _IN_BATCH]
                signals: dict[int, list[Signal]] = {}
                for checked_id, type_name, value, quality in s.execute(
                    select(
                        CheckedSignalRow.checked_id, CheckedSignalRow.signal_type,
                        CheckedSignalRow.value, CheckedSignalRow.quality,
                    ).where(CheckedSignalRow.checked_id.in_(part))
                ):  # fmt: skip
                    signals.setdefault(checked_id, []).append(Signal(type_name, value, quality))
                for row in s.scalars(
                    select(CheckedContentRow).where(CheckedContentRow.id.in_(part))
                ):
                    out[row.id] = CheckedContent(
                        id=row.id, content_id=row.content_id, user_id=row.user_id,
                        door=row.door, info=dict(row.info), matched=frozenset(row.matched),
                        seq=row.seq, checked_at=row.checked_at,
                        signals=tuple(signals.get(row.id, ())),
                    )  # fmt: skip
        return out

    # After-the-fact matches ---------------------------------------------------------------

    def claim_in(self, s: Session, checked_id: int, entry_id: int, bank: str) -> bool:
        """Record that `checked_id` matched `entry_id` after the fact, in the caller's
        transaction; False when it was already recorded (then nothing is to be done)."""
        values = {
            "checked_id": checked_id, "entry_id": entry_id, "bank": bank, "queued": 0,
            "at": datetime.now(UTC),
        }  # fmt: skip
        dialect = s.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(RetroMatchRow)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(RetroMatchRow.checked_id)  # a row only when it was inserted
        )
        return s.execute(statement).first() is not None

    def retro_count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(RetroMatchRow)) or 0)

    def cursor(self) -> int | None:
        """The bank change up to which retroactive matching has looked (None: never ran)."""
        with self.db.session() as s:
            return s.scalar(select(RetroCursorRow.seq).where(RetroCursorRow.id == 1))

    def move_cursor_in(self, s: Session, seq: int) -> None:
        row = s.get(RetroCursorRow, 1)
        if row is None:
            s.add(RetroCursorRow(id=1, seq=seq, updated_at=datetime.now(UTC)))
        else:
            row.seq, row.updated_at = max(row.seq, seq), datetime.now(UTC)
