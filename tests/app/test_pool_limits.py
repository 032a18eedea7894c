"""Pool sizes come from settings, a request never waits long for a connection, and the
API processes of one host must fit PostgreSQL's max_connections."""

import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.db import (
    PoolLimits,
    background_limits,
    check_connection_budget,
    make_engine,
    make_session_factory,
)
from app.main import create_app
from tests.app.conftest import TIGHT
from tests.databases import POSTGRES_URL
from tests.factories import make_territory


def test_pool_size_and_overflow_come_from_the_settings(tight_engine: Engine) -> None:
    assert tight_engine.pool.size() == 1  # type: ignore[attr-defined]
    assert tight_engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    settings = Settings(db_pool_size=7, db_max_overflow=3, db_wait_seconds=0.5)
    assert PoolLimits.from_settings(settings) == PoolLimits(
        size=7, overflow=3, wait_seconds=0.5, write_wait_seconds=5.0, sqlite_synchronous="NORMAL"
    )


@pytest.mark.parametrize(("setting", "level"), [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_commits_are_as_durable_as_the_setting_says(
    tmp_path: Path, setting: str, level: int
) -> None:
    limits = PoolLimits.from_settings(Settings(sqlite_synchronous=setting))
    engine = make_engine(f"sqlite:///{tmp_path / 'any.db'}", limits=limits)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == level
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_tools_outside_the_api_commit_with_a_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'any.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    engine.dispose()


def test_an_unknown_sqlite_sync_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        Settings(sqlite_synchronous="OFF")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="synchronous"):
        make_engine(f"sqlite:///{tmp_path / 'any.db'}", limits=PoolLimits(sqlite_synchronous="OFF"))


def test_a_request_that_cannot_get_a_connection_in_time_answers_503(
    tight_engine: Engine,
) -> None:
    factory = make_session_factory(tight_engine)
    with factory() as session:
        headers = make_territory(session).headers
    app = create_app(Settings(run_jobs=False), session_factory=factory)
    with tight_engine.connect(), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/sectors", headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.skipif(not POSTGRES_URL, reason="max_connections is PostgreSQL's")
def test_processes_that_would_exceed_max_connections_are_refused() -> None:
    assert POSTGRES_URL
    check_connection_budget(POSTGRES_URL, limits=PoolLimits(size=5, overflow=5), processes=4)
    with pytest.raises(ValueError, match="DB_POOL_SIZE"):
        check_connection_budget(POSTGRES_URL, limits=PoolLimits(size=30, overflow=0), processes=4)


def test_sqlite_needs_no_connection_budget(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'any.db'}"
    check_connection_budget(url, limits=PoolLimits(size=500, overflow=500), processes=64)
    assert not (tmp_path / "any.db").exists()


def test_background_work_outwaits_a_writer_that_a_request_gives_up_on(tmp_path: Path) -> None:
    path = tmp_path / "one-writer.db"
    lock = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    lock.execute("PRAGMA journal_mode=WAL")
    lock.execute("CREATE TABLE t (x INTEGER)")
    request_side = make_engine(f"sqlite:///{path}", limits=TIGHT)
    background_side = make_engine(f"sqlite:///{path}", limits=background_limits(TIGHT))
    lock.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, lock.execute, args=("COMMIT",))
    release.start()
    with pytest.raises(OperationalError, match="locked"), request_side.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with background_side.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    release.join()
    assert lock.execute("SELECT x FROM t").fetchall() == [(2,)]
    lock.close()
    request_side.dispose()
    background_side.dispose()
