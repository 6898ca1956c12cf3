"""The review desk: submitted content, cases, queues, jobs, comments, false-positive
exceptions, the evidence vault's objects, console users and their sessions, reveals of media,
and the organisation's review preferences.

The review items of earlier versions become jobs of a `default` queue, each in a case of its
own (they carry no user to gather them by), with their decisions kept; `review_items` goes.
Downgrading keeps the jobs that came from rules as review items and drops the rest.

Revision ID: 0014
Revises: 0013
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
#: Decisions of review items, as jobs keep them.
DECIDED = ("confirmed", "false_positive", "escalated")


def upgrade() -> None:
    op.create_table(
        "review_content",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("platform_id", sa.String(255), nullable=True, index=True),
        sa.Column("user_id", sa.String(255), nullable=True, index=True),
        sa.Column("surface", sa.String(64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("posted_at", Timestamp, nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("media_type", sa.String(100), nullable=True),
        sa.Column("signals", Json, nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True, index=True),
        sa.Column("evidence_id", sa.String(36), nullable=True),
        sa.Column("context", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "review_cases",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("closed_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_cases_subject", "review_cases", ["subject", "status"])
    queues = op.create_table(
        "review_queues",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("child_safety", sa.Boolean(), nullable=False),
        sa.Column("sla_minutes", sa.Integer(), nullable=False),
        sa.Column("reviewers", Json, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "review_jobs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("case_id", BigId, sa.ForeignKey("review_cases.id"), nullable=False, index=True),
        sa.Column("queue_id", BigId, sa.ForeignKey("review_queues.id"), nullable=False),
        sa.Column(
            "content_id", BigId, sa.ForeignKey("review_content.id"), nullable=True, index=True
        ),
        sa.Column(
            "rule_id",
            BigId,
            sa.ForeignKey("action_rules.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bank", sa.String(255), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("signal_type", sa.String(32), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("conversation", sa.String(128), nullable=True),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("evidence", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("due_at", Timestamp, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Timestamp, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("classification", sa.String(4), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_jobs_queue", "review_jobs", ["queue_id", "status", "urgency", "id"])
    op.create_index(
        "ix_review_jobs_due", "review_jobs", ["queue_id", "status", "due_at", "claimed_until"]
    )
    op.create_index(
        "ix_review_jobs_claims",
        "review_jobs",
        ["queue_id", "status", "claimed_by", "claimed_until"],
    )
    op.create_index("ix_review_jobs_status", "review_jobs", ["status", "id"])
    op.create_index("ix_review_jobs_media", "review_jobs", ["media_sha256", "status"])
    op.create_table(
        "review_comments",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("job_id", BigId, sa.ForeignKey("review_jobs.id"), nullable=False, index=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "review_exceptions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank", sa.String(255), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.Column("value_sha256", sa.String(64), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_review_exceptions",
        "review_exceptions",
        ["entry_id", "signal_type", "value_sha256"],
        unique=True,
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("retain_until", Timestamp, nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("purged_at", Timestamp, nullable=True),
    )
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("totp_sealed", sa.Text(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", Timestamp, nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("preferences", Json, nullable=False),
        sa.Column("daily_reveal_cap", sa.Integer(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
    )
    op.create_table(
        "reveals",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("job_id", BigId, sa.ForeignKey("review_jobs.id"), nullable=False, index=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reveals_user_used", "reveals", ["user_id", "used_at"])
    op.create_table(
        "org_preferences",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", Json, nullable=False),
    )
    _move_review_items(queues)
    op.drop_table("review_items")


def _move_review_items(queues: sa.Table) -> None:
    bind = op.get_bind()
    old = sa.table(
        "review_items",
        *(sa.column(name) for name in ("id", "rule_id", "kind", "bank", "entry_id")),
        *(sa.column(name) for name in ("signal_type", "distance", "conversation", "status")),
        sa.column("payload", Json),
        sa.column("created_at", Timestamp),
        sa.column("decided_at", Timestamp),
        sa.column("reviewer"),
    )
    items = bind.execute(sa.select(old).order_by(old.c.id)).all()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # stored naive, as UTC (`UtcDateTime`)
        now = now.replace(tzinfo=None)
    bind.execute(
        queues.insert().values(  # created_at: the columns hold naive UTC on SQLite
            name="default",
            description="Matches and alerts of the action rules",
            child_safety=True,
            sla_minutes=24 * 60,
            reviewers=None,
            created_at=now,
        )
    )
    queue_id = bind.scalar(sa.text("SELECT id FROM review_queues WHERE name = 'default'"))
    cases = sa.table(
        "review_cases",
        sa.column("id"),
        sa.column("subject"),
        sa.column("status"),
        sa.column("opened_at", Timestamp),
        sa.column("updated_at", Timestamp),
        sa.column("closed_at", Timestamp),
    )
    jobs = sa.table(
        "review_jobs",
        *(
            sa.column(name)
            for name in (
                "case_id",
                "queue_id",
                "rule_id",
                "kind",
                "priority",
                "urgency",
                "status",
                "bank",
                "entry_id",
                "signal_type",
                "distance",
                "conversation",
                "decision",
                "decided_by",
                "note",
            )
        ),
        sa.column("evidence", Json),
        *(sa.column(name, Timestamp) for name in ("created_at", "due_at", "decided_at")),
    )
    for item in items:
        decided = item.status in DECIDED
        case_id = bind.execute(
            cases.insert()
            .values(
                subject=f"item:{item.id}",
                status="closed" if decided else "open",
                opened_at=item.created_at,
                updated_at=item.decided_at or item.created_at,
                closed_at=item.decided_at if decided else None,
            )
            .returning(cases.c.id)
        ).scalar_one()
        bind.execute(
            jobs.insert().values(
                case_id=case_id,
                queue_id=queue_id,
                rule_id=item.rule_id,
                kind=item.kind,
                priority=50,
                urgency=50,
                status="decided" if decided else "open",
                bank=item.bank,
                entry_id=item.entry_id,
                signal_type=item.signal_type,
                distance=item.distance,
                conversation=item.conversation,
                evidence=item.payload,
                created_at=item.created_at,
                due_at=item.created_at,
                decision=item.status if decided else None,
                decided_by=item.reviewer,
                decided_at=item.decided_at,
                note="",
            )
        )


def downgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "rule_id",
            BigId,
            sa.ForeignKey("action_rules.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False, server_default="match"),
        sa.Column("bank", sa.String(255), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("signal_type", sa.String(32), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("conversation", sa.String(128), nullable=True),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_items_status", "review_items", ["status", "id"])
    op.execute(
        "INSERT INTO review_items (rule_id, kind, bank, entry_id, signal_type, distance,"
        " conversation, payload, status, created_at, decided_at, reviewer)"
        " SELECT rule_id, kind, bank, entry_id, signal_type, distance, conversation, evidence,"
        " CASE WHEN status = 'open' THEN 'open' ELSE decision END, created_at, decided_at,"
        " decided_by FROM review_jobs WHERE kind IN ('match', 'conversation')"
        " AND (status = 'open' OR decision IN ('confirmed', 'false_positive', 'escalated'))"
        " ORDER BY id"
    )
    for table in (
        "org_preferences", "reveals", "user_sessions", "users", "evidence",
        "review_exceptions", "review_comments", "review_jobs", "review_queues",
        "review_cases", "review_content",
    ):  # fmt: skip
        op.drop_table(table)
