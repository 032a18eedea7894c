"""Who is on call (and next), and replacement suggestions, through the HTTP API."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.coverage.models import CoverageRule
from app.cpts.models import Sector
from app.professions import Profession
from app.rotations.jobs import JobRunner
from app.users.models import Role
from tests.app.rotation_scenarios import WEEKDAYS, Scenario, make_scenario, solved_rotation
from tests.conftest import FrozenClock
from tests.factories import (
    make_pharmacy_with_headers,
    make_practitioner,
    make_sector,
    make_user_headers,
)

DST_SUNDAY_AFTERNOON = "2027-03-28T12:30:00Z"  # 14:30 in Paris, summer time since 02:00


@dataclass(frozen=True)
class OnCallScenario:
    """GPs in the north every weekday and on Sundays, nurses in the south on weekdays."""

    scenario: Scenario
    south_id: int
    rotation_id: int


def _publish(client: TestClient, scenario: Scenario, rotation_id: int) -> None:
    url = f"/v1/rotations/{rotation_id}/publish"
    assert client.post(url, headers=scenario.territory.headers).status_code == 200


def _on_call_scenario(client: TestClient, session: Session, runner: JobRunner) -> OnCallScenario:
    scenario = make_scenario(session, name="CPTS Garde")
    cpts_id = scenario.territory.cpts.id
    south = make_sector(session, cpts_id=cpts_id, name="Sud")
    for n in range(3):
        nurse = make_practitioner(
            session,
            cpts_id=cpts_id,
            profession=Profession.nurse,
            last_name=f"Infirmier{n}",
            sectors=[south],
        )
        nurse.phone = f"+33 4 72 00 00 0{n}"
    session.add(
        CoverageRule(
            cpts_id=cpts_id,
            day_kind="sun",
            profession="gp",
            sector_id=scenario.sector_id,
            required=1,
        )
    )
    session.add_all(
        CoverageRule(
            cpts_id=cpts_id, day_kind=d, profession="nurse", sector_id=south.id, required=1
        )
        for d in WEEKDAYS
    )
    session.commit()
    rotation_id = solved_rotation(
        client, runner, scenario, start=date(2027, 3, 22), end=date(2027, 4, 2)
    )
    _publish(client, scenario, rotation_id)
    return OnCallScenario(scenario=scenario, south_id=south.id, rotation_id=rotation_id)


def _on_call(client: TestClient, headers: dict[str, str], **params: str | int) -> dict:
    response = client.get("/v1/on-call", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_on_call_on_the_dst_sunday_uses_local_summer_time(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    world = _on_call_scenario(client, session, job_runner)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=world.scenario.territory.cpts.id)

    found = _on_call(client, pharmacist, at=DST_SUNDAY_AFTERNOON)

    assert found["at"] == "2027-03-28T14:30:00+02:00"
    [gp] = found["on_call"]
    assert gp["profession"] == "gp" and gp["sector_name"] == "Nord"
    assert gp["starts_at"] == "2027-03-28T14:00:00+02:00"
    assert gp["ends_at"] == "2027-03-28T20:00:00+02:00"
    assert gp["practitioner_name"].startswith("Claire Docteur")
    nexts = {(n["profession"], n["starts_at"]) for n in found["next"]}
    after_easter_monday = "2027-03-30T14:00:00+02:00"  # the 29th is a public holiday
    assert nexts == {("gp", after_easter_monday), ("nurse", after_easter_monday)}


def test_before_the_window_nobody_is_on_call_and_next_is_this_afternoon(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    world = _on_call_scenario(client, session, job_runner)
    headers = world.scenario.territory.headers

    found = _on_call(client, headers, at="2027-03-28T13:30:00+02:00")

    assert found["on_call"] == []
    gp_next = [n for n in found["next"] if n["profession"] == "gp"]
    assert [n["starts_at"] for n in gp_next] == ["2027-03-28T14:00:00+02:00"]
    at_the_end = _on_call(client, headers, at="2027-03-28T20:00:00+02:00")
    assert at_the_end["on_call"] == [], "the end of a shift is excluded"


def test_filters_by_profession_and_sector_and_defaults_to_now(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    world = _on_call_scenario(client, session, job_runner)
    headers = make_user_headers(
        session,
        cpts_id=world.scenario.territory.cpts.id,
        role=Role.practitioner,
        practitioner_id=world.scenario.gps[0].id,
    )
    session.commit()
    clock.now = datetime(2027, 3, 26, 14, 0, tzinfo=UTC)  # Friday 15:00 in Paris

    everyone = _on_call(client, headers)
    nurses = _on_call(client, headers, profession="nurse")
    north = _on_call(client, headers, sector_id=world.scenario.sector_id)

    assert everyone["at"] == "2027-03-26T15:00:00+01:00"
    assert sorted(o["profession"] for o in everyone["on_call"]) == ["gp", "nurse"]
    [nurse] = nurses["on_call"]
    assert nurse["sector_id"] == world.south_id and nurse["phone"].startswith("+33 4 72")
    assert {n["profession"] for n in nurses["next"]} == {"nurse"}
    assert [o["profession"] for o in north["on_call"]] == ["gp"]
    assert {n["starts_at"] for n in north["next"]} == {"2027-03-28T14:00:00+02:00"}


def test_on_call_refuses_a_naive_instant_and_an_unknown_sector(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers

    naive = client.get("/v1/on-call", headers=headers, params={"at": "2027-03-28T15:00:00"})
    garbage = client.get("/v1/on-call", headers=headers, params={"at": "tomorrow"})
    sector = client.get("/v1/on-call", headers=headers, params={"sector_id": 999_999})

    assert naive.status_code == 422 and naive.json()["error"]["fields"][0]["field"] == "at"
    assert "offset" in naive.json()["error"]["message"]
    assert garbage.status_code == 422 and garbage.json()["error"]["fields"][0]["field"] == "at"
    assert sector.status_code == 422
    assert sector.json()["error"]["fields"][0]["field"] == "sector_id"
    assert client.get("/v1/on-call").status_code == 401


def test_drafts_are_not_on_call(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session)
    solved_rotation(client, job_runner, scenario, start=date(2027, 3, 22), end=date(2027, 4, 2))

    found = _on_call(client, scenario.territory.headers, at="2027-03-26T15:00:00+01:00")

    assert found == {"at": "2027-03-26T15:00:00+01:00", "on_call": [], "next": []}


@dataclass(frozen=True)
class Replacement:
    """A published January, a shift to replace, and colleagues idle, busy and absent."""

    scenario: Scenario
    rotation_id: int
    shift: dict
    idle_id: int
    absent_id: int


def _replacement(client: TestClient, session: Session, runner: JobRunner) -> Replacement:
    scenario = make_scenario(session, gps=6, name="CPTS Remplacement")
    headers = scenario.territory.headers
    rotation_id = solved_rotation(
        client, runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    _publish(client, scenario, rotation_id)
    url = f"/v1/rotations/{rotation_id}/shifts?from=2027-01-20&to=2027-01-20"
    [shift] = client.get(url, headers=headers).json()["items"]
    sector = session.get_one(Sector, scenario.sector_id)
    idle = make_practitioner(
        session, cpts_id=scenario.territory.cpts.id, last_name="Nouveau", sectors=[sector]
    )
    absent = next(gp for gp in scenario.gps if gp.id != shift["practitioner_id"])
    absence = {"start_date": "2027-01-20", "end_date": "2027-01-20"}
    assert (
        client.post(
            f"/v1/practitioners/{absent.id}/absences", headers=headers, json=absence
        ).status_code
        == 201
    )
    return Replacement(scenario, rotation_id, shift, idle.id, absent.id)


def test_suggest_ranks_an_idle_colleague_first_and_excludes_the_absent_one(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    world = _replacement(client, session, job_runner)
    headers = world.scenario.territory.headers
    url = f"/v1/rotations/{world.rotation_id}/suggest?shift={world.shift['id']}"

    response = client.get(url, headers=headers)

    assert response.status_code == 200, response.text
    found = response.json()
    assert found["shift"]["id"] == world.shift["id"]
    suggestions = found["suggestions"]
    assert suggestions[0]["practitioner_id"] == world.idle_id
    assert suggestions[0]["rest_days"] is None and suggestions[0]["load_per_fte"] == 0
    busy = suggestions[1:]
    assert busy, "some GP with shifts can take the 20th"
    assert all(s["active_shifts"] > 0 and s["rest_days"] is not None for s in busy)
    rests = [s["rest_days"] for s in busy]
    assert rests == sorted(rests, reverse=True)
    for s in busy:
        assert s["rest_days"] == min(s["days_since_previous"] or 99, s["days_until_next"] or 99)
        assert s["rest_days"] >= 2, "the rest rule already excludes neighbours of the day"
    suggested = {s["practitioner_id"] for s in suggestions}
    assert world.absent_id not in suggested and world.shift["practitioner_id"] not in suggested
    [absent] = [e for e in found["excluded"] if e["practitioner_id"] == world.absent_id]
    assert any(rule.startswith("availability") for rule in absent["broken_rules"])
    replaced = client.post(
        f"/v1/rotations/{world.rotation_id}/shifts/{world.shift['id']}/replace",
        headers=headers,
        json={"practitioner_id": busy[0]["practitioner_id"], "reason": "suggestion"},
    )
    assert replaced.status_code == 200, "every suggestion passes the hard rules"


def test_suggest_is_for_the_coordinator_of_the_cpts(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    world = _replacement(client, session, job_runner)
    url = f"/v1/rotations/{world.rotation_id}/suggest?shift={world.shift['id']}"
    practitioner = make_user_headers(
        session,
        cpts_id=world.scenario.territory.cpts.id,
        role=Role.practitioner,
        practitioner_id=world.idle_id,
    )
    session.commit()
    elsewhere = make_scenario(session, name="CPTS Ailleurs")

    assert client.get(url, headers=practitioner).status_code == 403
    assert client.get(url, headers=elsewhere.territory.headers).status_code == 404
    unknown = f"/v1/rotations/{world.rotation_id}/suggest?shift=999999"
    assert client.get(unknown, headers=world.scenario.territory.headers).status_code == 404
    missing = f"/v1/rotations/{world.rotation_id}/suggest"
    assert client.get(missing, headers=world.scenario.territory.headers).status_code == 422
