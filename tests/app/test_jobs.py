"""Solve jobs: failures are reported, dead jobs do not stay running, one solve at a time,
a killed solver process is replaced and an overrunning one is stopped."""

import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.base import utcnow
from app.config import Settings
from app.db import make_session_factory
from app.events.models import StreamEvent
from app.main import create_app
from app.rotations.jobs import JobRunner
from app.rotations.models import Job
from app.rotations.solver_process import SolverProcess
from app.schema import upgrade
from tests.app import fake_solvers
from tests.app.rotation_scenarios import make_scenario
from tests.databases import BACKENDS, drop_database, fresh_database

JANUARY = {"period_start": "2027-01-01", "period_end": "2027-01-31"}
FEBRUARY = {"period_start": "2027-02-01", "period_end": "2027-02-28"}


def _queued_january_solve(client: TestClient, session: Session) -> tuple[dict[str, str], int, int]:
    """A small territory's January draft with a solve queued: headers, rotation and job ids."""
    headers = make_scenario(session).territory.headers
    rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    job_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    return headers, rotation_id, job_id


def test_failed_solve_is_reported_and_rotation_left_as_it_was(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    solver_process: SolverProcess,
) -> None:
    headers, rotation_id, job_id = _queued_january_solve(client, session)
    JobRunner(
        session_factory, solver_process=solver_process, solve=fake_solvers.refuse
    ).run_pending()
    job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "failed"
    assert "the model could not be built" in job["error"]
    detail = client.get(f"/v1/rotations/{rotation_id}", headers=headers).json()
    assert detail["solver_figures"] is None
    assert detail["latest_job"]["status"] == "failed"
    assert client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).status_code == 202
    told = session.scalars(select(StreamEvent).where(StreamEvent.kind == "job.progress")).all()
    assert [(e.data["job_id"], e.data["status"]) for e in told][-1] == (job_id, "failed")
    coordinator = session.get_one(Job, job_id).requested_by
    assert {e.user_id for e in told} == {coordinator}


def test_job_left_running_by_a_dead_server_is_failed(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    headers, rotation_id, job_id = _queued_january_solve(client, session)
    job = session.get_one(Job, job_id)
    job.status = "running"
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.commit()
    assert job_runner.fail_stale() == 1
    reported = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert reported["status"] == "failed" and "interrupted" in reported["error"]
    assert client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).status_code == 202


def test_a_killed_solver_process_fails_its_job_and_the_next_solve_succeeds(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    solver_process: SolverProcess,
) -> None:
    headers, rotation_id, killed_id = _queued_january_solve(client, session)
    dying = JobRunner(session_factory, solver_process=solver_process, solve=fake_solvers.die)
    assert dying.run_pending() == 1
    killed = client.get(f"/v1/jobs/{killed_id}", headers=headers).json()
    assert killed["status"] == "failed"
    assert "solver process stopped unexpectedly (exit code -9)" in killed["error"]
    assert solver_process.pid is None
    again_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    assert JobRunner(session_factory, solver_process=solver_process).run_pending() == 1
    again = client.get(f"/v1/jobs/{again_id}", headers=headers).json()
    assert again["status"] == "done", again["error"]
    detail = client.get(f"/v1/rotations/{rotation_id}", headers=headers).json()
    assert detail["solver_figures"]["uncovered"] == 0


def test_a_solver_past_its_limit_and_grace_is_stopped_and_another_rotation_still_solves(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    solver_process: SolverProcess,
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    january = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    february = client.post("/v1/rotations", headers=headers, json=FEBRUARY).json()["id"]
    solve = {"time_limit_s": 0.5}
    hung_id = client.post(f"/v1/rotations/{january}/solve", headers=headers, json=solve)
    next_id = client.post(f"/v1/rotations/{february}/solve", headers=headers, json=solve)
    runner = JobRunner(
        session_factory,
        solver_process=solver_process,
        solve=fake_solvers.hang_in_january,
        grace_seconds=1.5,
        heartbeat_seconds=0.2,
    )
    assert runner.run_pending() == 2
    hung = client.get(f"/v1/jobs/{hung_id.json()['id']}", headers=headers).json()
    assert hung["status"] == "failed" and 0 < hung["progress"] < 1
    assert "past its time limit of 0.5 s by more than 1.5 s and was stopped" in hung["error"]
    ran_for = datetime.fromisoformat(hung["finished_at"]) - datetime.fromisoformat(
        hung["started_at"]
    )
    assert timedelta(seconds=2) <= ran_for < timedelta(seconds=60)
    following = client.get(f"/v1/jobs/{next_id.json()['id']}", headers=headers).json()
    assert following["status"] == "done", following["error"]
    assert client.get(f"/v1/rotations/{february}", headers=headers).json()["solver_figures"]
    assert client.get(f"/v1/rotations/{january}", headers=headers).json()["solver_figures"] is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_running_solve_shows_its_figures_so_far_and_stopping_the_runner_kills_it(
    backend: str, tmp_path: Path
) -> None:
    engine, schema = fresh_database(backend, tmp_path)
    process = SolverProcess()
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        factory = make_session_factory(engine)
        with factory() as session:
            client = TestClient(create_app(Settings(run_jobs=False), session_factory=factory))
            headers, _, job_id = _queued_january_solve(client, session)
        runner = JobRunner(
            factory,
            solver_process=process,
            solve=fake_solvers.report_then_hang,
            heartbeat_seconds=0.2,
            poll_seconds=0.05,
        )
        runner.start()
        for _ in range(1200):
            running = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
            if running["result"] is not None:
                break
            threading.Event().wait(0.05)
        assert running["status"] == "running"
        assert running["result"] == fake_solvers.PROGRESS.to_dict()
        solver_pid = process.pid
        assert solver_pid is not None
        runner.stop()
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        assert job["status"] == "failed" and "the server stopped" in job["error"]
        assert process.pid is None
        with pytest.raises(ProcessLookupError):
            os.kill(solver_pid, 0)
    finally:
        process.stop()
        drop_database(engine, schema)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_solve_requests_queue_exactly_one_job(backend: str, tmp_path: Path) -> None:
    engine, schema = fresh_database(backend, tmp_path)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        factory = make_session_factory(engine)
        with factory() as session:
            scenario = make_scenario(session)
        app = create_app(Settings(run_jobs=False), session_factory=factory)
        headers = scenario.territory.headers
        rotation_id = (
            TestClient(app).post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
        )
        statuses = _post_concurrently(app, f"/v1/rotations/{rotation_id}/solve", headers, 8)
        assert sorted(statuses) == [202] + [409] * 7
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Job)) == 1
    finally:
        drop_database(engine, schema)


def _post_concurrently(app: Any, url: str, headers: dict[str, str], count: int) -> list[int]:
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def attempt() -> None:
        client = TestClient(app)
        barrier.wait()
        statuses.append(client.post(url, headers=headers).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
