"""Fixtures shared by the API tests that run real server processes or hold real pools."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db import PoolLimits, make_engine
from app.schema import upgrade
from tests.app.live import LiveDatabase, live_database
from tests.databases import BACKENDS, drop_database, fresh_database

TIGHT = PoolLimits(size=1, overflow=0, wait_seconds=0.3, write_wait_seconds=0.3)


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveDatabase]:
    """A fresh migrated database of each backend, for real server processes."""
    with live_database(str(request.param), tmp_path) as database:
        yield database


@pytest.fixture(params=BACKENDS)
def tight_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of each backend behind a pool of a single connection."""
    engine, schema = fresh_database(str(request.param), tmp_path)
    with engine.begin() as conn:
        upgrade(connection=conn)
    url = engine.url.render_as_string(hide_password=False)
    options = {} if schema is None else {"options": f"-c search_path={schema}"}
    tight = make_engine(url, limits=TIGHT, **options)
    try:
        yield tight
    finally:
        tight.dispose()
        drop_database(engine, schema)
