"""The transparency report's tallies: content checked and matched a day, by kind and door, and
matches a day by bank, source and signal type. Counts only: nothing about what was checked
or who sent it.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_tallies",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("door", sa.String(32), primary_key=True),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("matched", sa.BigInteger(), nullable=False),
        sa.Column("alerts", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "match_tallies",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("bank", sa.String(255), primary_key=True),
        sa.Column("source", sa.String(255), primary_key=True),
        sa.Column("signal_type", sa.String(32), primary_key=True),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("matches", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("match_tallies")
    op.drop_table("check_tallies")
