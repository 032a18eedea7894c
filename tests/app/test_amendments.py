"""Amendments, repair, history and the quality report of a rotation, through the API."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, Shift
from app.rotations.solving import as_assignment, build_input
from tests.app.rotation_scenarios import Scenario, make_scenario, solved_rotation

JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def _shifts(client: TestClient, scenario: Scenario, rotation_id: int) -> list[dict]:
    url = f"/v1/rotations/{rotation_id}/shifts?limit=200"
    return client.get(url, headers=scenario.territory.headers).json()["items"]


def _published(client: TestClient, runner: JobRunner, scenario: Scenario) -> int:
    rotation_id = solved_rotation(client, runner, scenario, start=JANUARY[0], end=JANUARY[1])
    response = client.post(
        f"/v1/rotations/{rotation_id}/publish", headers=scenario.territory.headers
    )
    assert response.status_code == 200
    return rotation_id


def _checker_violations(session: Session, rotation_id: int) -> list[solver.Violation]:
    rotation = session.get_one(Rotation, rotation_id)
    instance = build_input(session, rotation=rotation).instance
    shifts = session.scalars(
        select(Shift).where(Shift.rotation_id == rotation_id, Shift.status == "active")
    )
    return solver.check(instance, [as_assignment(s) for s in shifts])


def test_assign_breaking_rest_rule_is_409_naming_it_unless_forced(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    rotation_id = _published(client, job_runner, scenario)
    headers = scenario.territory.headers
    shift = next(s for s in _shifts(client, scenario, rotation_id) if s["day"] == "2027-01-13")
    body = {
        "practitioner_id": shift["practitioner_id"],
        "day": "2027-01-14",
        "sector_id": scenario.sector_id,
    }
    refused = client.post(f"/v1/rotations/{rotation_id}/shifts", headers=headers, json=body)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "hard_rule_violated"
    assert "min_rest" in refused.json()["error"]["message"]
    no_reason = client.post(
        f"/v1/rotations/{rotation_id}/shifts", headers=headers, json={**body, "force": True}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["field"] == "reason"
    forced = client.post(
        f"/v1/rotations/{rotation_id}/shifts",
        headers=headers,
        json={**body, "force": True, "reason": "seul disponible"},
    )
    assert forced.status_code == 201, forced.text
    changes = client.get(f"/v1/rotations/{rotation_id}/changes", headers=headers).json()["items"]
    last = changes[-1]
    assert last["kind"] == "assign" and last["forced"] and last["reason"] == "seul disponible"
    assert any("min_rest" in rule for rule in last["details"]["broken_rules"])


def test_cancel_opens_a_gap_and_replace_fills_it(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    rotation_id = _published(client, job_runner, scenario)
    headers = scenario.territory.headers
    shift = next(s for s in _shifts(client, scenario, rotation_id) if s["day"] == "2027-01-20")
    cancelled = client.post(
        f"/v1/rotations/{rotation_id}/shifts/{shift['id']}/cancel",
        headers=headers,
        json={"reason": "arrêt maladie"},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["sequence"] == 1
    gaps = client.get(f"/v1/rotations/{rotation_id}", headers=headers).json()["gaps"]
    assert [(g["day"], g["missing"]) for g in gaps] == [("2027-01-20", 1)]
    assert gaps[0]["reason"].startswith("4 médecins généralistes du secteur Nord : ")
    listed = client.get(
        f"/v1/rotations/{rotation_id}/shifts?include_cancelled=true&from=2027-01-20&to=2027-01-20",
        headers=headers,
    ).json()["items"]
    assert [s["status"] for s in listed] == ["cancelled"]
    assert _checker_violations(session, rotation_id) == []


def test_replace_keeps_history_and_passes_checker(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=5)
    rotation_id = _published(client, job_runner, scenario)
    headers = scenario.territory.headers
    shifts = _shifts(client, scenario, rotation_id)
    target = next(s for s in shifts if s["day"] == "2027-01-20")
    busy_near = {
        s["practitioner_id"]
        for s in shifts
        if s["day"] in ("2027-01-19", "2027-01-20", "2027-01-21")
    }
    counts = {gp.id: sum(1 for s in shifts if s["practitioner_id"] == gp.id) for gp in scenario.gps}
    candidates = [gp.id for gp in scenario.gps if gp.id not in busy_near and counts[gp.id] < 6]
    week = [s for s in shifts if "2027-01-18" <= s["day"] <= "2027-01-24"]
    candidates = [c for c in candidates if sum(1 for s in week if s["practitioner_id"] == c) < 2]
    assert candidates, "the scenario leaves someone free around the 20th"
    replaced = client.post(
        f"/v1/rotations/{rotation_id}/shifts/{target['id']}/replace",
        headers=headers,
        json={"practitioner_id": candidates[0], "reason": "échange"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["practitioner_id"] == candidates[0]
    assert _checker_violations(session, rotation_id) == []
    kinds = [
        c["kind"]
        for c in client.get(f"/v1/rotations/{rotation_id}/changes", headers=headers).json()["items"]
    ]
    assert kinds == ["publish", "replace"]


def test_repair_after_absence_changes_only_what_must_change(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=6)
    rotation_id = _published(client, job_runner, scenario)
    headers = scenario.territory.headers
    before = {(s["practitioner_id"], s["day"]) for s in _shifts(client, scenario, rotation_id)}
    ill = scenario.gps[0].id
    absence = {"start_date": "2027-01-18", "end_date": "2027-01-22", "reason": "arrêt maladie"}
    assert (
        client.post(f"/v1/practitioners/{ill}/absences", headers=headers, json=absence).status_code
        == 201
    )
    lost = {(p, d) for p, d in before if p == ill and "2027-01-18" <= d <= "2027-01-22"}
    assert lost, "the ill GP had shifts that week"
    job = client.post(
        f"/v1/rotations/{rotation_id}/repair",
        headers=headers,
        json={"from_day": "2027-01-11", "reason": "arrêt maladie", "time_limit_s": 60},
    )
    assert job.status_code == 202, job.text
    assert job_runner.run_pending() == 1
    result = client.get(f"/v1/jobs/{job.json()['id']}", headers=headers).json()
    assert result["status"] == "done", result
    assert result["result"]["status"] == "optimal", "fewest changes is only proven at optimum"
    changes = result["result"]["changes"]
    cancelled = {(c["practitioner_id"], c["day"]) for c in changes["cancelled"]}
    added = {(c["practitioner_id"], c["day"]) for c in changes["added"]}
    assert lost <= cancelled
    assert len(cancelled) == len(lost) and len(added) == len(lost)
    assert {d for _, d in added} == {d for _, d in lost}
    after = {(s["practitioner_id"], s["day"]) for s in _shifts(client, scenario, rotation_id)}
    assert after == (before - cancelled) | added
    assert _checker_violations(session, rotation_id) == []
    history = client.get(f"/v1/rotations/{rotation_id}/changes", headers=headers).json()["items"]
    assert history[-1]["kind"] == "repair" and history[-1]["reason"] == "arrêt maladie"


def test_repair_needs_a_published_rotation(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    rotation_id = solved_rotation(client, job_runner, scenario, start=JANUARY[0], end=JANUARY[1])
    response = client.post(
        f"/v1/rotations/{rotation_id}/repair", headers=scenario.territory.headers
    )
    assert response.status_code == 409


def test_quality_report(client: TestClient, session: Session, job_runner: JobRunner) -> None:
    scenario = make_scenario(session)
    rotation_id = _published(client, job_runner, scenario)
    report = client.get(
        f"/v1/rotations/{rotation_id}/report", headers=scenario.territory.headers
    ).json()
    assert report["coverage"] == [
        {
            "profession": "gp",
            "sector_id": scenario.sector_id,
            "required": 20,
            "covered": 20,
            "coverage_pct": 100.0,
        }
    ]
    gp = report["balance"][0]
    assert gp["practitioners"] == 4 and gp["spread"] <= 1.0
    assert gp["overloaded_practitioner_ids"] == []
    assert report["preferences"]["shifts_on_avoided_days"] == 0
