"""SQLite: the API's commits never checkpoint the write-ahead log; a thread of the process
does, every second, without a write turn (app.checkpoints)."""

import sqlite3
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.checkpoints import WalCheckpointer
from app.config import Settings
from app.db import make_engine, make_session_factory
from app.main import create_app
from app.schema import upgrade
from tests.factories import make_territory


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def test_an_engine_checkpointed_in_background_never_checkpoints_on_commit(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    default, background = make_engine(url), make_engine(url, checkpoint_in_background=True)
    try:
        assert _autocheckpoint(default) == 1000
        assert _autocheckpoint(background) == 0
    finally:
        default.dispose()
        background.dispose()


def test_a_checkpoint_copies_the_whole_log_when_no_reader_needs_it(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}", checkpoint_in_background=True)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
            for _ in range(50):
                connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})
        checkpointer = WalCheckpointer(str(path))
        with sqlite3.connect(path) as own:
            done = checkpointer.checkpoint(own)
    finally:
        engine.dispose()
    assert not done.busy
    assert done.log_frames > 50 and done.checkpointed_frames == done.log_frames


def test_the_api_on_a_sqlite_file_checkpoints_its_log_in_background(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url, run_jobs=False))
    with TestClient(app):
        checkpointer: WalCheckpointer = app.state.checkpointer
        engine = app.state.session_factory.kw["bind"]
        assert _autocheckpoint(engine) == 0
        with make_session_factory(engine)() as session:
            make_territory(session, name="CPTS Journal")
            session.commit()
        deadline = time.monotonic() + 10
        while (last := checkpointer.last) is None or last.checkpointed_frames == 0:
            assert time.monotonic() < deadline, "no checkpoint within 10 s"
            time.sleep(0.1)
        assert last.checkpointed_frames == last.log_frames
        assert checkpointer.running
    assert not checkpointer.running, "stopped with the app"
