"""End to end: the demo territory's month, solved, published and verified by the checker."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.demo import seed_demo
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, Shift
from app.rotations.solving import as_assignment, build_input
from tests.factories import bearer


def test_demo_month_is_published_and_passes_the_checker(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    tokens = seed_demo(session, today=date(2027, 1, 20))
    session.commit()
    headers = bearer(tokens.coordinator)
    period = {"period_start": "2027-02-01", "period_end": "2027-02-28"}
    rotation_id = client.post("/v1/rotations", headers=headers, json=period).json()["id"]
    job = client.post(
        f"/v1/rotations/{rotation_id}/solve", headers=headers, json={"time_limit_s": 30}
    )
    assert job.status_code == 202
    assert job_runner.run_pending() == 1
    figures = client.get(f"/v1/jobs/{job.json()['id']}", headers=headers).json()["result"]
    assert figures["status"] == "optimal", figures
    assert client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers).status_code == 200
    rotation = session.get_one(Rotation, rotation_id)
    instance = build_input(session, rotation=rotation).instance
    roster = [
        as_assignment(s)
        for s in session.scalars(select(Shift).where(Shift.rotation_id == rotation_id))
    ]
    assert len(roster) == sum(d.count for d in instance.demands) - figures["uncovered"]
    assert solver.check(instance, roster) == []
    report = client.get(f"/v1/rotations/{rotation_id}/report", headers=headers).json()
    assert all(c["coverage_pct"] == 100.0 for c in report["coverage"]), report["coverage"]
