"""Competence rules through the API, met by the solver or reported with the competence named."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.factories import first_field_error, make_pharmacy_with_headers

JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def item_id(client: TestClient, headers: dict[str, str], label: str) -> int:
    """A catalogue item's id by label."""
    items = client.get("/v1/catalogue?limit=200", headers=headers).json()["items"]
    return next(int(item["id"]) for item in items if item["label"] == label)


def test_competence_rules_are_managed_by_the_coordinator(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    ecg = item_id(client, headers, "ECG")
    body = {"competence_id": ecg, "day_kind": "sat", "required": 1, "months": [12, 1, 11, 2]}
    created = client.post("/v1/competence-rules", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["competence"] == "ECG" and created.json()["months"] == [1, 2, 11, 12]
    again = client.post("/v1/competence-rules", headers=headers, json=body)
    assert again.status_code == 409 and first_field_error(again)["field"] == "day_kind"
    equipment = item_id(client, headers, "Ondes de choc")
    wrong = client.post(
        "/v1/competence-rules", headers=headers, json={**body, "competence_id": equipment}
    )
    assert wrong.status_code == 422 and first_field_error(wrong)["field"] == "competence_id"
    month = client.post("/v1/competence-rules", headers=headers, json={**body, "months": [13]})
    assert month.status_code == 422
    assert first_field_error(month)["field"].startswith("months")
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=scenario.territory.cpts.id)
    assert len(client.get("/v1/competence-rules", headers=pharmacist).json()) == 1
    assert client.post("/v1/competence-rules", headers=pharmacist, json=body).status_code == 403
    url = f"/v1/competence-rules/{created.json()['id']}"
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get("/v1/competence-rules", headers=headers).json() == []


def test_the_solver_meets_a_competence_rule_and_names_it_when_it_cannot(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    ecg = item_id(client, headers, "ECG")
    holder = scenario.gps[2].id
    declared = client.put(
        f"/v1/practitioners/{holder}/declarations",
        headers=headers,
        json={"competence_ids": [ecg]},
    )
    assert declared.status_code == 200, declared.text
    rule = {"competence_id": ecg, "day_kind": "mon", "months": [1]}
    assert client.post("/v1/competence-rules", headers=headers, json=rule).status_code == 201
    met = solved_rotation(client, job_runner, scenario, start=JANUARY[0], end=JANUARY[1])
    shifts = client.get(f"/v1/rotations/{met}/shifts?limit=200", headers=headers).json()["items"]
    mondays = [s for s in shifts if date.fromisoformat(s["day"]).weekday() == 0]
    assert len(mondays) == 4 and {s["practitioner_id"] for s in mondays} == {holder}
    assert client.get(f"/v1/rotations/{met}", headers=headers).json()["gaps"] == []

    # Tuesday too: the only holder cannot be on call two days running (rest rule)
    tuesday = {**rule, "day_kind": "tue"}
    assert client.post("/v1/competence-rules", headers=headers, json=tuesday).status_code == 201
    job = client.post(f"/v1/rotations/{met}/solve", headers=headers, json={"time_limit_s": 60})
    assert job.status_code == 202 and job_runner.run_pending() == 1
    gaps = client.get(f"/v1/rotations/{met}", headers=headers).json()["gaps"]
    assert len(gaps) == 4, gaps
    assert all("compétence « ECG »" in gap["reason"] for gap in gaps)
    assert all(gap["profession"] == "gp" and gap["sector_id"] is None for gap in gaps)
    assert any("de garde la veille" in g["reason"] or "lendemain" in g["reason"] for g in gaps)
