"""Solving the same draft twice through the API gives the same roster."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from tests.app.rotation_scenarios import make_scenario, solved_rotation

Roster = list[tuple[int, str, str]]


def _roster(client: TestClient, headers: dict[str, str], rotation_id: int) -> Roster:
    page = client.get(f"/v1/rotations/{rotation_id}/shifts?limit=200", headers=headers).json()
    assert page["total"] == len(page["items"])
    return sorted((s["practitioner_id"], s["day"], s["block"]) for s in page["items"])


def test_solving_the_same_draft_twice_gives_the_same_roster(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=7)
    headers = scenario.territory.headers
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 2, 1), end=date(2027, 2, 28)
    )
    first = _roster(client, headers, rotation_id)
    again = client.post(f"/v1/rotations/{rotation_id}/solve", headers=headers, json={})
    assert again.status_code == 202, again.text
    assert job_runner.run_pending() == 1
    done = client.get(f"/v1/jobs/{again.json()['id']}", headers=headers).json()
    assert done["status"] == "done", done
    assert done["result"]["coverage_status"] == "optimal"
    assert len(first) == 20
    assert _roster(client, headers, rotation_id) == first
