"""Persistence: database engine, schema and migrations."""

from bastion.store.database import Database, redact

__all__ = ["Database", "redact"]
