"""Collaborations: banks published to partner instances, their partners and their feedback.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "collaborations",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("bank_ids", Json, nullable=False),
        sa.Column("include_fetched", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "partners",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "collab_id",
            BigId,
            sa.ForeignKey("collaborations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column(
            "key_id", BigId, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_partners_collab_name", "partners", ["collab_id", "name"], unique=True)
    op.create_index("ix_partners_key_id", "partners", ["key_id"])
    op.create_table(
        "partner_feedback",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "collab_id",
            BigId,
            sa.ForeignKey("collaborations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "partner_id", BigId, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("opinion", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_partner_feedback_collab_id", "partner_feedback", ["collab_id"])
    op.create_index("ix_partner_feedback_entry_id", "partner_feedback", ["entry_id"])


def downgrade() -> None:
    op.drop_table("partner_feedback")
    op.drop_table("partners")
    op.drop_table("collaborations")
