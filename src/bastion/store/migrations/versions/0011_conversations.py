"""Conversations assessed a message at a time, and actions on their alerts: action rules
for conversations (no bank), and review items for a conversation rather than a match.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("state", Json, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("alerted_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("action_rules") as batch:
        batch.alter_column("bank_id", existing_type=BigId, nullable=True)
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="bank"))
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="match"))
        batch.add_column(sa.Column("conversation", sa.String(128), nullable=True))
        batch.alter_column("bank", existing_type=sa.String(64), nullable=True)
        batch.alter_column("entry_id", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("signal_type", existing_type=sa.String(32), nullable=True)
        batch.alter_column("distance", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM review_items WHERE kind <> 'match'")
    op.execute("DELETE FROM action_rules WHERE scope <> 'bank'")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("conversation")
        batch.drop_column("kind")
    with op.batch_alter_table("action_rules") as batch:
        batch.drop_column("scope")
    op.drop_table("conversations")
