"""Private matching for end-to-end encrypted apps.

- `private_tables`, `private_slots`, `private_refs`: the blinded tables (exact, near), their
  slots with the version that last changed each, and the bank signals behind each token.
- `private_vouchers`: vouchers received (their ids refuse replays; 24 hours of them make
  the quota) and, for matching items, the account share and the sealed payload.
- `private_accounts`: the accounts whose vouchers reached the threshold (no key is kept).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "private_tables",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("table_id", sa.String(32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(32), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account_threshold", sa.Integer(), nullable=False),
        sa.Column("item_threshold", sa.Integer(), nullable=False),
        sa.Column("lsh", Json, nullable=True),
        sa.Column("built_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "private_slots",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("slot", sa.Integer(), primary_key=True),
        sa.Column("token", sa.LargeBinary(32), nullable=True),
        sa.Column("point", sa.LargeBinary(32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_private_slots_version", "private_slots", ["kind", "version"])
    op.create_index("ix_private_slots_token", "private_slots", ["kind", "token"])
    op.create_table(
        "private_refs",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("signal_id", sa.BigInteger(), primary_key=True),
        sa.Column("token", sa.LargeBinary(32), primary_key=True),
    )
    op.create_index("ix_private_refs_token", "private_refs", ["kind", "token"])
    op.create_table(
        "private_vouchers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("voucher", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("share_x", sa.String(40), nullable=True),
        sa.Column("share_y", sa.String(80), nullable=True),
        sa.Column("inner", sa.LargeBinary(), nullable=True),
        sa.Column("revealed_at", Timestamp, nullable=True),
        sa.UniqueConstraint("account", "voucher", name="uq_private_vouchers_voucher"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_private_vouchers_received", "private_vouchers", ["account", "received_at"])
    op.create_index(
        "ix_private_vouchers_opened", "private_vouchers", ["account", "threshold", "share_x"]
    )
    op.create_table(
        "private_accounts",
        sa.Column("account", sa.String(200), primary_key=True),
        sa.Column("threshold", sa.Integer(), primary_key=True),
        sa.Column("revealed_at", Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("private_accounts")
    op.drop_table("private_vouchers")
    op.drop_table("private_refs")
    op.drop_table("private_slots")
    op.drop_table("private_tables")
