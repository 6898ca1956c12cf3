"""Actions on match: rules per bank, the webhook outbox and the review queue.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "action_rules",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(128), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_action_rules_bank_id", "action_rules", ["bank_id"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "rule_id",
            BigId,
            sa.ForeignKey("action_rules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("delivered_at", Timestamp, nullable=True),
        sa.Column("claimed_until", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_rule_id", "outbox", ["rule_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "review_items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "rule_id",
            BigId,
            sa.ForeignKey("action_rules.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("bank", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_items_rule_id", "review_items", ["rule_id"])
    op.create_index("ix_review_items_status", "review_items", ["status", "id"])


def downgrade() -> None:
    op.drop_table("review_items")
    op.drop_table("outbox")
    op.drop_table("action_rules")
