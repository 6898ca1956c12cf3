"""Secrets at rest: webhook signing secrets sealed like exchange credentials, a rotated
secret's grace period, and when each API key was last used.

A migration cannot see the deployment's secret key, so it seals nothing: the clear column
is renamed `clear_secret`, and the first process to start with a credential box
(`ActionStore.seal_clear_secrets`, called by the service and the command line) seals what
it holds and empties it. Downgrading cannot unseal either: webhook rules whose secret is
only sealed are disabled (their deliveries wait), to be given a secret again.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("action_rules") as batch:
        batch.alter_column("secret", new_column_name="clear_secret", existing_type=sa.String(128))
        batch.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("previous_sealed_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("previous_secret_until", Timestamp, nullable=True))
    op.add_column("api_keys", sa.Column("last_used_at", Timestamp, nullable=True))


def downgrade() -> None:
    op.execute(
        "UPDATE action_rules SET enabled = false "
        "WHERE sealed_secret IS NOT NULL AND clear_secret IS NULL"
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
    with op.batch_alter_table("action_rules") as batch:
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_sealed_secret")
        batch.drop_column("sealed_secret")
        batch.alter_column("clear_secret", new_column_name="secret", existing_type=sa.String(128))
