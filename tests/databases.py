"""Empty test databases: a SQLite file, or a PostgreSQL schema of the run's own."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_session_factory
from app.schema import upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def fresh_database(backend: str, tmp_dir: Path) -> tuple[Engine, str | None]:
    """An empty database: a new SQLite file, or a new PostgreSQL schema (returned for cleanup)."""
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"), None
    assert POSTGRES_URL
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(POSTGRES_URL, options=f"-c search_path={schema}"), schema


def drop_database(engine: Engine, schema: str | None) -> None:
    """Remove what :func:`fresh_database` made."""
    engine.dispose()
    if schema is None:
        return
    assert POSTGRES_URL
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def migrated_database(backend: str, tmp_dir: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh database built by the migrations, for tests that commit for real; yields its
    session factory and removes the database afterwards."""
    engine, schema = fresh_database(backend, tmp_dir)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        yield make_session_factory(engine)
    finally:
        drop_database(engine, schema)
