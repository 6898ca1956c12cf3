"""Stream watches kept in the database, so every service process sees and shares them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stream_watches",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=True),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("lease_until", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("matched_frames", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("lag_seconds", sa.Float(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_stream_watches_unfinished", "stream_watches", ["finished_at", "lease_until"]
    )


def downgrade() -> None:
    op.drop_table("stream_watches")
