"""A real `cpts-snp` server in a subprocess, on a database of the test's own, for tests
that must see what a user sees: the README tour, the Dockerfile's health check."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from app.serving import EVENT_LOOP, HTTP_PROTOCOL
from tests.databases import drop_database, fresh_database

CLI = str(Path(sys.executable).with_name("cpts-snp"))
STARTUP_SECONDS = 90.0


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served_in_thread(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a thread of this process, on the event loop and HTTP
    protocol ``cpts-snp serve`` uses; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", loop=EVENT_LOOP, http=HTTP_PROTOCOL
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def database_url(backend: str, tmp_dir: Path) -> Iterator[str]:
    """The URL of an empty database (a SQLite file or a PostgreSQL schema), dropped after."""
    engine, schema = fresh_database(backend, tmp_dir)
    url = engine.url.render_as_string(hide_password=False)
    if schema is not None:
        url += f"?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        drop_database(engine, schema)


def cli_env(url: str, port: int) -> dict[str, str]:
    """The environment of a `cpts-snp` process on ``url``, serving on ``port``."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "warning",
    }


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> str:
    """Run one `cpts-snp` command to its end; its output (fails the test on an error)."""
    done = subprocess.run(
        [CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"cpts-snp {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def serving(env: dict[str, str], cwd: Path, *options: str) -> Iterator[str]:
    """`cpts-snp serve` with ``env`` (and ``options``, e.g. ``--workers 2``) until the block
    ends; yields its base URL once ready. Its output goes to ``cwd / "server.log"``."""
    base = f"http://127.0.0.1:{env['PORT']}"
    log = (cwd / "server.log").open("w")
    server = subprocess.Popen([CLI, "serve", *options], env=env, cwd=cwd, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ready(base):
            assert server.poll() is None, (cwd / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not become ready in time"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
