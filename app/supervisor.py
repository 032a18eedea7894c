"""``cpts-snp serve --workers N``: N uvicorn processes, each listening on a socket of its own.

Uvicorn's own supervisor binds one listening socket and shares it with its workers: the worker
that wakes first accepts every connection waiting, so 16 connections opened at once all went to
one of two workers (``ss -tnp`` during bench.hot_paths) while the other idled. Here every
worker binds the same address with ``SO_REUSEPORT`` and the kernel spreads new connections
over their sockets. The supervisor holds the port (bound, never listening: the kernel gives it
no connection) and starts a worker again when one dies.
"""

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("app.supervisor")

CHECK_SECONDS = 0.5
"""How often the supervisor looks for a worker that died."""
STOP_SECONDS = 30
"""How long a stopping worker may take (its own graceful shutdown) before it is killed."""

_spawn = multiprocessing.get_context("spawn")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other processes may bind too (SO_REUSEPORT);
    the kernel spreads connections over those of them that listen."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve_worker(config: uvicorn.Config) -> None:
    """One worker process: listen on a socket of its own and serve until told to stop."""
    config.configure_logging()
    try:
        sock = reuse_port_socket(config.host, config.port)
    except OSError as exc:
        logger.error("worker could not listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


class Workers:
    """Runs ``count`` worker processes of ``config`` until SIGINT or SIGTERM, replacing any
    that dies; stops for good if one fails to start (the same fault would repeat)."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config = config
        self.count = count
        self.processes: list[SpawnProcess] = []
        self.should_exit = threading.Event()
        self.failed = False

    def run(self) -> None:
        """Hold the port, start the workers, watch them; on a stop signal, stop them.
        Exits with uvicorn's startup-failure code if the port is taken or a worker fails
        to start."""
        try:
            holder = reuse_port_socket(self.config.host, self.config.port)
        except OSError as exc:
            logger.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, exc)
            sys.exit(STARTUP_FAILURE)
        self.config.port = holder.getsockname()[1]
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._stop_signal)
        try:
            self.processes = [self._start() for _ in range(self.count)]
            while not self.should_exit.wait(CHECK_SECONDS):
                self._replace_dead()
        finally:
            self._stop_all()
            holder.close()
        if self.failed:
            sys.exit(STARTUP_FAILURE)

    def _stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping the workers", signal.Signals(signum).name)
        self.should_exit.set()

    def _start(self) -> SpawnProcess:
        process = _spawn.Process(target=serve_worker, args=(self.config,))
        process.start()
        logger.info("started worker process %s", process.pid)
        return process

    def _replace_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:
                logger.error("worker process %s failed to start; stopping", process.pid)
                self.failed = True
                self.should_exit.set()
                return
            logger.warning("worker process %s died (exit code %s)", process.pid, process.exitcode)
            self.processes[index] = self._start()

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


def serve(app: str, *, workers: int, **options: Any) -> None:
    """Serve the ASGI app named ``app`` with uvicorn's ``options``: in this process when
    ``workers`` is 1, else in ``workers`` processes under :class:`Workers`."""
    if workers == 1:
        uvicorn.run(app, **options)
    else:
        Workers(uvicorn.Config(app, **options), workers).run()
