"""Opening databases: migrations, SQLite pragmas, clear errors for bad URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bastion.errors import StorageError
from bastion.store import Database, redact
from bastion.store.database import create_database_engine
from bastion.store.migrations import alembic_config
from bastion.store.models import Base


def test_migrations_produce_exactly_the_model_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()


def test_reopening_is_a_no_op(settings_url_db: tuple[str, Database]) -> None:
    url, first = settings_url_db
    first.close()
    again = Database.open(url)
    with again.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    again.close()


@pytest.fixture
def settings_url_db(database_url: str) -> tuple[str, Database]:
    return database_url, Database.open(database_url)


def test_sqlite_is_created_in_a_new_data_dir_with_wal(tmp_path: Path) -> None:
    path = tmp_path / "new" / "nested" / "bastion.db"
    db = Database.open(f"sqlite:///{path}")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    db.close()
    assert path.is_file()


def test_unsupported_and_malformed_urls_are_clear_errors() -> None:
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        Database.open("mysql://root@127.0.0.1/test")
    with pytest.raises(StorageError, match="not a database URL"):
        Database.open("::::")


def test_unreachable_postgres_error_hides_the_password() -> None:
    url = "postgresql://bastion:s3cret-pw@127.0.0.1:1/nothing"
    with pytest.raises(StorageError) as info:
        Database.open(url)
    assert "s3cret-pw" not in str(info.value)
    assert "127.0.0.1" in str(info.value)
    assert "s3cret-pw" not in redact(url)


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot create data directory"):
        Database.open(f"sqlite:///{blocker / 'sub' / 'bastion.db'}")


def test_migrating_never_cascades_into_rows_that_refer_to_a_rebuilt_table(
    database_url: str,
) -> None:
    """SQLite's batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced
    the drop would delete the outbox (ON DELETE CASCADE) and unlink review items (SET NULL)
    of `action_rules`, which migrations 0011 and 0012 rebuild. (Migration 0014 makes the
    review items jobs.)"""
    engine = create_database_engine(database_url)
    command.upgrade(alembic_config(engine), "0010")
    now = datetime.now(UTC)
    if engine.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    tables = sa.MetaData()
    tables.reflect(engine, only=["banks", "action_rules", "outbox", "review_items"])
    banks, rules = tables.tables["banks"], tables.tables["action_rules"]
    with engine.begin() as conn:
        bank = conn.execute(
            banks.insert()
            .values(name="b", description="", enabled=True, thresholds={}, created_at=now,
                    updated_at=now)
            .returning(banks.c.id)
        ).scalar_one()  # fmt: skip
        rule = conn.execute(
            rules.insert()
            .values(bank_id=bank, kind="review", enabled=True, created_at=now)
            .returning(rules.c.id)
        ).scalar_one()
        conn.execute(
            tables.tables["outbox"]
            .insert()
            .values(rule_id=rule, payload={}, status="pending", attempts=0, next_attempt_at=now,
                    created_at=now)
        )  # fmt: skip
        conn.execute(
            tables.tables["review_items"]
            .insert()
            .values(rule_id=rule, bank="b", entry_id=1, signal_type="pdq", distance=0,
                    payload={}, status="open", created_at=now)
        )  # fmt: skip
    engine.dispose()

    db = Database.open(database_url)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT rule_id FROM outbox")).scalars().all() == [rule]
        # Migration 0014 made the review item a job of the default queue, in a case of its own.
        job = conn.execute(
            sa.text(
                "SELECT j.rule_id, j.status, j.bank, q.name, c.subject FROM review_jobs j"
                " JOIN review_queues q ON q.id = j.queue_id JOIN review_cases c ON c.id = j.case_id"
            )
        ).one()
        assert tuple(job) == (rule, "open", "b", "default", "item:1")
        if db.dialect == "sqlite":  # enforced again once the migrations are done
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    db.close()
