"""Test databases built by Alembic migrations, one rolled-back transaction per test.

Every database test runs on SQLite, and on PostgreSQL too when ``TEST_DATABASE_URL`` is set.
Each PostgreSQL run works in a schema of its own, so parallel runs never collide.
"""

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.main import create_app
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


@pytest.fixture
def client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API, wired to the test's transaction."""
    app = create_app(Settings(), session_factory=session_factory)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
