"""Even spacing as a path per practitioner: the same cost as one boolean per close pair,
a complete and feasible hint, and stages that need no search when already at their bound."""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest
from ortools.sat.python import cp_model

from solver import Instance, SolverConfig, check, greedy_roster, solve
from solver.constraints import HARD_RULES
from solver.generate import generate, venissieux_month
from solver.instance import Assignment, Rules
from solver.model import build_model
from solver.spacing import _pairs, _path
from solver.variables import create_variables
from tests.solver.factories import gp, one_a_day, weekdays

WINDOW = 4


def small_territory(seed: int, *, rest: int = 1) -> Instance:
    return generate(
        seed=seed,
        n_days=14,
        staff={"gp": 5, "nurse": 4},
        sectors=("Nord",),
        rules=Rules(min_rest_days=rest),
    )


def crowding_of(instance: Instance, roster: list[Assignment], window: int) -> int:
    """`window - k` for every pair of on-call days `k < window` apart, counted by hand."""
    days: dict[str, set[dt.date]] = defaultdict(set)
    for a in roster:
        days[a.practitioner].add(a.day)
    total = 0
    for own in days.values():
        for first in own:
            for second in own:
                k = (second - first).days
                if 0 < k < window:
                    total += window - k
    return total


def best_crowding(instance: Instance, along: Callable[..., cp_model.LinearExprT]) -> int:
    """The least crowding of any roster covering each demand as the greedy does, by CP-SAT."""
    model = cp_model.CpModel()
    v = create_variables(model, instance)
    for add_rule in HARD_RULES:
        add_rule(model, instance, v)
    covered = Counter((a.day, a.sector, a.practitioner[:2]) for a in greedy_roster(instance))
    by_demand = defaultdict(list)
    for a, x in v.assign.items():
        by_demand[(a.day, a.sector, a.practitioner[:2])].append(x)
    for key, shifts in by_demand.items():
        model.add(sum(shifts) == covered[key])
    rest = instance.rules.min_rest_days
    model.minimize(sum(along(model, v, pid, rest, WINDOW) for pid in v.shifts_by_practitioner))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_path_and_the_pairs_reach_the_same_least_crowding(seed: int) -> None:
    instance = small_territory(seed)
    assert best_crowding(instance, _path) == best_crowding(instance, _pairs)


@pytest.mark.parametrize("rest", [1, 2])
def test_a_rosters_spacing_term_counts_every_close_pair(rest: int) -> None:
    instance = small_territory(3, rest=rest)
    roster = greedy_roster(instance)
    built = build_model(instance, SolverConfig(spacing_window_days=WINDOW))
    assert built.value(["spacing"], set(roster)) == crowding_of(instance, roster, WINDOW)
    assert crowding_of(instance, roster, WINDOW) > 0, "the roster is meant to crowd someone"


def test_the_hint_of_a_valid_roster_is_complete_and_feasible() -> None:
    instance = small_territory(4)
    roster = set(greedy_roster(instance))
    assert check(instance, roster) == []
    built = build_model(instance, SolverConfig(spacing_window_days=WINDOW))
    built.minimise(built.names)
    built.hint(roster)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) == cp_model.OPTIMAL
    assert solver.objective_value == built.value(built.names, roster)


def test_a_roster_already_at_every_bound_is_proven_without_search() -> None:
    instance = one_a_day(days=weekdays(6), practitioners=(gp("a"), gp("b"), gp("c")))
    no_spacing = SolverConfig(time_limit_s=5, workers=1, spacing_window_days=2)
    result = solve(instance, no_spacing)
    assert result.status == "optimal"
    assert result.deterministic_time_s == 0.0
    assert result.objective == 0
    assert check(instance, result.assignments) == []


def test_a_venissieux_month_is_proven_optimal_with_little_work() -> None:
    result = solve(venissieux_month(0), SolverConfig(time_limit_s=20, workers=2))
    assert result.status == "optimal"
    assert result.deterministic_time_s < 3.0
