"""Rotations across their edges: neighbouring rotations, repairs from mid-week, months,
people who left or moved, locked shifts, and one count of gaps — through the API.

Rules are checked from what the API shows (shifts of every rotation), not from the model.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.coverage.models import CoverageRule
from app.rotations.jobs import JobRunner
from tests.app.rotation_scenarios import Scenario, make_scenario, solved_rotation
from tests.factories import make_sector

JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def _shifts(client: TestClient, scenario: Scenario, *rotation_ids: int) -> list[dict[str, Any]]:
    found = []
    for rotation_id in rotation_ids:
        url = f"/v1/rotations/{rotation_id}/shifts?limit=200"
        found += client.get(url, headers=scenario.territory.headers).json()["items"]
    return found


def _held(shifts: list[dict[str, Any]]) -> dict[int, list[date]]:
    days: dict[int, list[date]] = defaultdict(list)
    for s in shifts:
        days[s["practitioner_id"]].append(date.fromisoformat(s["day"]))
    return {pid: sorted(found) for pid, found in days.items()}


def _rules_broken(shifts: list[dict[str, Any]], *, per_week: int, per_month: int) -> list[str]:
    """Weekly and monthly maxima and the one-day rest, from the API's shifts alone."""
    broken = []
    for pid, days in _held(shifts).items():
        weeks = Counter(d.isocalendar()[:2] for d in days)
        months = Counter((d.year, d.month) for d in days)
        broken += [f"{pid}: {n} in week {w}" for w, n in weeks.items() if n > per_week]
        broken += [f"{pid}: {n} in month {m}" for m, n in months.items() if n > per_month]
        broken += [f"{pid}: {a} and {b}" for a, b in pairwise(days) if (b - a).days <= 1]
    return broken


def _create(client: TestClient, scenario: Scenario, start: date, end: date) -> int:
    body = {"period_start": start.isoformat(), "period_end": end.isoformat()}
    created = client.post("/v1/rotations", headers=scenario.territory.headers, json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _solved(
    client: TestClient, runner: JobRunner, scenario: Scenario, start: date, end: date
) -> int:
    rotation_id = _create(client, scenario, start, end)
    url = f"/v1/rotations/{rotation_id}/solve"
    job = client.post(url, headers=scenario.territory.headers, json={"time_limit_s": 60})
    assert job.status_code == 202, job.text
    assert runner.run_pending() == 1
    done = client.get(f"/v1/jobs/{job.json()['id']}", headers=scenario.territory.headers).json()
    assert done["status"] == "done", done
    return rotation_id


def _publish(client: TestClient, scenario: Scenario, rotation_id: int) -> None:
    url = f"/v1/rotations/{rotation_id}/publish"
    assert client.post(url, headers=scenario.territory.headers).status_code == 200


def _published(
    client: TestClient,
    runner: JobRunner,
    scenario: Scenario,
    *,
    start: date,
    end: date,
    roster: dict[date, int] | None = None,
) -> int:
    """A rotation solved, then given ``roster`` (who holds each day's shift), published."""
    rotation_id = _solved(client, runner, scenario, start, end)
    if roster is not None:
        _set_roster(client, scenario, rotation_id, roster)
    _publish(client, scenario, rotation_id)
    return rotation_id


def _set_roster(
    client: TestClient, scenario: Scenario, rotation_id: int, wanted: dict[date, int]
) -> None:
    """Give each day's shift to the wanted practitioner (forced: intermediate states may
    break a rule the final roster keeps)."""
    for shift in _shifts(client, scenario, rotation_id):
        who = wanted[date.fromisoformat(shift["day"])]
        if shift["practitioner_id"] != who:
            response = client.post(
                f"/v1/rotations/{rotation_id}/shifts/{shift['id']}/replace",
                headers=scenario.territory.headers,
                json={"practitioner_id": who, "force": True, "reason": "mise en place"},
            )
            assert response.status_code == 200, response.text


def _absent(client: TestClient, scenario: Scenario, practitioner_id: int, start: date, end: date):
    body = {"start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "congés"}
    url = f"/v1/practitioners/{practitioner_id}/absences"
    return client.post(url, headers=scenario.territory.headers, json=body)


def _repair(
    client: TestClient, runner: JobRunner, scenario: Scenario, rotation_id: int, from_day: date
) -> dict[str, Any]:
    job = client.post(
        f"/v1/rotations/{rotation_id}/repair",
        headers=scenario.territory.headers,
        json={"from_day": from_day.isoformat(), "reason": "test", "time_limit_s": 60},
    )
    assert job.status_code == 202, job.text
    assert runner.run_pending() == 1
    done = client.get(f"/v1/jobs/{job.json()['id']}", headers=scenario.territory.headers).json()
    assert done["status"] == "done", done
    return dict(done["result"])


def _published_january(client: TestClient, runner: JobRunner, scenario: Scenario) -> int:
    rotation_id = solved_rotation(client, runner, scenario, start=JANUARY[0], end=JANUARY[1])
    _publish(client, scenario, rotation_id)
    return rotation_id


def _rotation(client: TestClient, scenario: Scenario, rotation_id: int) -> dict[str, Any]:
    return dict(
        client.get(f"/v1/rotations/{rotation_id}", headers=scenario.territory.headers).json()
    )


def _only_gap_and_no_rule_broken(
    client: TestClient, scenario: Scenario, solved: int, neighbour: int
) -> dict[str, Any]:
    """The one gap of the solved rotation, once its shifts and its neighbour's keep the rules."""
    shifts = _shifts(client, scenario, solved, neighbour)
    assert _rules_broken(shifts, per_week=2, per_month=6) == []
    (gap,) = _rotation(client, scenario, solved)["gaps"]
    return dict(gap)


def test_weekly_maximum_and_rest_count_the_previous_rotation(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """Mon 28 and Wed 30 June for X in June; Thu 1 and Fri 2 July cannot be X's."""
    scenario = make_scenario(session, gps=3)
    x, y, z = (gp.id for gp in scenario.gps)
    roster = {date(2027, 6, 28): x, date(2027, 6, 29): y, date(2027, 6, 30): x}
    june = _published(client, job_runner, scenario, start=min(roster), end=max(roster),
                      roster=roster)  # fmt: skip
    assert _absent(client, scenario, z, date(2027, 7, 1), date(2027, 7, 2)).status_code == 201
    july = _solved(client, job_runner, scenario, date(2027, 7, 1), date(2027, 7, 4))
    gap = _only_gap_and_no_rule_broken(client, scenario, july, june)
    assert [s["practitioner_id"] for s in _shifts(client, scenario, july)] == [y]
    assert "au maximum de gardes de la semaine" in gap["reason"], gap


def test_rest_and_weekly_maximum_count_the_next_published_rotation(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """July is published first; June then keeps X off Wednesday 30 before X's Thursday 1."""
    scenario = make_scenario(session, gps=2)
    x, y = (gp.id for gp in scenario.gps)
    roster = {date(2027, 7, 1): x, date(2027, 7, 2): y}
    july = _published(client, job_runner, scenario, start=min(roster), end=max(roster),
                      roster=roster)  # fmt: skip
    assert _absent(client, scenario, y, date(2027, 6, 30), date(2027, 6, 30)).status_code == 201
    june = _solved(client, job_runner, scenario, date(2027, 6, 28), date(2027, 6, 30))
    gap = _only_gap_and_no_rule_broken(client, scenario, june, july)
    assert "2027-06-30" not in {s["day"] for s in _shifts(client, scenario, june)}
    assert gap["day"] == "2027-06-30", gap
    kept_off = ("de garde le lendemain", "au maximum de gardes de la semaine")
    assert any(label in gap["reason"] for label in kept_off), gap["reason"]


def test_repair_from_mid_week_counts_the_days_before_it(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """X holds Mon 11 and Wed 13; a repair from Fri 15 cannot give X a third shift."""
    scenario = make_scenario(session, gps=3)
    x, y, z = (gp.id for gp in scenario.gps)
    week = [date(2027, 1, 11) + timedelta(days=n) for n in range(5)]
    roster = dict(zip(week, [x, y, x, z, y], strict=True))
    rotation = _published(client, job_runner, scenario, start=week[0], end=date(2027, 1, 17),
                          roster=roster)  # fmt: skip
    assert _absent(client, scenario, y, week[4], week[4]).status_code == 201
    _repair(client, job_runner, scenario, rotation, week[4])
    shifts = _shifts(client, scenario, rotation)
    assert _rules_broken(shifts, per_week=2, per_month=6) == []
    assert week[4].isoformat() not in {s["day"] for s in shifts}
    figures = _rotation(client, scenario, rotation)
    assert [g["day"] for g in figures["gaps"]] == [week[4].isoformat()]
    assert "au maximum de gardes de la semaine" in figures["gaps"][0]["reason"]


def test_monthly_maximum_holds_per_calendar_month_with_the_neighbour(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """At most 3 a month; 4-8 January published; 11 January - 28 February solved with
    everyone away in February, so every shift the rules allow lands in January."""
    scenario = make_scenario(session, gps=3)
    for gp in scenario.gps:
        response = client.patch(
            f"/v1/practitioners/{gp.id}",
            headers=scenario.territory.headers,
            json={"max_shifts_per_month": 3},
        )
        assert response.status_code == 200, response.text
    first = _published(client, job_runner, scenario, start=date(2027, 1, 4), end=date(2027, 1, 8))
    for gp in scenario.gps:
        away = _absent(client, scenario, gp.id, date(2027, 2, 1), date(2027, 2, 28))
        assert away.status_code == 201
    rest = _solved(client, job_runner, scenario, date(2027, 1, 11), date(2027, 2, 28))
    shifts = _shifts(client, scenario, first, rest)
    assert _rules_broken(shifts, per_week=2, per_month=3) == []
    assert len(shifts) == 9, "three GPs, three shifts each in January"
    figures = _rotation(client, scenario, rest)
    assert figures["solver_figures"]["uncovered"] == 15 - 4 + 20
    reasons = " ".join(g["reason"] for g in figures["gaps"])
    assert "au maximum de gardes du mois" in reasons


def test_repair_moves_a_deactivated_practitioners_future_shifts(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=5)
    rotation = _published_january(client, job_runner, scenario)
    held = _held(_shifts(client, scenario, rotation))
    gone = next(pid for pid, days in held.items() if any(d >= date(2027, 1, 18) for d in days))
    url = f"/v1/practitioners/{gone}"
    assert client.delete(url, headers=scenario.territory.headers).status_code == 204
    _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    after = _held(_shifts(client, scenario, rotation))
    assert [d for d in after.get(gone, []) if d >= date(2027, 1, 18)] == []
    assert [d for d in after.get(gone, []) if d < date(2027, 1, 18)] == [
        d for d in held[gone] if d < date(2027, 1, 18)
    ]
    assert _rules_broken(_shifts(client, scenario, rotation), per_week=2, per_month=6) == []
    assert _rotation(client, scenario, rotation)["gaps"] == []


def test_repair_after_a_sector_change_and_a_forced_cross_sector_shift(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=6)
    sud = make_sector(session, cpts_id=scenario.territory.cpts.id, name="Sud")
    session.commit()
    headers = scenario.territory.headers
    rotation = _published_january(client, job_runner, scenario)
    shifts = _shifts(client, scenario, rotation)
    mover = next(s for s in shifts if s["day"] >= "2027-01-18")["practitioner_id"]
    moved = client.patch(
        f"/v1/practitioners/{mover}", headers=headers, json={"sector_ids": [sud.id]}
    )
    assert moved.status_code == 200, moved.text
    borrowed = next(s["practitioner_id"] for s in shifts if s["practitioner_id"] != mover)
    forced = client.post(
        f"/v1/rotations/{rotation}/shifts",
        headers=headers,
        json={"practitioner_id": borrowed, "day": "2027-01-30", "sector_id": sud.id,
              "force": True, "reason": "renfort"},
    )  # fmt: skip
    assert forced.status_code == 201, forced.text
    result = _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    cancelled = {c["shift_id"] for c in result["changes"]["cancelled"]}
    assert forced.json()["id"] in cancelled
    after = _shifts(client, scenario, rotation)
    assert not [s for s in after if s["practitioner_id"] == mover and s["day"] >= "2027-01-18"]
    assert {s["sector_id"] for s in after} == {scenario.sector_id}
    assert _rules_broken(after, per_week=2, per_month=6) == []
    assert _rotation(client, scenario, rotation)["gaps"] == []


def _january_with_a_locked_shift(
    client: TestClient, session: Session, runner: JobRunner
) -> tuple[Scenario, int, dict[str, Any]]:
    """A published January of five GPs, the shift of Wednesday 20 locked."""
    scenario = make_scenario(session, gps=5)
    rotation = _published_january(client, runner, scenario)
    shift = next(s for s in _shifts(client, scenario, rotation) if s["day"] == "2027-01-20")
    url = f"/v1/rotations/{rotation}/shifts/{shift['id']}"
    locked = client.patch(url, headers=scenario.territory.headers, json={"locked": True})
    assert locked.status_code == 200
    return scenario, rotation, shift


def test_absence_over_a_locked_shift_is_refused_until_it_is_unlocked(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario, rotation, shift = _january_with_a_locked_shift(client, session, job_runner)
    headers = scenario.territory.headers
    url = f"/v1/rotations/{rotation}/shifts/{shift['id']}"
    who = shift["practitioner_id"]
    refused = _absent(client, scenario, who, date(2027, 1, 19), date(2027, 1, 21))
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    assert f"shift {shift['id']} on 2027-01-20" in message and "unlock" in message
    earlier = _absent(client, scenario, who, date(2027, 1, 25), date(2027, 1, 26))
    assert earlier.status_code == 201
    moved = client.patch(
        f"/v1/practitioners/{who}/absences/{earlier.json()['id']}",
        headers=headers,
        json={"start_date": "2027-01-20"},
    )
    assert moved.status_code == 409, moved.text
    assert client.patch(url, headers=headers, json={"locked": False}).status_code == 200
    assert _absent(client, scenario, who, date(2027, 1, 19), date(2027, 1, 21)).status_code == 201
    relock = client.patch(url, headers=headers, json={"locked": True})
    assert relock.status_code == 409 and "availability" in relock.json()["error"]["message"]
    forced_and_locked = client.post(
        f"/v1/rotations/{rotation}/shifts",
        headers=headers,
        json={"practitioner_id": who, "day": "2027-01-21", "sector_id": scenario.sector_id,
              "force": True, "reason": "seul disponible", "locked": True},
    )  # fmt: skip
    assert forced_and_locked.status_code == 409, forced_and_locked.text
    assert "cannot be locked" in forced_and_locked.json()["error"]["message"]
    _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    after = _held(_shifts(client, scenario, rotation))
    assert date(2027, 1, 20) not in after.get(who, [])


def test_repair_refuses_a_locked_shift_that_breaks_a_rule_naming_it(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """A locked shift whose practitioner left: 409 naming it, before any job is queued;
    amendments still work meanwhile, and once it is unlocked the repair moves it."""
    scenario, rotation, shift = _january_with_a_locked_shift(client, session, job_runner)
    headers = scenario.territory.headers
    gone = f"/v1/practitioners/{shift['practitioner_id']}"
    assert client.delete(gone, headers=headers).status_code == 204
    refused = client.post(
        f"/v1/rotations/{rotation}/repair", headers=headers, json={"from_day": "2027-01-18"}
    )
    assert refused.status_code == 409, refused.text
    assert f"shift {shift['id']} (2027-01-20" in refused.json()["error"]["message"]
    assert job_runner.run_pending() == 0
    other = next(s for s in _shifts(client, scenario, rotation) if s["day"] == "2027-01-27")
    cancelled = client.post(
        f"/v1/rotations/{rotation}/shifts/{other['id']}/cancel",
        headers=headers,
        json={"reason": "arrêt maladie"},
    )
    assert cancelled.status_code == 200, cancelled.text
    url = f"/v1/rotations/{rotation}/shifts/{shift['id']}"
    assert client.patch(url, headers=headers, json={"locked": False}).status_code == 200
    result = _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    assert shift["id"] in {c["shift_id"] for c in result["changes"]["cancelled"]}
    assert _rotation(client, scenario, rotation)["gaps"] == []


def test_uncovered_figure_equals_the_listed_gaps_after_a_partial_repair_and_a_change(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """Two GPs for one a weekday: gaps every week, before and after the repair's first day."""
    scenario = make_scenario(session, gps=2)
    headers = scenario.territory.headers
    rotation = _published_january(client, job_runner, scenario)
    _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    shown = _rotation(client, scenario, rotation)
    missing = sum(g["missing"] for g in shown["gaps"])
    assert any(g["day"] < "2027-01-18" for g in shown["gaps"])
    assert shown["solver_figures"]["uncovered"] == missing == 20 - 12
    shift = _shifts(client, scenario, rotation)[-1]
    cancelled = client.post(
        f"/v1/rotations/{rotation}/shifts/{shift['id']}/cancel",
        headers=headers,
        json={"reason": "arrêt maladie"},
    )
    assert cancelled.status_code == 200, cancelled.text
    shown = _rotation(client, scenario, rotation)
    assert shown["solver_figures"]["uncovered"] == sum(g["missing"] for g in shown["gaps"]) == 9


def test_gap_reasons_name_the_sector_and_the_profession_in_french(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    scenario = make_scenario(session, gps=2)
    session.add(
        CoverageRule(
            cpts_id=scenario.territory.cpts.id,
            day_kind="mon",
            profession="physio",
            sector_id=scenario.sector_id,
            required=1,
        )
    )
    session.commit()
    rotation = solved_rotation(client, job_runner, scenario, start=JANUARY[0], end=JANUARY[1])
    reasons = {g["profession"]: g["reason"] for g in _rotation(client, scenario, rotation)["gaps"]}
    assert reasons["physio"] == "aucun·e masseur-kinésithérapeute dans le secteur Nord"
    assert reasons["gp"].startswith("2 médecins généralistes du secteur Nord : ")
    assert not any("sector-" in r for r in reasons.values())


def test_repair_after_a_profession_change_replaces_the_old_professions_shifts(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """A GP who becomes a nurse, where nurses are wanted too: their GP shifts are moved."""
    scenario = make_scenario(session, gps=6)
    session.add_all(
        CoverageRule(
            cpts_id=scenario.territory.cpts.id,
            day_kind=day_kind,
            profession="nurse",
            sector_id=scenario.sector_id,
            required=1,
        )
        for day_kind in ("mon", "tue", "wed", "thu", "fri")
    )
    session.commit()
    headers = scenario.territory.headers
    rotation = _published_january(client, job_runner, scenario)
    shifts = _shifts(client, scenario, rotation)
    changer = next(s for s in shifts if s["day"] >= "2027-01-18")["practitioner_id"]
    changed = client.patch(
        f"/v1/practitioners/{changer}", headers=headers, json={"profession": "nurse"}
    )
    assert changed.status_code == 200, changed.text
    _repair(client, job_runner, scenario, rotation, date(2027, 1, 18))
    after = [s for s in _shifts(client, scenario, rotation) if s["day"] >= "2027-01-18"]
    assert all(s["profession"] == "nurse" for s in after if s["practitioner_id"] == changer)
    gp_days = [s["day"] for s in after if s["profession"] == "gp"]
    assert len(gp_days) == len(set(gp_days)) == 10, "every weekday from the 18th has its GP"
