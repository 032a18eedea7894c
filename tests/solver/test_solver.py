"""The solver: purity, input validation, optimal fairness, gaps, repair, locks, determinism."""

import dataclasses
import datetime as dt
import json
import pickle
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import (
    Assignment,
    Day,
    Demand,
    History,
    Instance,
    InstanceError,
    Practitioner,
    Result,
    Rules,
    SolverConfig,
    check,
    greedy_roster,
    solve,
)
from solver.generate import generate
from tests.solver.factories import MONDAY, gp, one_a_day, weekdays

FAST = SolverConfig(time_limit_s=5, workers=1, seed=1)


def loads(result: Result) -> dict[str, int]:
    return {load.practitioner: load.shifts for load in result.loads}


def small_instance(seed: int, **overrides: object) -> Instance:
    fields: dict[str, object] = {
        "seed": seed,
        "n_days": 10,
        "staff": {"gp": 5, "nurse": 3},
        "sectors": ("Nord", "Sud"),
    }
    fields.update(overrides)
    return generate(**fields)  # type: ignore[arg-type]


def test_importing_solver_pulls_in_no_web_or_database_code() -> None:
    code = (
        "import sys, solver, solver.generate; "
        "print(sorted(m for m in ('app', 'fastapi', 'sqlalchemy', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_instance_round_trips_through_json() -> None:
    instance = dataclasses.replace(
        small_instance(3),
        locked=(),
        previous_roster=(Assignment("gp-000", MONDAY, "14-20", "Nord"),),
    )
    assert Instance.from_json(instance.to_json()) == instance


def test_result_is_plain_json() -> None:
    result = solve(small_instance(4), FAST)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == result.status
    assert len(data["assignments"]) == len(result.assignments)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fte": 1.5}, "practitioners[0].fte"),
        ({"sectors": ()}, "practitioners[0].sectors"),
        ({"max_shifts_per_week": -1}, "practitioners[0].max_shifts_per_week"),
    ],
)
def test_invalid_practitioner_raises_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    bad = dataclasses.replace(gp("a"), **change)  # type: ignore[arg-type]
    with pytest.raises(InstanceError) as error:
        one_a_day(days=weekdays(2), practitioners=(bad,))
    assert error.value.field == field
    assert field in str(error.value)


def test_demand_outside_the_horizon_is_named() -> None:
    late = Demand(MONDAY + dt.timedelta(days=30), "14-20", "gp", "Nord", 1)
    with pytest.raises(InstanceError, match=r"demands\[0\]\.day"):
        Instance(days=weekdays(2), blocks=("14-20",), demands=(late,), practitioners=())


def test_instance_error_crosses_a_process_boundary_intact() -> None:
    error = pickle.loads(pickle.dumps(InstanceError("days[0]", "not a date")))
    assert isinstance(error, InstanceError)
    assert (error.field, error.message) == ("days[0]", "not a date")
    assert str(error) == "days[0]: not a date"


def test_missing_json_field_is_named() -> None:
    data = one_a_day(days=weekdays(1), practitioners=(gp("a"),)).to_dict()
    del data["demands"]
    with pytest.raises(InstanceError, match="demands"):
        Instance.from_dict(data)


def test_locks_breaking_a_hard_rule_are_rejected() -> None:
    absent = gp("a", unavailable_days=(MONDAY,))
    with pytest.raises(InstanceError, match="availability"):
        one_a_day(
            days=weekdays(2),
            practitioners=(absent,),
            locked=(Assignment("a", MONDAY, "14-20", "Nord"),),
        )


def test_three_identical_gps_share_six_shifts_two_each() -> None:
    instance = one_a_day(days=weekdays(6), practitioners=(gp("a"), gp("b"), gp("c")))
    result = solve(instance, FAST)
    assert result.status == "optimal"
    assert loads(result) == {"a": 2, "b": 2, "c": 2}
    assert result.objective_terms["fairness"] == 0
    assert check(instance, result.assignments) == []


def test_half_time_gp_takes_half_the_shifts() -> None:
    instance = one_a_day(
        days=weekdays(6),
        practitioners=(gp("full"), gp("half", fte=0.5)),
        rules=Rules(min_rest_days=0),
    )
    result = solve(instance, FAST)
    assert result.status == "optimal"
    assert loads(result) == {"full": 4, "half": 2}


def test_history_debt_is_paid_back() -> None:
    owes = gp("owes", history=History(weekday_shifts=3, weekday_fair_share=4.0))
    owed = gp("owed", history=History(weekday_shifts=5, weekday_fair_share=4.0))
    instance = one_a_day(days=weekdays(4), practitioners=(owes, owed), rules=Rules(min_rest_days=0))
    result = solve(instance, FAST)
    assert loads(result) == {"owes": 3, "owed": 1}


def test_a_target_never_exceeds_what_the_weekly_maximum_allows() -> None:
    owes = gp(
        "owes",
        max_shifts_per_week=1,
        history=History(weekday_shifts=0, weekday_fair_share=6.0),
    )
    instance = one_a_day(
        days=weekdays(7), practitioners=(owes, gp("b"), gp("c")), rules=Rules(min_rest_days=0)
    )
    result = solve(instance, FAST)
    targets = {load.practitioner: load.weekday_target for load in result.loads}
    assert targets["owes"] == pytest.approx(1.0)
    assert sum(targets.values()) == pytest.approx(7.0)
    assert loads(result)["owes"] == 1
    assert check(instance, result.assignments) == []


def test_weekends_are_shared_apart_from_weekdays() -> None:
    days = (Day(MONDAY), Day(MONDAY + dt.timedelta(days=1)),
            Day(MONDAY + dt.timedelta(days=5), "weekend"),
            Day(MONDAY + dt.timedelta(days=6), "weekend"))  # fmt: skip
    instance = one_a_day(days=days, practitioners=(gp("a"), gp("b")))
    result = solve(instance, FAST)
    for load in result.loads:
        assert (load.weekday_shifts, load.special_shifts) == (1, 1)


def test_impossible_demand_returns_a_roster_with_named_gaps() -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    physios = (
        Practitioner("p1", "physio", ("Nord",), unavailable_days=(tuesday,)),
        Practitioner("p2", "physio", ("Nord",), unavailable_days=(tuesday,)),
        Practitioner("p3", "physio", ("Nord",), max_shifts_per_period=0),
        Practitioner("p4", "physio", ("Nord",)),
    )
    instance = Instance(
        days=weekdays(2),
        blocks=("14-20",),
        demands=(
            Demand(MONDAY, "14-20", "physio", "Nord", 1),
            Demand(tuesday, "14-20", "physio", "Nord", 2),
            Demand(tuesday, "14-20", "gp", "Sud", 1),
        ),
        practitioners=physios,
        locked=(Assignment("p4", MONDAY, "14-20", "Nord"),),
    )
    result = solve(instance, FAST)
    assert check(instance, result.assignments) == []
    assert [(g.day, g.profession, g.sector, g.missing) for g in result.gaps] == [
        (tuesday, "gp", "Sud", 1),
        (tuesday, "physio", "Nord", 2),
    ]
    gp_gap, physio_gap = result.gaps
    assert gp_gap.reason == "no gp works in sector Sud"
    assert physio_gap.reason == (
        "4 physios in sector Nord: 2 absent, 1 at period maximum, 1 on call the day before"
    )
    assert result.objective_terms["uncovered"] == 3 * FAST.weights.uncovered


def test_repair_after_one_absence_changes_only_what_must_change() -> None:
    instance = one_a_day(days=weekdays(4), practitioners=tuple(gp(p) for p in "abcd"))
    first = solve(instance, FAST)
    assert first.status == "optimal"
    falling_ill = first.assignments[0]
    ill = dataclasses.replace(
        instance.practitioner_by_id[falling_ill.practitioner], unavailable_days=(falling_ill.day,)
    )
    practitioners = tuple(ill if p.id == ill.id else p for p in instance.practitioners)
    repaired_instance = dataclasses.replace(
        instance, practitioners=practitioners, previous_roster=first.assignments
    )
    repaired = solve(repaired_instance, FAST)
    assert repaired.status == "optimal"
    changes = set(first.assignments) ^ set(repaired.assignments)
    assert falling_ill in changes
    assert len(changes) == 2
    assert repaired.objective_terms["stability"] == FAST.weights.stability
    assert repaired.gaps == ()


def test_repair_of_a_generated_month_keeps_most_of_the_roster() -> None:
    instance = small_instance(11, n_days=14)
    first = solve(instance, FAST)
    victim = first.assignments[len(first.assignments) // 2]
    ill = dataclasses.replace(
        instance.practitioner_by_id[victim.practitioner],
        unavailable_days=(*instance.practitioner_by_id[victim.practitioner].unavailable_days,
                          victim.day),
    )  # fmt: skip
    practitioners = tuple(ill if p.id == ill.id else p for p in instance.practitioners)
    repaired = solve(
        dataclasses.replace(
            instance, practitioners=practitioners, previous_roster=first.assignments
        ),
        FAST,
    )
    changes = set(first.assignments) ^ set(repaired.assignments)
    assert victim in changes
    assert len(changes) <= len(first.assignments) // 4


def test_locked_assignments_never_move() -> None:
    instance = small_instance(5)
    locks = tuple(greedy_roster(instance)[::7])
    locked = dataclasses.replace(instance, locked=locks)
    result = solve(locked, FAST)
    assert set(locks) <= set(result.assignments)
    assert check(locked, result.assignments) == []


def test_same_seed_and_one_worker_give_the_same_roster() -> None:
    instance = small_instance(6, n_days=14)
    config = SolverConfig(time_limit_s=5, workers=1, seed=7)
    assert solve(instance, config).assignments == solve(instance, config).assignments


def test_workers_default_to_the_machines_cores() -> None:
    import os

    assert SolverConfig().workers == (os.cpu_count() or 1)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_days=st.integers(3, 12),
    two_blocks=st.booleans(),
    multiple=st.booleans(),
    rest=st.integers(0, 2),
    absence=st.floats(0.0, 0.4),
)
def test_every_roster_passes_the_checker(
    seed: int, n_days: int, two_blocks: bool, multiple: bool, rest: int, absence: float
) -> None:
    instance = small_instance(
        seed,
        n_days=n_days,
        blocks=("14-17", "17-20") if two_blocks else ("14-20",),
        rules=Rules(min_rest_days=rest, allow_multiple_blocks_per_day=multiple),
        absence_rate=absence,
    )
    result = solve(instance, SolverConfig(time_limit_s=2, workers=1))
    assert check(instance, result.assignments) == []
    assert check(instance, greedy_roster(instance)) == []
    demanded = sum(d.count for d in instance.demands)
    assert result.uncovered == demanded - len(result.assignments)
    for gap in result.gaps:
        pool = [p for p in instance.practitioners
                if p.profession == gap.profession and gap.sector in p.sectors]  # fmt: skip
        assert sum(gap.breakdown.values()) == len(pool)
    assert Counter(a.practitioner for a in result.assignments) == Counter(
        {load.practitioner: load.shifts for load in result.loads if load.shifts}
    )
