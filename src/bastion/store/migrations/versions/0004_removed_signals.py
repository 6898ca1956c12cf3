"""Signals removed with their entry or bank, kept for followers of the change sequence.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "removed_signals",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", "signal_id"),
    )


def downgrade() -> None:
    op.drop_table("removed_signals")
