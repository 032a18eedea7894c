"""Solve jobs: failures are reported, dead jobs do not stay running, one solve at a time."""

import threading
from concurrent.futures import Executor, Future
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.base import utcnow
from app.config import Settings
from app.db import make_session_factory
from app.main import create_app
from app.rotations.jobs import JobRunner
from app.rotations.models import Job
from app.schema import upgrade
from tests.app.rotation_scenarios import make_scenario
from tests.databases import BACKENDS, drop_database, fresh_database

JANUARY = {"period_start": "2027-01-01", "period_end": "2027-01-31"}


class CrashingExecutor(Executor):
    """Stands in for a solver process that dies."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> "Future[Any]":
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("solver process crashed"))
        return future


def test_failed_solve_is_reported_and_rotation_left_as_it_was(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    job_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    JobRunner(session_factory, executor=CrashingExecutor()).run_pending()
    job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "failed"
    assert "solver process crashed" in job["error"]
    detail = client.get(f"/v1/rotations/{rotation_id}", headers=headers).json()
    assert detail["solver_figures"] is None
    assert detail["latest_job"]["status"] == "failed"
    assert client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).status_code == 202


def test_job_left_running_by_a_dead_server_is_failed(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    rotation_id = client.post("/v1/rotations", headers=headers, json=JANUARY).json()["id"]
    job_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    job = session.get_one(Job, job_id)
    job.status = "running"
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.commit()
    assert job_runner.fail_stale() == 1
    reported = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert reported["status"] == "failed" and "interrupted" in reported["error"]
    assert client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).status_code == 202


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
