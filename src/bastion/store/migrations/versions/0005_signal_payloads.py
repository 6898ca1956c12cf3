"""Long signal values (a video's frame hashes, a TMK descriptor) kept beside their short key.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entry_signals", sa.Column("payload", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entry_signals") as batch:
        batch.drop_column("payload")
