"""Robust matching: each bank's match options, and signals derived from an entry's media.

Existing banks keep matching as they did: every option off.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OFF = '{"trim_borders": false, "rotations": false, "variants": false}'


def upgrade() -> None:
    existing = sa.text(f"'{OFF}'")
    op.add_column(
        "banks", sa.Column("match_options", Json, nullable=False, server_default=existing)
    )
    op.add_column("entry_signals", sa.Column("derived", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entry_signals") as batch:
        batch.drop_column("derived")
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("match_options")
