"""A throw-away PostgreSQL schema for a benchmark run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from bastion.store.database import create_database_engine


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """Yields a URL of `url`'s database whose tables go into a new private schema."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_database_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield (
            sa.engine.make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
