"""Test databases built by Alembic migrations, one rolled-back transaction per test.

Every database test runs on SQLite, and on PostgreSQL too when ``TEST_DATABASE_URL`` is set.
Each PostgreSQL run works in a schema of its own, so parallel runs never collide.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.clock import get_now
from app.config import Settings
from app.main import build_app, configure
from app.rotations.jobs import JobRunner
from app.rotations.solver_process import SolverProcess
from app.schema import upgrade
from tests.databases import BACKENDS, drop_database, fresh_database

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database built by ``alembic upgrade head``, shared by the session's tests."""
    engine, schema = fresh_database(backend, tmp_path_factory.mktemp("db"))
    with engine.begin() as conn:
        upgrade(connection=conn)
    yield engine
    drop_database(engine, schema)


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with migrated_engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits only release savepoints of the test's transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging data directly (factories) inside the test's transaction."""
    with session_factory() as s:
        yield s


@pytest.fixture(scope="session")
def built_app() -> FastAPI:
    """The API's routes, built once per test process: FastAPI analyses an app's routes on
    their first requests, which took most of a short test's time."""
    return build_app()


@contextmanager
def configured_client(
    app: FastAPI,
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    raise_server_exceptions: bool = False,
) -> Iterator[TestClient]:
    """``app`` configured afresh (``settings``, empty caches, no dependency override) on the
    test's transaction, started until the block ends."""
    configure(app, settings, session_factory=session_factory)
    app.dependency_overrides.clear()
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as test_client:
        yield test_client


@pytest.fixture
def client(built_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API, wired to the test's transaction."""
    with configured_client(built_app, Settings(run_jobs=False), session_factory) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def solver_process() -> Iterator[SolverProcess]:
    """One solver process for the whole run (spawning it costs about a second)."""
    process = SolverProcess()
    yield process
    process.stop()


@pytest.fixture
def job_runner(session_factory: sessionmaker[Session], solver_process: SolverProcess) -> JobRunner:
    """A job runner on the test's transaction; tests call ``run_pending()`` themselves."""
    return JobRunner(session_factory, solver_process=solver_process)


class FrozenClock:
    """The API's notion of now, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock(client: TestClient) -> FrozenClock:
    """Freeze the API's clock at Tuesday 12 January 2027, 12:00 in Paris."""
    frozen = FrozenClock(datetime(2027, 1, 12, 11, 0, tzinfo=UTC))
    client.app.dependency_overrides[get_now] = lambda: frozen.now  # type: ignore[attr-defined]
    return frozen
