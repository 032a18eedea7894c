"""How the solver searches: coverage first, independent parts, the same roster every time."""

import dataclasses
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from solver import (
    Assignment,
    Instance,
    Practitioner,
    Rules,
    SolverConfig,
    Weights,
    check,
    greedy_roster,
    solve,
)
from solver.components import split
from solver.generate import TWO_BLOCK_DEMAND, dense_territory, generate, venissieux_month
from solver.model import BuiltModel
from solver.search import Budget, Stage
from solver.shares import bands
from solver.solve import Improvement
from tests.solver.factories import gp, one_a_day, weekdays


def three_professions(seed: int, n_days: int = 14) -> Instance:
    return generate(
        seed=seed, n_days=n_days, staff={"gp": 8, "physio": 5, "nurse": 8}, sectors=("Nord", "Sud")
    )


def test_same_instance_twice_with_two_workers_gives_the_same_roster() -> None:
    instance = three_professions(6)
    config = SolverConfig(time_limit_s=5, workers=2, seed=0)
    first, second = solve(instance, config), solve(instance, config)
    assert first.status == "optimal"
    assert first.assignments == second.assignments
    assert first.objective_terms == second.objective_terms


def test_a_search_stopped_by_its_work_budget_gives_the_same_roster_too() -> None:
    instance = venissieux_month(3)
    config = SolverConfig(time_limit_s=0.05, workers=2, seed=0)
    first, second = solve(instance, config), solve(instance, config)
    assert first.status == "feasible", "the budget is meant to stop the search early"
    assert first.assignments == second.assignments


def test_same_roster_in_another_process_with_another_hash_seed() -> None:
    code = (
        "import json; from solver import SolverConfig, solve; "
        "from solver.instance import assignment_to_dict; "
        "from tests.solver.test_strategy import three_professions; "
        "r = solve(three_professions(8), SolverConfig(time_limit_s=2, workers=2, seed=0)); "
        "print(json.dumps([assignment_to_dict(a) for a in r.assignments]))"
    )
    rosters = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        rosters.append(json.loads(out.stdout))
    assert rosters[0] == rosters[1]
    assert len(rosters[0]) > 0


def fairness_tempts_to_leave_a_gap() -> Instance:
    """Four Nord afternoons; `capped` may take one, so `both` (Nord and Sud) must take
    three, one above their fair share of two, or one afternoon stays uncovered."""
    capped = gp("capped", max_shifts_per_period=1)
    both = gp("both", sectors=("Nord", "Sud"))
    return one_a_day(days=weekdays(4), practitioners=(capped, both), rules=Rules(min_rest_days=0))


def test_coverage_comes_first_whatever_the_weights() -> None:
    instance = fairness_tempts_to_leave_a_gap()
    band = bands(instance)[("both", False)]
    assert (band.low, band.high) == (2, 2)
    for weights in (Weights(), Weights(uncovered=1, fairness=1_000, fairness_far=3_000)):
        result = solve(instance, SolverConfig(time_limit_s=5, workers=2, weights=weights))
        assert result.uncovered == 0
        assert result.coverage_status == "optimal"
        assert result.status == "optimal"
        assert result.objective_terms["fairness"] > 0
        assert check(instance, result.assignments) == []


def test_coverage_is_proven_before_fairness_even_when_fairness_is_not() -> None:
    instance = venissieux_month(3)
    result = solve(instance, SolverConfig(time_limit_s=0.05, workers=2))
    assert result.coverage_status == "optimal"
    assert result.uncovered == 0
    assert check(instance, result.assignments) == []


def test_parts_share_no_demand_and_keep_every_fair_share() -> None:
    instance = dense_territory(2)
    parts = split(instance)
    assert len(parts) > 3, "one part per profession at least, more when sectors are apart"
    assert sorted(p.id for part in parts for p in part.practitioners) == sorted(
        p.id for p in instance.practitioners
    )
    assert Counter(d for part in parts for d in part.demands) == Counter(instance.demands)
    whole = bands(instance)
    for part in parts:
        for key, band in bands(part).items():
            assert band == whole[key]


def test_each_part_keeps_its_own_context_and_the_roster_respects_it() -> None:
    instance = three_professions(9, n_days=7)
    eve = instance.days[0].date - dt.timedelta(days=1)
    context = tuple(
        Assignment(p.id, eve, "14-20", p.sectors[0]) for p in instance.practitioners[::4]
    )
    with_context = dataclasses.replace(instance, context=context)
    parts = split(with_context)
    assert Counter(a for part in parts for a in part.context) == Counter(context)
    for part in parts:
        ids = {p.id for p in part.practitioners}
        assert all(a.practitioner in ids for a in part.context)
    result = solve(with_context, SolverConfig(time_limit_s=2, workers=2))
    assert check(with_context, result.assignments) == []
    on_call_eve = {a.practitioner for a in context}
    first_day = instance.days[0].date
    assert not any(a.practitioner in on_call_eve and a.day == first_day for a in result.assignments)


def test_practitioners_without_demand_and_demand_without_practitioners_form_one_part() -> None:
    idle = Practitioner("idle", "physio", ("Nord",))
    instance = one_a_day(days=weekdays(3), practitioners=(gp("a"), gp("b"), idle))
    orphan = dataclasses.replace(instance, demands=(*instance.demands,
        dataclasses.replace(instance.demands[0], profession="nurse")))  # fmt: skip
    parts = split(orphan)
    assert [sorted(p.id for p in part.practitioners) for part in parts] == [["a", "b"], ["idle"]]
    assert [d.profession for d in parts[1].demands] == ["nurse"]
    result = solve(orphan, SolverConfig(time_limit_s=2, workers=2))
    assert result.uncovered == 1
    assert [(g.profession, g.missing) for g in result.gaps] == [("nurse", 1)]


def test_two_block_rosters_pass_the_checker() -> None:
    instance = generate(
        seed=1, n_days=10, staff={"gp": 8, "nurse": 6}, blocks=("14-17", "17-20"),
        demand=TWO_BLOCK_DEMAND,
    )  # fmt: skip
    result = solve(instance, SolverConfig(time_limit_s=1, workers=2))
    assert check(instance, result.assignments) == []
    assert check(instance, greedy_roster(instance)) == []
    assert result.coverage_status == "optimal"
    demanded = sum(d.count for d in instance.demands)
    assert result.uncovered <= demanded - len(greedy_roster(instance))


def test_a_wall_clock_limit_still_returns_a_valid_roster() -> None:
    instance = venissieux_month(4)
    result = solve(instance, SolverConfig(time_limit_s=100, wall_time_limit_s=0.5, workers=2))
    assert check(instance, result.assignments) == []
    assert len(result.assignments) > 0


def test_the_work_left_over_improves_unproven_parts_the_same_way_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part whose last stage stays unproven after the first round gets the search with
    the relaxation (then time windows) from the work the parts left; with two workers,
    twice the same roster."""
    solve_module = importlib.import_module("solver.solve")
    improved: list[float] = []

    def spying(step: Improvement) -> Improvement:
        def spy(
            built: BuiltModel, config: SolverConfig, budget: Budget, stage: Stage, work: float
        ) -> Stage:
            improved.append(stage.objective)
            return step(built, config, budget, stage, work)

        return spy

    steps = tuple((spying(step), share) for step, share in solve_module._IMPROVEMENTS)
    monkeypatch.setattr(solve_module, "_IMPROVEMENTS", steps)
    instance = three_professions(11, n_days=49)
    config = SolverConfig(time_limit_s=2, workers=2, seed=0)
    first, second = solve(instance, config), solve(instance, config)
    assert improved, "no part was left unproven: the instance no longer exercises the second round"
    assert first.assignments == second.assignments
    assert first.objective_terms == second.objective_terms
    assert check(instance, first.assignments) == []
