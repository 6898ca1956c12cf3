"""Exchanges (sources of shared signals, their checkpoints and status), the upstream
identity of entries fetched from them, and feedback waiting to go back upstream.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("config", Json, nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("checkpoint", Json, nullable=True),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("last_started_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("last_error_at", Timestamp, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", Timestamp, nullable=True),
        sa.Column("fetched", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", Timestamp, nullable=True),
    )
    op.create_index("ix_exchanges_bank_id", "exchanges", ["bank_id"])
    op.create_table(
        "exchange_feedback",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "exchange_id", BigId, sa.ForeignKey("exchanges.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("upstream_id", sa.String(256), nullable=False),
        sa.Column("signals", Json, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("opinion", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("given_by", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("sent_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_exchange_feedback_exchange_id", "exchange_feedback", ["exchange_id"])
    op.create_index("ix_exchange_feedback_due", "exchange_feedback", ["status", "next_attempt_at"])
    # SQLite copies the table to add a foreign key; keep AUTOINCREMENT (ids never reused).
    with op.batch_alter_table("bank_entries", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("exchange_id", BigId, nullable=True))
        batch.add_column(sa.Column("upstream_id", sa.String(256), nullable=True))
        batch.add_column(sa.Column("upstream_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("upstream_run", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("updated_at", Timestamp, nullable=True))
        batch.create_foreign_key(
            "fk_bank_entries_exchange_id", "exchanges", ["exchange_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_bank_entries_upstream", ["exchange_id", "upstream_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("bank_entries", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_bank_entries_upstream")
        batch.drop_constraint("fk_bank_entries_exchange_id", type_="foreignkey")
        for column in (
            "updated_at",
            "upstream_run",
            "upstream_digest",
            "upstream_id",
            "exchange_id",
        ):
            batch.drop_column(column)
    op.drop_table("exchange_feedback")
    op.drop_table("exchanges")
