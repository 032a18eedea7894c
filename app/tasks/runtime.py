"""What a worker process shares between the tasks it runs: settings, database, solvers."""

import queue as queues
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from procrastinate import JobContext
from sqlalchemy.orm import Session, sessionmaker

import solver
from app.config import Settings
from app.rotations.jobs import JobRunner, SolveFunction
from app.tasks.app import RUNTIME


@dataclass
class WorkerRuntime:
    """One :class:`JobRunner` (with its solver process) per concurrent task slot, so solves
    running side by side never wait for each other's solver."""

    settings: Settings
    sessions: sessionmaker[Session]
    solve: SolveFunction = solver.solve
    _idle: "queues.SimpleQueue[JobRunner]" = field(default_factory=queues.SimpleQueue)
    _all: list[JobRunner] = field(default_factory=list)

    @contextmanager
    def runner(self) -> Iterator[JobRunner]:
        """A job runner for the calling task alone, returned to the pool after."""
        try:
            runner = self._idle.get_nowait()
        except queues.Empty:
            runner = JobRunner(
                self.sessions,
                solve=self.solve,
                grace_seconds=self.settings.solver_grace_seconds,
                stale_after=timedelta(seconds=self.settings.job_stale_seconds),
            )
            self._all.append(runner)
        try:
            yield runner
        finally:
            self._idle.put(runner)

    def close(self) -> None:
        """Stop every solver process this runtime started."""
        for runner in self._all:
            runner.stop()


def runtime_of(context: JobContext) -> WorkerRuntime:
    """The runtime of the worker running the task of ``context``."""
    runtime = context.additional_context[RUNTIME]
    assert isinstance(runtime, WorkerRuntime)
    return runtime
