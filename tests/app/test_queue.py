"""Jobs on the procrastinate queue (``JOB_BACKEND=procrastinate``): the API only queues, a
separate ``cpts-snp worker`` solves; a worker killed mid-solve leaves no job running for
ever; periodic tasks fire at their ticks (an injected clock); readiness needs a live worker.
"""

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from procrastinate import JobContext
from procrastinate.jobs import Job
from procrastinate.periodic import PeriodicDeferrer
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import cli
from app.config import Settings, get_settings
from app.main import create_app
from app.notifications.models import Notification
from app.rotations.jobs import JobRunner
from app.rotations.models import Shift
from app.tasks.app import RUNTIME, queue
from app.tasks.notifications import reminders
from app.tasks.runtime import WorkerRuntime
from app.tasks.solve import MAX_ATTEMPTS, solve_job
from tests.app.live import LiveDatabase, live_database
from tests.app.rotation_scenarios import make_scenario
from tests.app.slot_scenarios import make_booking_scenario
from tests.app.test_notifications import subscribe
from tests.databases import POSTGRES_URL
from tests.live import CLI, cli_env, free_port

needs_postgres = pytest.mark.skipif(POSTGRES_URL is None, reason="needs TEST_DATABASE_URL")

JANUARY = {"period_start": "2027-01-01", "period_end": "2027-01-31"}
DEADLINE_SECONDS = 120.0
FAST_WORKER = {
    "JOB_BACKEND": "procrastinate",
    "WORKER_HEARTBEAT_SECONDS": "0.2",
    "WORKER_STALLED_SECONDS": "1",
    "JOB_STALE_SECONDS": "600",
    "LOG_LEVEL": "info",
}
DAY = 24 * 3600
ADD_WORKER = "INSERT INTO procrastinate_workers (last_heartbeat) VALUES"
REPO = Path(__file__).resolve().parents[2]
"""On the workers' path: ``--solver`` names a stand-in of ``tests.app.fake_solvers``."""


def _queue_settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        job_backend="procrastinate",
        worker_heartbeat_seconds=0.2,
        worker_stalled_seconds=1,
    )


def _until(
    check: Callable[[], Any], what: str, worker: subprocess.Popen[bytes] | None = None
) -> Any:
    """Poll ``check`` until it returns something truthy; fail past the deadline, or as soon
    as ``worker`` ends."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not (outcome := check()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        assert worker is None or worker.poll() is None, f"the worker ended ({what})"
        time.sleep(0.1)
    return outcome


@contextmanager
def _worker(live: LiveDatabase, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """``cpts-snp worker`` (and its solver process, in a session of their own) on the live
    database until the block ends."""
    env = {**cli_env(live.url, free_port()), **FAST_WORKER, "PYTHONPATH": str(REPO)}
    log = (live.workdir / f"worker-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen(
        [CLI, "worker", *extra],
        env=env,
        cwd=live.workdir,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def _job_ends_in(
    client: TestClient,
    headers: dict[str, str],
    job_id: int,
    statuses: set[str],
    worker: subprocess.Popen[bytes],
) -> Any:
    """The job, once its status is one of ``statuses`` (polled while ``worker`` lives)."""

    def reached() -> Any:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        return job if job["status"] in statuses else None

    return _until(reached, f"a job {' or '.join(sorted(statuses))}", worker)


@contextmanager
def _queue_api(tmp_path: Path) -> Iterator[tuple[LiveDatabase, TestClient, dict[str, str]]]:
    """A PostgreSQL database with a small territory, an API that queues jobs for workers,
    and the coordinator's headers."""
    with live_database("postgresql", tmp_path) as live:
        with live.sessions() as session:
            headers = make_scenario(session).territory.headers
        app = create_app(_queue_settings(live.url), session_factory=live.sessions)
        with TestClient(app) as client:
            yield live, client, headers


def _queued_solve(client: TestClient, headers: dict[str, str]) -> tuple[int, int]:
    rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    queued = client.post(
        f"/v1/rotations/{rotation_id}/solve", headers=headers, json={"time_limit_s": 30}
    )
    assert queued.status_code == 202, queued.text
    return rotation_id, int(queued.json()["id"])


def _shifts(sessions: sessionmaker[Session], rotation_id: int) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(Shift).where(Shift.rotation_id == rotation_id)
        return int(session.scalar(query) or 0)


@needs_postgres
def test_a_solve_queued_through_the_api_is_run_by_a_worker_process(tmp_path: Path) -> None:
    with _queue_api(tmp_path) as (live, client, headers):
        unready = client.get("/readyz")
        assert unready.status_code == 503
        assert unready.json() == {"status": "no worker alive"}
        assert unready.headers["Retry-After"]
        rotation_id, job_id = _queued_solve(client, headers)
        assert client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] == "queued"
        with _worker(live) as worker:
            _until(lambda: client.get("/readyz").status_code == 200, "a live worker", worker)
            job = _job_ends_in(client, headers, job_id, {"done", "failed"}, worker)
        assert job["status"] == "done", job
        assert job["progress"] == 1.0
        assert _shifts(live.sessions, rotation_id) > 0


@needs_postgres
def test_a_queued_solve_carries_the_id_of_the_request_that_queued_it(tmp_path: Path) -> None:
    with _queue_api(tmp_path) as (live, client, headers):
        rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
        queued = client.post(
            f"/v1/rotations/{rotation_id}/solve",
            headers={**headers, "X-Request-ID": "solve-42"},
            json={"time_limit_s": 30},
        )
        assert queued.status_code == 202, queued.text
        with live.sessions() as session:
            args = session.scalars(text("SELECT args FROM procrastinate_jobs")).all()
        assert args == [{"job_id": queued.json()["id"], "request_id": "solve-42"}]


@needs_postgres
def test_a_worker_killed_mid_solve_leaves_the_job_to_another_worker(tmp_path: Path) -> None:
    with _queue_api(tmp_path) as (live, client, headers):
        rotation_id, job_id = _queued_solve(client, headers)
        with _worker(live, "--solver", "tests.app.fake_solvers:hang_in_january") as first:
            _job_ends_in(client, headers, job_id, {"running"}, first)
            os.killpg(first.pid, signal.SIGKILL)  # the worker's machine is lost
            first.wait(timeout=10)
        assert client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] == "running"
        with _worker(live) as second:  # its sweep retries the dead worker's task, which it runs
            job = _job_ends_in(client, headers, job_id, {"done", "failed"}, second)
        assert job["status"] == "done", job
        assert _shifts(live.sessions, rotation_id) > 0


@needs_postgres
def test_readiness_needs_a_worker_with_a_recent_heartbeat(tmp_path: Path) -> None:
    with live_database("postgresql", tmp_path) as live:
        app = create_app(_queue_settings(live.url), session_factory=live.sessions)
        with live.engine.begin() as conn:  # a worker that died an hour ago
            conn.execute(text(f"{ADD_WORKER} (now() - interval '1 hour')"))
        with TestClient(app) as client:
            silent = client.get("/readyz")
            assert silent.status_code == 503 and silent.headers["Retry-After"]
            with live.engine.begin() as conn:
                conn.execute(text(f"{ADD_WORKER} (now())"))
            assert client.get("/readyz").json() == {"status": "ok"}


def test_the_queue_is_refused_on_sqlite_and_the_worker_needs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="JOB_BACKEND: procrastinate needs PostgreSQL"):
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", job_backend="procrastinate")
    with pytest.raises(ValidationError, match="WORKER_STALLED_SECONDS"):
        Settings(worker_heartbeat_seconds=10, worker_stalled_seconds=5)
    assert Settings(database_url="postgresql+psycopg://db/snp", job_backend="procrastinate")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.delenv("JOB_BACKEND", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match="set JOB_BACKEND=procrastinate"):
            cli.main(["worker"])
    finally:
        get_settings.cache_clear()


def test_periodic_tasks_fire_at_their_ticks() -> None:
    """A worker's deferrer, driven by a fake clock through one day, minute by minute."""
    queue.perform_import_paths()
    deferrer = PeriodicDeferrer(queue.periodic_registry)
    start = datetime(2027, 1, 11, 0, 0, 5, tzinfo=UTC).timestamp()
    list(deferrer.get_previous_tasks(at=start))  # the ticks before the clock starts
    day = [
        fired
        for minute in range(1, DAY // 60 + 1)
        for fired in deferrer.get_previous_tasks(at=start + 60 * minute)
    ]
    ticks = Counter(task.task.name for task, _ in day)
    assert ticks == {
        "deliver_notifications": DAY // 10,
        "sweep_stale_jobs": DAY // 15,
        "write_unread_notices": DAY // 60,
        "expire_open_requests": DAY // 60,
        "write_reminders": DAY // 300,
        "purge": 1,
    }
    purges = [at for task, at in day if task.task.name == "purge"]
    assert purges == [datetime(2027, 1, 11, 3, 0, tzinfo=UTC).timestamp()]


def test_the_reminder_task_writes_tomorrows_reminders_from_the_cpts_reminder_hour(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    for gp in booking.scenario.gps:
        headers = booking.practitioner_headers(session, gp.id)
        subscribe(client, headers, email=f"gp{gp.id}@example.org", webhook=None)
    coordinator = booking.scenario.territory.headers
    refused = client.patch("/v1/settings", headers=coordinator, json={"reminder_time": "25:00"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "reminder_time"
    changed = client.patch("/v1/settings", headers=coordinator, json={"reminder_time": "10:00"})
    assert changed.status_code == 200 and changed.json()["reminder_time"] == "10:00:00"
    context = _task_context(WorkerRuntime(Settings(run_jobs=False), session_factory))
    early = datetime(2027, 1, 11, 8, 55, tzinfo=UTC)  # 09:55 in Paris: before 10:00
    assert reminders(context, timestamp=int(early.timestamp())) == 0
    on_time = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert reminders(context, timestamp=int(on_time.timestamp())) == 1
    assert reminders(context, timestamp=int(on_time.timestamp()) + 300) == 0
    reminder = session.scalars(select(Notification)).one()
    assert reminder.idempotency_key.startswith("shift_reminder:")


def test_a_solve_whose_workers_died_too_often_is_failed(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    headers = make_scenario(session).territory.headers
    rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    job_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    runtime = WorkerRuntime(Settings(run_jobs=False), session_factory)
    last_try = solve_job.configure().job.evolve(attempts=MAX_ATTEMPTS)
    solve_job(_task_context(runtime, last_try), job_id=job_id)
    job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "failed"
    assert job["error"] == f"interrupted: the worker running it stopped {MAX_ATTEMPTS} times"


def _task_context(runtime: WorkerRuntime, job: Job | None = None) -> JobContext:
    """What a worker hands its tasks: the runtime, and the queue's job."""
    return JobContext(
        app=queue,
        job=job or reminders.configure().job,
        start_timestamp=0.0,
        abort_reason=lambda: None,
        additional_context={RUNTIME: runtime},
    )
