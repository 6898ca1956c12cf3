"""Triage: what is known about content beyond bank matches, and why each job sits where it
does in its queue.

- `triage_findings`: a classifier's label, an outside matcher's answer, a near miss... about
  content (by its media's SHA-256, and its submission when there is one), kept for
  `triage_retention_days`.
- `triage_runs`: each classifier's and outside service's run over a piece of content and how it
  ended (answered, timed out, rate limited...), so a job shows what was asked and what failed.
- `review_jobs.triage`: the policy's assessment: the level, the rules that set it and the
  findings weighed (the feedback loop counts decisions per finding from it).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("review_jobs") as batch:
        batch.add_column(sa.Column("triage", Json, nullable=True))
    op.create_table(
        "triage_findings",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column(
            "content_id", BigId, sa.ForeignKey("review_content.id"), nullable=True, index=True
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_triage_findings_media", "triage_findings", ["media_sha256", "id"])
    op.create_table(
        "triage_runs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("media_sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_triage_runs_media", "triage_runs", ["media_sha256", "id"])


def downgrade() -> None:
    op.drop_index("ix_triage_runs_media", "triage_runs")
    op.drop_table("triage_runs")
    op.drop_index("ix_triage_findings_media", "triage_findings")
    op.drop_table("triage_findings")
    with op.batch_alter_table("review_jobs") as batch:
        batch.drop_column("triage")
