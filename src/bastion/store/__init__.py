"""Persistence: database engine, schema and migrations."""

import bastion.actions.tables  # noqa: F401  (registers the actioner tables with Base.metadata)
from bastion.store.database import Database, redact

__all__ = ["Database", "redact"]
