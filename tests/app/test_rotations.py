"""Rotation lifecycle through the HTTP API: create, solve as a job, read, publish."""

from datetime import date, timedelta

import holidays
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, Shift
from app.rotations.solving import as_assignment, build_input
from app.users.models import Role
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.factories import make_user_headers


def _roster_violations(session: Session, rotation_id: int) -> list[solver.Violation]:
    rotation = session.get_one(Rotation, rotation_id)
    solve_input = build_input(session, rotation=rotation)
    shifts = session.scalars(
        select(Shift).where(Shift.rotation_id == rotation_id, Shift.status == "active")
    )
    return solver.check(solve_input.instance, [as_assignment(s) for s in shifts])


def test_month_is_solved_covered_and_passes_the_checker(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    headers = scenario.territory.headers
    detail = client.get(f"/v1/rotations/{rotation_id}", headers=headers).json()
    assert detail["status"] == "draft"
    assert detail["solver_figures"]["status"] == "optimal"
    assert detail["gaps"] == []
    shifts = client.get(f"/v1/rotations/{rotation_id}/shifts?limit=200", headers=headers).json()
    public = holidays.France(years=2027)
    weekdays = sum(
        1 for d in range(31) if (day := date(2027, 1, 1 + d)).weekday() < 5 and day not in public
    )
    assert weekdays == 20, "January 2027: 21 weekdays, New Year's Day among them"
    assert shifts["total"] == weekdays
    assert sum(load["weekday_shifts"] for load in detail["loads"]) == weekdays
    per_gp = sorted(load["weekday_shifts"] for load in detail["loads"])
    assert per_gp[-1] - per_gp[0] <= 1
    assert _roster_violations(session, rotation_id) == []


def test_dst_days_stay_14_to_20_local(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    sunday_rule = {
        "day_kind": "sun",
        "profession": "gp",
        "sector_id": scenario.sector_id,
        "required": 1,
    }
    created = client.post(
        "/v1/coverage-rules", headers=scenario.territory.headers, json=sunday_rule
    )
    assert created.status_code == 201, created.text
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 3, 22), end=date(2027, 4, 2)
    )
    shifts = client.get(
        f"/v1/rotations/{rotation_id}/shifts", headers=scenario.territory.headers
    ).json()["items"]
    by_day = {s["day"]: s for s in shifts}
    assert by_day["2027-03-26"]["starts_at"] == "2027-03-26T14:00:00+01:00"
    assert by_day["2027-03-28"]["starts_at"] == "2027-03-28T14:00:00+02:00"
    assert by_day["2027-03-28"]["ends_at"] == "2027-03-28T20:00:00+02:00"
    assert by_day["2027-03-30"]["starts_at"] == "2027-03-30T14:00:00+02:00"


def test_october_dst_change(client: TestClient, session: Session, job_runner: JobRunner) -> None:
    scenario = make_scenario(session)
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 10, 25), end=date(2027, 11, 5)
    )
    shifts = client.get(
        f"/v1/rotations/{rotation_id}/shifts", headers=scenario.territory.headers
    ).json()["items"]
    by_day = {s["day"]: s for s in shifts}
    assert by_day["2027-10-29"]["starts_at"] == "2027-10-29T14:00:00+02:00"
    assert by_day["2027-11-02"]["starts_at"] == "2027-11-02T14:00:00+01:00"


def test_public_holidays_need_nobody_by_default(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 5, 1), end=date(2027, 5, 31)
    )
    shifts = client.get(
        f"/v1/rotations/{rotation_id}/shifts?limit=200", headers=scenario.territory.headers
    ).json()["items"]
    days = {date.fromisoformat(s["day"]) for s in shifts}
    may_holidays = {d for d in holidays.France(years=2027) if d.month == 5 and d.weekday() < 5}
    assert may_holidays, "May 2027 has weekday public holidays (Ascension, Whit Monday)"
    assert not days & may_holidays
    weekdays = {date(2027, 5, 1) + timedelta(n) for n in range(31)}
    assert days == {d for d in weekdays if d.weekday() < 5} - may_holidays


def test_second_solve_while_one_is_queued_is_409(client: TestClient, session: Session) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    rotation_id = client.post(
        "/v1/rotations",
        headers=headers,
        json={"period_start": "2027-01-01", "period_end": "2027-01-31"},
    ).json()["id"]
    first = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers)
    second = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers)
    assert first.status_code == 202
    assert second.status_code == 409
    assert first.headers["Location"] == f"/v1/jobs/{first.json()['id']}"


def test_overlapping_rotation_is_409_and_bad_period_is_422(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    body = {"period_start": "2027-01-01", "period_end": "2027-01-31"}
    assert client.post("/v1/rotations", headers=headers, json=body).status_code == 201
    overlap = {"period_start": "2027-01-31", "period_end": "2027-02-27"}
    response = client.post("/v1/rotations", headers=headers, json=overlap)
    assert response.status_code == 409
    inverted = {"period_start": "2027-03-31", "period_end": "2027-03-01"}
    assert client.post("/v1/rotations", headers=headers, json=inverted).status_code == 422


def test_publish_needs_a_solve_and_shows_to_practitioners(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    practitioner = make_user_headers(
        session,
        cpts_id=scenario.territory.cpts.id,
        role=Role.practitioner,
        practitioner_id=scenario.gps[0].id,
    )
    unsolved = client.post(
        "/v1/rotations",
        headers=headers,
        json={"period_start": "2027-02-01", "period_end": "2027-02-28"},
    ).json()["id"]
    assert client.post(f"/v1/rotations/{unsolved}/publish", headers=headers).status_code == 409
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    assert client.get(f"/v1/rotations/{rotation_id}", headers=practitioner).status_code == 404
    published = client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert client.get(f"/v1/rotations/{rotation_id}", headers=practitioner).status_code == 200
    again = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers)
    assert again.status_code == 409
    assert client.delete(f"/v1/rotations/{rotation_id}", headers=headers).status_code == 409


def test_other_cpts_rotation_and_job_are_404(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    other = make_scenario(session, name="Other")
    headers = scenario.territory.headers
    rotation_id = client.post(
        "/v1/rotations",
        headers=headers,
        json={"period_start": "2027-01-01", "period_end": "2027-01-31"},
    ).json()["id"]
    job_id = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers).json()["id"]
    assert (
        client.get(f"/v1/rotations/{rotation_id}", headers=other.territory.headers).status_code
        == 404
    )
    assert client.get(f"/v1/jobs/{job_id}", headers=other.territory.headers).status_code == 404
    assert (
        client.post(
            f"/v1/rotations/{rotation_id}/solve", headers=other.territory.headers
        ).status_code
        == 404
    )
