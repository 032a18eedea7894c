"""Real `cpts-snp serve` processes on a fresh migrated database, for tests that need true
concurrency, real commits and more than one API process."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_session_factory
from app.schema import upgrade
from tests.live import cli_env, database_url, free_port, serving


@dataclass(frozen=True)
class LiveDatabase:
    """A migrated database, its URL for the servers and a factory for arranging data."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    workdir: Path


@contextmanager
def live_database(backend: str, tmp_dir: Path) -> Iterator[LiveDatabase]:
    """A fresh migrated database (SQLite file or PostgreSQL schema), dropped afterwards."""
    with database_url(backend, tmp_dir) as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                upgrade(connection=conn)
            yield LiveDatabase(url, engine, make_session_factory(engine), tmp_dir)
        finally:
            engine.dispose()


@contextmanager
def served(live: LiveDatabase, **env: str) -> Iterator[str]:
    """``cpts-snp serve`` (no background jobs) on a free port; yields its base URL."""
    port = free_port()
    workdir = live.workdir / f"server-{port}"
    workdir.mkdir()
    with serving({**cli_env(live.url, port), "RUN_JOBS": "false", **env}, workdir) as base:
        yield base


@contextmanager
def served_many(live: LiveDatabase, count: int, **env: str) -> Iterator[list[str]]:
    """``count`` separate server processes on the same database."""
    with ExitStack() as stack:
        yield [stack.enter_context(served(live, **env)) for _ in range(count)]
