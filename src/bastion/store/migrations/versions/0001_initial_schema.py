"""Initial schema: banks, entries, their signals and the change sequence.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("thresholds", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "changes",
        sa.Column("seq", BigId, primary_key=True),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("bank_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("imported_from", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(200), nullable=True),
        sa.Column("added_at", Timestamp, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_until", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bank_entries_bank_id", "bank_entries", ["bank_id"])
    op.create_table(
        "entry_signals",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "entry_id",
            BigId,
            sa.ForeignKey("bank_entries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
    )
    op.create_index("ix_entry_signals_entry_id", "entry_signals", ["entry_id"])
    op.create_index("ix_entry_signals_value", "entry_signals", ["value", "bank_id"])


def downgrade() -> None:
    op.drop_table("entry_signals")
    op.drop_table("bank_entries")
    op.drop_table("changes")
    op.drop_table("banks")
