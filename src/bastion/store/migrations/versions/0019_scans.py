"""Bulk scans, and the signals of checked content kept for retroactive matching.

- `scans`, `scan_items`: a scan of a folder, a bucket or a manifest, and its manifest: one row
  per item (its source key, size and ETag, status, signals, error). An item is marked done in
  the transaction that acts on its matches, so it is never acted on twice.
- `checked_content`, `checked_signals`: what bastion checked (its signals, never its media,
  with the platform's content and user ids), kept for `checked_retention_days` when that is on.
- `retro_matches`: each (checked content, bank entry) pair matched after the fact, once.
- `retro_cursor`: the change of the bank log up to which retroactive matching has looked.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("options", Json, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "scan_items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("scan_id", BigId, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("etag", sa.String(200), nullable=True),
        sa.Column("content_id", sa.String(200), nullable=True),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("signals", Json, nullable=True),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("checked_at", Timestamp, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_scan_items_status", "scan_items", ["scan_id", "status", "id"])
    op.create_index("uq_scan_items_key", "scan_items", ["scan_id", "key"], unique=True)
    op.create_table(
        "checked_content",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("content_id", sa.String(200), nullable=True),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("door", sa.String(32), nullable=False),
        sa.Column("info", Json, nullable=False),
        sa.Column("matched", Json, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("checked_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_checked_content_checked_at", "checked_content", ["checked_at"])
    op.create_table(
        "checked_signals",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "checked_id",
            BigId,
            sa.ForeignKey("checked_content.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
    )
    op.create_index("ix_checked_signals_value", "checked_signals", ["signal_type", "value"])
    op.create_index("ix_checked_signals_type", "checked_signals", ["signal_type", "id"])
    op.create_index("ix_checked_signals_checked", "checked_signals", ["checked_id"])
    op.create_table(
        "retro_matches",
        sa.Column(
            "checked_id",
            BigId,
            sa.ForeignKey("checked_content.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entry_id", sa.BigInteger(), primary_key=True),
        sa.Column("bank", sa.String(255), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
    )
    op.create_table(
        "retro_cursor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retro_cursor")
    op.drop_table("retro_matches")
    op.drop_table("checked_signals")
    op.drop_table("checked_content")
    op.drop_index("ix_scan_items_status", table_name="scan_items")
    op.drop_table("scan_items")
    op.drop_table("scans")
