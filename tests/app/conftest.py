"""Fixtures shared by the API tests that run real server processes."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.live import LiveDatabase, live_database
from tests.databases import BACKENDS


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveDatabase]:
    """A fresh migrated database of each backend, for real server processes."""
    with live_database(str(request.param), tmp_path) as database:
        yield database
