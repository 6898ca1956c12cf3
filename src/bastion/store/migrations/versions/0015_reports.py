"""Reports to hotlines: the report (a persisted state machine), its files, its history.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("sink", sa.String(64), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True, index=True),
        sa.Column("job_ids", Json, nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("incident", Json, nullable=False),
        sa.Column("reporter", Json, nullable=True),
        sa.Column("person", Json, nullable=True),
        sa.Column("extra", Json, nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=True),
        sa.Column("step_in_flight", sa.String(64), nullable=True),
        sa.Column("after_done", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Timestamp, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("submitted_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reports_due", "reports", ["status", "next_attempt_at"])
    op.create_table(
        "report_files",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), nullable=False, index=True),
        sa.Column("evidence_id", sa.String(36), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_id", sa.BigInteger(), nullable=True),
        sa.Column("classification", sa.String(4), nullable=True),
        sa.Column("viewed_by_esp", sa.Boolean(), nullable=False),
        sa.Column("exif_viewed_by_esp", sa.Boolean(), nullable=False),
        sa.Column("publicly_available", sa.Boolean(), nullable=False),
        sa.Column("original_hashes", Json, nullable=False),
        sa.Column("uploaded_at", Timestamp, nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("ip_capture", Json, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=True),
        sa.Column("remote_md5", sa.String(64), nullable=True),
        sa.Column("original_name", sa.String(1000), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "report_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id"), nullable=False, index=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("detail", Json, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("report_events")
    op.drop_table("report_files")
    op.drop_index("ix_reports_due", table_name="reports")
    op.drop_table("reports")
