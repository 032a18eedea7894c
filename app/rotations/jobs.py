"""Background solves: claimed from the ``jobs`` table, solved in another process.

With ``JOB_BACKEND=inprocess`` every API process runs one :class:`JobRunner` thread; with
``procrastinate`` the ``cpts-snp worker`` processes run each job through
:meth:`JobRunner.run_job` (see ``app.tasks.solve``). A job is claimed with an atomic
``UPDATE … WHERE status = 'queued'``, so several processes never run the same job; while
it runs its heartbeat is refreshed, and a running job whose heartbeat went stale (its
process died or restarted) is marked failed, so no job stays "running" forever.

The solve runs in a :class:`~app.rotations.solver_process.SolverProcess`: a solver that runs
past its time limit plus ``SOLVER_GRACE_SECONDS`` is killed and its job failed, so the jobs
queued behind it (other rotations') wait at most that long; a solver process that dies fails
its job only, and the next solve starts a new process.
"""

import logging
import threading
import time
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import solver
from app.base import utcnow
from app.config import DEFAULT_SOLVER_GRACE_SECONDS
from app.db import declare_write_intent
from app.events.kinds import job_progress
from app.notifications import service as notify
from app.rotations.models import Job, JobKind, JobStatus, Rotation, RotationChange, Shift
from app.rotations.solver_process import SolverCrashed, SolverOverran, SolverProcess
from app.rotations.solving import SolveInput, build_input, store_repair, store_solution
from app.slots.service import sync_slots
from solver.progress import Report

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=60)


class SolveFunction(Protocol):
    """What a job runs in the solver process: ``solver.solve`` or a test's stand-in."""

    def __call__(
        self, instance: solver.Instance, config: solver.SolverConfig, report: Report | None = None
    ) -> solver.Result: ...


def solver_config(params: dict[str, Any]) -> solver.SolverConfig:
    """Solve parameters recorded on the job: the time limit bounds the solver's
    deterministic work (same draft and seed, same roster) and, as a safety net, its
    wall-clock time (a solve stopped by the latter may differ from one run to the next)."""
    limit = float(params.get("time_limit_s", 10.0))
    return solver.SolverConfig(
        time_limit_s=limit, wall_time_limit_s=limit, seed=int(params.get("seed", 0))
    )


class JobFailed(Exception):
    """A job that cannot complete; its message is shown to the coordinator."""


class JobRunner:
    """Claims queued jobs and runs them, one at a time, with a live heartbeat.

    ``solve`` runs in ``solver_process`` (a picklable function: tests pass stand-ins that
    hang or crash); the runner owns, and stops, the process it starts when none is given.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        solver_process: SolverProcess | None = None,
        solve: SolveFunction = solver.solve,
        grace_seconds: float = DEFAULT_SOLVER_GRACE_SECONDS,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 2.0,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._sessions = session_factory
        self._solver = solver_process or SolverProcess()
        self._owns_solver = solver_process is None
        self._solve = solve
        self._grace = grace_seconds
        self._poll = poll_seconds
        self._heartbeat = heartbeat_seconds
        self._stale_after = stale_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and the solver process; a job still solving is failed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._heartbeat + 10)
        if self._owns_solver:
            self._solver.stop()

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

    def run_job(self, job_id: int, *, resume: bool = False) -> bool:
        """Run job ``job_id`` now if it is still queued, or with ``resume`` also if it is
        left running by a dead worker; returns whether it ran."""
        with self._sessions() as session, session.begin():
            declare_write_intent(session)
            claimed = _claim(session, job_id, resume=resume)
        if claimed:
            self._run(job_id)
        return claimed

    def fail_stale(self) -> int:
        """Mark running jobs with a stale heartbeat as failed; returns how many."""
        limit = utcnow() - self._stale_after
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
                if _claim(session, job_id):
                    return job_id
        return None

    def _run(self, job_id: int) -> None:
        try:
            solve_input, params = self._prepare(job_id)
            config = solver_config(params)
            result = self._solve_in_child(job_id, solve_input, config)
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
                locks="strict",
            )
            return solve_input, dict(job.params)

    def _solve_in_child(
        self, job_id: int, solve_input: SolveInput, config: solver.SolverConfig
    ) -> solver.Result:
        """The solver's result, with the job's heartbeat and progress kept while it runs, and
        its figures so far (``solver.Progress``) as the job's result until it is done."""
        started = time.monotonic()
        limit_s = config.time_limit_s

        def beat() -> None:
            if self._stop.is_set():
                raise JobFailed("interrupted: the server stopped while the job was running")
            progress = min(0.99, (time.monotonic() - started) / max(limit_s, 0.001))
            with self._sessions() as session, session.begin():
                session.execute(
                    update(Job)
                    .where(Job.id == job_id)
                    .values(heartbeat_at=utcnow(), progress=round(progress, 3))
                )
                job_progress(session, job_id)

        try:
            result: solver.Result = self._solver.call(
                self._solve,
                solve_input.instance,
                config,
                timeout_s=limit_s + self._grace,
                on_wait=beat,
                wait_step_s=self._heartbeat,
                on_report=lambda progress: self._record(job_id, progress),
            )
        except SolverOverran as exc:
            raise JobFailed(
                f"the solver ran past its time limit of {limit_s:g} s by more than "
                f"{self._grace:g} s and was stopped; solve again, perhaps with a shorter limit"
            ) from exc
        except SolverCrashed as exc:
            raise JobFailed(
                f"the solver process stopped unexpectedly ({exc}); solve again: "
                "a new solver process starts"
            ) from exc
        return result

    def _record(self, job_id: int, progress: solver.Progress) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.running.value)
                .values(result=progress.to_dict())
            )
            job_progress(session, job_id)

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
            job_progress(session, job_id)

    def _finish(self, job_id: int, *, status: JobStatus, error: str) -> None:
        with self._sessions() as session, session.begin():
            job = session.get_one(Job, job_id)
            job.status = status.value
            job.error = error
            job.finished_at = utcnow()
            job_progress(session, job_id)

    def give_up(self, job_id: int, *, error: str) -> None:
        """Mark job ``job_id`` failed with ``error`` unless it already ended."""
        with self._sessions() as session, session.begin():
            job = session.get_one(Job, job_id)
            if job.status in (JobStatus.done.value, JobStatus.failed.value):
                return
        self._finish(job_id, status=JobStatus.failed, error=error)


def _claim(session: Session, job_id: int, *, resume: bool = False) -> bool:
    """Mark job ``job_id`` running if it is queued (or, resuming, running): one process wins;
    returns whether it did."""
    now = utcnow()
    statuses = [JobStatus.queued.value] + ([JobStatus.running.value] if resume else [])
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(statuses))
        .values(status=JobStatus.running.value, started_at=now, heartbeat_at=now)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


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
