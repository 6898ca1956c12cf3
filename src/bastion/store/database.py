"""Opening the database: SQLite (WAL) in the data directory by default, PostgreSQL by URL.

`Database.open()` creates the data directory and brings the schema up to date with the
bundled Alembic migrations, so a new user never runs a migration command by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bastion.errors import StorageError, ValidationError, first_line
from bastion.store.migrations import upgrade_to_head
from bastion.store.private_files import (
    create_empty_private_file,
    make_owner_only,
    make_private_dir,
)

log = logging.getLogger(__name__)


class Database:
    """An engine plus a session factory, with the schema migrated to the latest version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        engine = create_database_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            if migrate:
                upgrade_to_head(engine)
        except DBAPIError as e:
            engine.dispose()
            raise StorageError(
                f"cannot open database {redact(url)}: {first_line(e.orig)}"
            ) from None
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self._sessions() as session:
            try:
                with session.begin():
                    yield session
            except DataError as e:
                # The database refused a value (NUL in text, a number out of range): bad
                # input, not an outage. Its own words go to the log, not to the caller.
                log.warning("database refused a value: %s", first_line(e.orig))
                raise ValidationError("the database cannot store a value given") from e
            except DBAPIError as e:
                raise StorageError(f"database error: {first_line(e.orig)}") from e

    def close(self) -> None:
        self.engine.dispose()


def create_database_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"not a database URL: {redact(url)!r}") from None
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            try:
                make_private_dir(path.parent)
                create_empty_private_file(path)
            except OSError as e:
                raise StorageError(f"cannot create data directory {path.parent}: {e}") from None
            # The database, and its -wal and -shm files if an older version left them
            # readable by others (SQLite makes new ones with the database file's mode).
            for owned in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                make_owner_only(owned)
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options.update(pool_pre_ping=True)
        return create_engine(parsed, **options)
    raise StorageError(f"unsupported database {backend!r}: use a sqlite:/// or postgresql:// URL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable URL>"


__all__ = ["Database", "SQLAlchemyError", "create_database_engine", "redact"]
