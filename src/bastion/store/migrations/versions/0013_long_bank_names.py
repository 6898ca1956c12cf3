"""Bank names up to 255 characters (every name HMA accepts): the columns that hold a bank's
name, or an exchange's or collaboration's (which follow the same rule), widen from 64.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: (table, column) holding a name that follows the bank-name rule.
NAME_COLUMNS = (
    ("banks", "name"),
    ("exchanges", "name"),
    ("collaborations", "name"),
    ("review_items", "bank"),
)


def upgrade() -> None:
    for table, column in NAME_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(64), type_=sa.String(255))


def downgrade() -> None:
    # A name longer than 64 characters cannot go back: downgrading refuses rather than cut.
    for table, column in NAME_COLUMNS:
        longest = op.get_bind().scalar(sa.text(f"SELECT max(length({column})) FROM {table}"))
        if longest is not None and longest > 64:
            raise RuntimeError(f"{table}.{column} holds names longer than 64 characters")
    for table, column in NAME_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(255), type_=sa.String(64))
