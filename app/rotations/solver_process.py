"""The solver's child process: one call at a time, stopped when it overruns, replaced when it dies.

A ``ProcessPoolExecutor`` whose worker is killed stays broken (every later call raises
``BrokenProcessPool``) and cannot stop a call that never returns. :class:`SolverProcess` keeps
one child started by ``spawn``, sends it a call over a pipe and waits with a deadline: past
it, or if the waiting side gives up, the child is killed; whenever the child is gone the next
call starts a new one. The child imports the solver before it says it is ready, so the
deadline counts solving time only, not the start of a fresh process.
"""

import importlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

READY = "ready"
REPORT, RETURN, RAISE = "report", "return", "raise"
START_TIMEOUT_SECONDS = 120.0
PRELOADED = ("solver",)


class SolverCrashed(Exception):
    """The child process ended (killed, out of memory…) before answering."""


class SolverOverran(Exception):
    """The call ran past its deadline; the child was killed."""


def _serve(connection: Connection, preload: tuple[str, ...]) -> None:
    """The child's loop: import ``preload``, then run each call received and send its outcome.

    A call that asks for reports gets a ``report`` callable (safe from any thread) whose
    values reach the parent, tagged ``REPORT``, before the outcome (``RETURN`` or ``RAISE``).
    """
    for module in preload:
        importlib.import_module(module)
    connection.send(READY)
    sending = threading.Lock()

    def report(value: Any) -> None:
        with sending:
            connection.send((REPORT, value))

    while True:
        try:
            function, args, reports = connection.recv()
        except EOFError:
            return
        try:
            value = function(*args, report=report) if reports else function(*args)
            outcome: tuple[str, Any] = (RETURN, value)
        except Exception as exc:
            outcome = (RAISE, exc)
        with sending:
            try:
                connection.send(outcome)
            except Exception as exc:
                connection.send((RAISE, RuntimeError(f"unsendable outcome: {exc}")))


class SolverProcess:
    """One spawned child that runs calls one at a time; safe to share between threads."""

    def __init__(self, *, preload: tuple[str, ...] = PRELOADED) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._preload = preload
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The current child's process id (``None`` before the first call or after a kill)."""
        process = self._process
        return None if process is None else process.pid

    def call(
        self,
        function: Callable[..., Any],
        *args: Any,
        timeout_s: float,
        on_wait: Callable[[], None],
        wait_step_s: float,
        on_report: Callable[[Any], None] | None = None,
    ) -> Any:
        """``function(*args)`` in the child; its exception is raised here.

        ``on_wait`` runs every ``wait_step_s`` while the child works; if it raises, the child
        is killed and the exception goes on. With ``on_report``, the child calls
        ``function(*args, report=…)`` and each value it reports is passed to ``on_report``
        here, in order, while waiting. After ``timeout_s`` the child is killed and
        :class:`SolverOverran` raised; if the child dies, :class:`SolverCrashed`.
        """
        with self._lock:
            connection = self._ready()
            deadline = time.monotonic() + timeout_s
            try:
                connection.send((function, args, on_report is not None))
                while True:
                    if connection.poll(max(0.0, min(wait_step_s, deadline - time.monotonic()))):
                        kind, value = connection.recv()
                        if kind != REPORT:
                            break
                        if on_report is not None:
                            on_report(value)
                    elif time.monotonic() < deadline:
                        on_wait()
                    if time.monotonic() >= deadline:
                        raise SolverOverran(f"no answer after {timeout_s:g} s")
            except (EOFError, OSError) as exc:
                raise SolverCrashed(self._discard()) from exc
            except BaseException:
                self._discard()
                raise
        if kind == RAISE:
            raise value
        return value

    def stop(self) -> None:
        """Kill the child now, even mid-call (that call raises :class:`SolverCrashed`)."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def _ready(self) -> Connection:
        if self._process is not None and self._connection is not None:
            if self._process.is_alive():
                return self._connection
            self._discard()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child, self._preload), name="solver", daemon=True
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        try:
            if parent.poll(START_TIMEOUT_SECONDS) and parent.recv() == READY:
                return parent
        except (EOFError, OSError):
            pass
        raise SolverCrashed(f"the solver process did not start ({self._discard()})")

    def _discard(self) -> str:
        """Kill and forget the child; returns how it ended, e.g. ``exit code -9``."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return "no process"
        if process.is_alive():
            process.kill()
        process.join(timeout=10)
        return f"exit code {process.exitcode}"
