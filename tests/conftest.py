"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bastion.banks import BankStore
from bastion.settings import Settings
from bastion.store import Database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = (
    Path(os.environ.get("BASTION_SHARED_DIR", REPO_ROOT.parent / "shared")) / "testdata"
)


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """The reference data in ../shared/testdata.

    A user's clone has no ../shared, so tests that need it skip with a reason; CI sets
    BASTION_REQUIRE_SHARED=1 (in .ci/run) and then a missing folder is an error.
    """
    if SHARED_TESTDATA.is_dir():
        return SHARED_TESTDATA
    if os.environ.get("BASTION_REQUIRE_SHARED") == "1":
        pytest.fail(f"BASTION_REQUIRE_SHARED=1 but {SHARED_TESTDATA} does not exist")
    pytest.skip(
        f"reference data not found at {SHARED_TESTDATA} (only CI and developers have ../shared)"
    )


# Databases ------------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("BASTION_TEST_POSTGRES_URL")


def pytest_sessionstart(session: pytest.Session) -> None:
    """When the PostgreSQL suite is asked for, an unreachable server fails the run at once."""
    if not POSTGRES_URL:
        return
    import sqlalchemy as sa

    from bastion.store.database import create_database_engine, redact

    engine = create_database_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as e:
        pytest.exit(
            f"BASTION_TEST_POSTGRES_URL={redact(POSTGRES_URL)} is unreachable: {e.orig}",
            returncode=3,
        )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'bastion.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL suite not enabled: set BASTION_TEST_POSTGRES_URL (.ci/run does)")
    import sqlalchemy as sa

    from bastion.store.database import create_database_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_database_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.load(env={}, data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.open(settings.database_url)
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> BankStore:
    return BankStore(db)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes and their scheduler, on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=40,
    ) as local:
        yield local
