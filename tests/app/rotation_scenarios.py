"""Small territories whose rotations are quick to solve, for the rotation tests."""

from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.coverage.models import CoverageRule
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.rotations.jobs import JobRunner
from tests.factories import Territory, make_practitioner, make_sector, make_territory

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class Scenario:
    """A territory with one sector, a few GPs and a weekday GP coverage rule."""

    territory: Territory
    sector_id: int
    gps: list[Practitioner]


def make_scenario(
    session: Session, *, gps: int = 4, timezone: str = "Europe/Paris", name: str = "CPTS Rotation"
) -> Scenario:
    """One sector, ``gps`` full-time GPs (6 per month, 2 per week), one GP each weekday."""
    territory = make_territory(session, name=name, timezone=timezone)
    sector = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    doctors = [
        make_practitioner(
            session,
            cpts_id=territory.cpts.id,
            profession=Profession.gp,
            last_name=f"Docteur{n}",
            sectors=[sector],
        )
        for n in range(gps)
    ]
    session.add_all(
        CoverageRule(
            cpts_id=territory.cpts.id,
            day_kind=day_kind,
            profession="gp",
            sector_id=sector.id,
            required=1,
        )
        for day_kind in WEEKDAYS
    )
    session.commit()
    return Scenario(territory=territory, sector_id=sector.id, gps=doctors)


def solved_rotation(
    client: TestClient, runner: JobRunner, scenario: Scenario, *, start: date, end: date
) -> int:
    """Create a rotation for the period, solve it through the API, return its id."""
    headers = scenario.territory.headers
    created = client.post(
        "/v1/rotations",
        headers=headers,
        json={"period_start": start.isoformat(), "period_end": end.isoformat()},
    )
    assert created.status_code == 201, created.text
    rotation_id = int(created.json()["id"])
    job = client.post(
        f"/v1/rotations/{rotation_id}/solve", headers=headers, json={"time_limit_s": 60}
    )
    assert job.status_code == 202, job.text
    assert runner.run_pending() == 1
    done = client.get(f"/v1/jobs/{job.json()['id']}", headers=headers).json()
    assert done["status"] == "done", done
    return rotation_id
