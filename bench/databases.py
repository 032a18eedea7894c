"""A fresh database for one bench run: a SQLite file, or a PostgreSQL schema of its own."""

import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text

from app.db import make_engine


def bench_database(database_url: str | None, prefix: str) -> tuple[str, str | None]:
    """The URL the servers use, and the schema to drop afterwards (PostgreSQL only)."""
    if not database_url:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'bench.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with make_engine(database_url).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{database_url}?options=-csearch_path%3D{schema}", schema


def drop_bench_schema(database_url: str | None, schema: str | None) -> None:
    """Remove what :func:`bench_database` made on PostgreSQL."""
    if database_url and schema:
        with make_engine(database_url).begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
