"""The demo territory: published from the day it is seeded so a search books at once,
fresh tokens at each run, and a month solved, published and verified by the checker."""

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import solver
from app.demo import seed_demo
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, RotationStatus, Shift
from app.rotations.solving import as_assignment, build_input
from tests.conftest import FrozenClock
from tests.factories import bearer

SUNDAY = date(2027, 1, 24)


def test_demo_month_is_published_and_passes_the_checker(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    tokens = seed_demo(session, today=date(2027, 1, 20))
    session.commit()
    headers = bearer(tokens.coordinator)
    period = {"period_start": "2027-03-01", "period_end": "2027-03-31"}
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


def test_demo_is_published_from_today_and_a_search_finds_slots_at_any_hour(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    tokens = seed_demo(session, today=SUNDAY)
    session.commit()
    (rotation,) = session.scalars(select(Rotation)).all()
    assert rotation.status == RotationStatus.published.value
    assert (rotation.period_start, rotation.period_end) == (SUNDAY, SUNDAY + timedelta(weeks=4))
    pharmacist = bearer(tokens.pharmacist)
    for local_hour in range(24):  # Paris is UTC+1 in January
        day = SUNDAY if local_hour < 23 else SUNDAY + timedelta(days=7)
        clock.now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=local_hour)
        found = client.get("/v1/slots?profession=gp&within_hours=24", headers=pharmacist)
        assert found.status_code == 200, found.text
        assert found.json()["items"], f"no GP slot within 24 h at {clock.now}"


def test_seeding_again_revokes_the_previous_tokens_and_extends_the_rotation(
    client: TestClient, session: Session
) -> None:
    first = seed_demo(session, today=SUNDAY)
    session.commit()
    later = SUNDAY + timedelta(days=10)
    second = seed_demo(session, today=later)
    session.commit()
    for old in (first.coordinator, first.practitioner, first.pharmacist):
        assert client.get("/v1/me", headers=bearer(old)).status_code == 401
    for new in (second.coordinator, second.practitioner, second.pharmacist):
        assert client.get("/v1/me", headers=bearer(new)).status_code == 200
    assert second.cpts_id == first.cpts_id
    periods = [
        (r.period_start, r.period_end, r.status)
        for r in session.scalars(select(Rotation).order_by(Rotation.period_start))
    ]
    published = RotationStatus.published.value
    assert periods == [
        (SUNDAY, SUNDAY + timedelta(weeks=4), published),
        (SUNDAY + timedelta(weeks=4, days=1), later + timedelta(weeks=4), published),
    ]
    third = seed_demo(session, today=later)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Rotation)) == 2
    assert client.get("/v1/me", headers=bearer(third.coordinator)).status_code == 200
