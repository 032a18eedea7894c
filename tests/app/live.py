"""Real `cpts-snp serve` processes on a fresh database, for tests that need true concurrency,
real commits and more than one API process."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_session_factory
from app.schema import upgrade
from tests.databases import POSTGRES_URL, drop_database, fresh_database

CLI = Path(sys.executable).with_name("cpts-snp")
START_SECONDS = 60.0


@dataclass(frozen=True)
class LiveDatabase:
    """A migrated database, its URL for the servers and a factory for arranging data."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]


@contextmanager
def live_database(backend: str, tmp_dir: Path) -> Iterator[LiveDatabase]:
    """A fresh migrated database (SQLite file or PostgreSQL schema), dropped afterwards."""
    engine, schema = fresh_database(backend, tmp_dir)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        if schema is None:
            url = str(engine.url)
        else:
            assert POSTGRES_URL
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        yield LiveDatabase(url, engine, make_session_factory(engine))
    finally:
        drop_database(engine, schema)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(database_url: str, **env: str) -> Iterator[str]:
    """``cpts-snp serve`` on a free port; yields its base URL and stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "warning",
            "RUN_JOBS": "false",
            **env,
        },
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def served_many(database_url: str, count: int, **env: str) -> Iterator[list[str]]:
    """``count`` separate server processes on the same database."""
    with ExitStack() as stack:
        yield [stack.enter_context(served(database_url, **env)) for _ in range(count)]


def _wait_until_up(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cpts-snp serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"cpts-snp serve did not answer within {START_SECONDS} s")
