"""Alembic environment: runs against the engine bastion hands it, never a config file.

On SQLite, foreign keys are off while migrations run. A batch migration there copies a
table, drops the old one and renames the copy; with foreign keys enforced, the drop deletes
(``ON DELETE CASCADE``) or unlinks (``SET NULL``) every row that refers to it, so changing
``action_rules`` would empty the outbox. The pragma is a no-op inside a transaction, so it is
set on the connection before the migrations' transaction begins, and set back after.
"""

from __future__ import annotations

from alembic import context

from bastion.store.models import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
            )
            context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
