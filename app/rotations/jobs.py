"""Background solves: claimed from the ``jobs`` table, solved in another process.

Every API process runs one :class:`JobRunner` thread. A job is claimed with an atomic
``UPDATE … WHERE status = 'queued'``, so several processes never run the same job; while
it runs its heartbeat is refreshed, and a running job whose heartbeat went stale (its
process died or restarted) is marked failed, so no job stays "running" forever.
"""

import logging
import multiprocessing
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import solver
from app.base import utcnow
from app.db import declare_write_intent
from app.notifications import service as notify
from app.rotations.models import Job, JobKind, JobStatus, Rotation, RotationChange, Shift
from app.rotations.solving import SolveInput, build_input, store_repair, store_solution
from app.slots.service import sync_slots

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=60)


def solver_process_pool() -> ProcessPoolExecutor:
    """One worker process (the solver itself uses every core), started fresh by spawn."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def solver_config(params: dict[str, Any]) -> solver.SolverConfig:
    """Solve parameters recorded on the job."""
    return solver.SolverConfig(
        time_limit_s=float(params.get("time_limit_s", 10.0)),
        seed=int(params.get("seed", 0)),
    )


class JobFailed(Exception):
    """A job that cannot complete; its message is shown to the coordinator."""


class JobRunner:
    """Claims queued jobs and runs them, one at a time, with a live heartbeat."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        executor: Executor | None = None,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 2.0,
    ) -> None:
        self._sessions = session_factory
        self._executor = executor or solver_process_pool()
        self._owns_executor = executor is None
        self._poll = poll_seconds
        self._heartbeat = heartbeat_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the current job) and the solver process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.fail_stale()
                self.run_pending()
            except Exception:
                logger.exception("job runner iteration failed")
            self._stop.wait(self._poll)

    def run_pending(self) -> int:
        """Run every queued job now; returns how many ran."""
        ran = 0
        while (job_id := self._claim()) is not None:
            self._run(job_id)
            ran += 1
        return ran

    def fail_stale(self) -> int:
        """Mark running jobs with a stale heartbeat as failed; returns how many."""
        limit = utcnow() - STALE_AFTER
        with self._sessions() as session, session.begin():
            outcome = session.execute(
                update(Job)
                .where(Job.status == JobStatus.running.value, Job.heartbeat_at < limit)
                .values(
                    status=JobStatus.failed.value,
                    finished_at=utcnow(),
                    error="interrupted: the server stopped while the job was running",
                )
            )
            return int(outcome.rowcount or 0)  # type: ignore[attr-defined]

    def _claim(self) -> int | None:
        with self._sessions() as session, session.begin():
            declare_write_intent(session)
            queued = session.scalars(
                select(Job.id).where(Job.status == JobStatus.queued.value).order_by(Job.id)
            ).all()
            for job_id in queued:
                now = utcnow()
                claimed = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.queued.value)
                    .values(status=JobStatus.running.value, started_at=now, heartbeat_at=now)
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return job_id
        return None

    def _run(self, job_id: int) -> None:
        try:
            solve_input, params = self._prepare(job_id)
            config = solver_config(params)
            future = self._executor.submit(solver.solve, solve_input.instance, config)
            result = self._wait(job_id, future, config.time_limit_s)
            self._store(job_id, solve_input, result)
        except Exception as exc:
            logger.warning("job %s failed: %s", job_id, exc)
            self._finish(job_id, status=JobStatus.failed, error=_describe(exc))

    def _prepare(self, job_id: int) -> tuple[SolveInput, dict[str, Any]]:
        with self._sessions() as session, session.begin():
            job = session.get_one(Job, job_id)
            rotation = session.get_one(Rotation, job.rotation_id)
            first_day = job.params.get("first_day")
            solve_input = build_input(
                session,
                rotation=rotation,
                first_day=date.fromisoformat(first_day) if first_day else None,
                keep_current=job.kind == JobKind.repair.value,
            )
            return solve_input, dict(job.params)

    def _wait(self, job_id: int, future: "Future[solver.Result]", limit_s: float) -> solver.Result:
        started = time.monotonic()
        while True:
            try:
                return future.result(timeout=self._heartbeat)
            except FutureTimeout:
                progress = min(0.99, (time.monotonic() - started) / max(limit_s, 0.001))
                with self._sessions() as session, session.begin():
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id)
                        .values(heartbeat_at=utcnow(), progress=round(progress, 3))
                    )

    def _store(self, job_id: int, solve_input: SolveInput, result: solver.Result) -> None:
        with self._sessions() as session, session.begin():
            job = session.get_one(Job, job_id)
            rotation = session.get_one(Rotation, job.rotation_id)
            if job.kind == JobKind.solve.value:
                _store_solve(session, rotation, solve_input, result)
                summary: dict[str, Any] = {}
            else:
                summary = _store_repair(session, job, rotation, solve_input, result)
            job.result = {**(rotation.solver_figures or {}), **summary}
            job.status = JobStatus.done.value
            job.progress = 1.0
            job.finished_at = utcnow()

    def _finish(self, job_id: int, *, status: JobStatus, error: str) -> None:
        with self._sessions() as session, session.begin():
            job = session.get_one(Job, job_id)
            job.status = status.value
            job.error = error
            job.finished_at = utcnow()


def _describe(exc: Exception) -> str:
    if isinstance(exc, JobFailed | solver.InstanceError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _store_solve(
    session: Session, rotation: Rotation, solve_input: SolveInput, result: solver.Result
) -> None:
    if rotation.status != "draft":
        raise JobFailed(f"rotation {rotation.id} was {rotation.status} before the solve ended")
    store_solution(session, rotation=rotation, solve_input=solve_input, result=result)


def _describe_shift(shift: Shift) -> dict[str, Any]:
    return {
        "shift_id": shift.id,
        "practitioner_id": shift.practitioner_id,
        "day": shift.day.isoformat(),
        "block": shift.block,
        "sector_id": shift.sector_id,
    }


def _store_repair(
    session: Session, job: Job, rotation: Rotation, solve_input: SolveInput, result: solver.Result
) -> dict[str, Any]:
    gaps_before = notify.open_gaps(session, rotation)
    cancelled, added = store_repair(
        session, rotation=rotation, solve_input=solve_input, result=result
    )
    sync_slots(session, rotation=rotation)
    notify.shifts_changed(
        session,
        rotation=rotation,
        kind="repair",
        added=added,
        removed=cancelled,
        gaps_before=gaps_before,
    )
    details = {
        "from_day": solve_input.first_day.isoformat(),
        "cancelled_shift_ids": [s.id for s in cancelled],
        "added_shift_ids": [s.id for s in added],
        "cancelled": [_describe_shift(s) for s in cancelled],
        "added": [_describe_shift(s) for s in added],
    }
    session.add(
        RotationChange(
            cpts_id=rotation.cpts_id,
            rotation_id=rotation.id,
            kind="repair",
            actor_user_id=job.requested_by,
            at=utcnow(),
            reason=job.params.get("reason"),
            details=details,
        )
    )
    return {"changes": details, "changed": len(cancelled) + len(added)}
