"""Coverage by competence: met when some roster can meet it, a gap naming the competence
when none can, flagged by the independent checker when a roster breaks it."""

import datetime as dt
import json

from solver import Assignment, Day, Instance, Practitioner, SolverConfig, check, explain, solve
from solver.instance import CompetenceDemand
from tests.solver.factories import MONDAY, one_a_day

RESPIRATORY = "Kinésithérapie respiratoire (bronchiolite)"
SATURDAY = MONDAY + dt.timedelta(days=5)
SUNDAY = SATURDAY + dt.timedelta(days=1)
WEEKEND = (Day(SATURDAY, "weekend"), Day(SUNDAY, "weekend"))
CONFIG = SolverConfig(time_limit_s=5.0, seed=0)


def physio(pid: str, *competences: str) -> Practitioner:
    """A physio of sector Nord declaring ``competences``."""
    return Practitioner(id=pid, profession="physio", sectors=("Nord",), competences=competences)


def weekend(*practitioners: Practitioner) -> Instance:
    """One physio wanted each weekend day, one of them with the respiratory competence."""
    return one_a_day(
        days=WEEKEND,
        practitioners=practitioners,
        profession="physio",
        competence_demands=tuple(
            CompetenceDemand(day.date, "14-20", "physio", RESPIRATORY, 1) for day in WEEKEND
        ),
    )


def test_the_solver_puts_holders_on_call_when_it_can() -> None:
    instance = weekend(
        physio("a"), physio("b"), physio("c"), physio("r1", RESPIRATORY), physio("r2", RESPIRATORY)
    )
    result = solve(instance, CONFIG)
    assert {a.practitioner for a in result.assignments} == {"r1", "r2"}
    assert result.gaps == () and check(instance, result.assignments) == []


def test_a_competence_no_roster_can_meet_is_a_gap_naming_it() -> None:
    instance = weekend(physio("a"), physio("b"), physio("r", RESPIRATORY))  # rest: one day only
    result = solve(instance, CONFIG)
    assert len(result.assignments) == 2, "the ordinary demand is still met"
    assert sum(a.practitioner == "r" for a in result.assignments) == 1
    [gap] = result.gaps
    assert gap.competence == RESPIRATORY and gap.missing == 1
    assert RESPIRATORY in gap.reason and "on call the day" in gap.reason
    assert check(instance, result.assignments) == []


def test_nobody_declaring_the_competence_is_named() -> None:
    instance = weekend(physio("a"), physio("b"))
    gaps = explain(instance, solve(instance, CONFIG).assignments)
    assert [g.reason for g in gaps] == [f"no physio declares competence {RESPIRATORY!r}"] * 2


def test_the_checker_flags_a_roster_leaving_a_free_holder_aside() -> None:
    instance = weekend(
        physio("a"), physio("b"), physio("r1", RESPIRATORY), physio("r2", RESPIRATORY)
    )
    lazy = [Assignment("a", SATURDAY, "14-20", "Nord"), Assignment("r2", SUNDAY, "14-20", "Nord")]
    broken = [(v.rule, v.practitioner, v.day) for v in check(instance, lazy)]
    assert broken == [("competence", "r1", SATURDAY)]
    assert RESPIRATORY in check(instance, lazy)[0].detail
    fine = [Assignment("r1", SATURDAY, "14-20", "Nord"), Assignment("r2", SUNDAY, "14-20", "Nord")]
    assert check(instance, fine) == []


def test_old_instance_json_still_loads_and_the_new_fields_round_trip() -> None:
    instance = weekend(physio("a"), physio("r", RESPIRATORY))
    data = instance.to_dict()
    assert Instance.from_dict(data) == instance
    del data["competence_demands"]
    for practitioner in data["practitioners"]:
        del practitioner["competences"]
    old = Instance.from_json(json.dumps(data))
    assert old.competence_demands == () and old.practitioners[1].competences == ()
