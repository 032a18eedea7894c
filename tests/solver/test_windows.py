"""Time windows re-solved in turn: their layout, the freezing, and what a sweep gains."""

import datetime as dt
import itertools

from solver import SolverConfig, check, greedy_roster
from solver.generate import generate
from solver.model import build_model
from solver.search import Budget, Stage, sweep_windows
from solver.windows import STEP_DAYS, WINDOW_DAYS, frozen_outside, windows

START = dt.date(2026, 3, 2)


def days(n: int) -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(n)]


def test_a_month_is_solved_whole_and_three_months_by_overlapping_windows() -> None:
    assert windows(days(31)) == []
    period = days(92)
    spans = windows(period)
    assert spans[0][0] == period[0] and spans[-1][1] == period[-1]
    for (first, last), (following, _) in itertools.pairwise(spans):
        assert (last - first).days == WINDOW_DAYS - 1
        assert (following - first).days == STEP_DAYS
    assert (spans[-1][1] - spans[-1][0]).days < WINDOW_DAYS
    covered = {d for first, last in spans for d in period if first <= d <= last}
    assert covered == set(period)


def test_shifts_outside_the_window_are_fixed_while_it_is_solved_and_free_after() -> None:
    instance = generate(seed=1, n_days=49, staff={"gp": 6}, sectors=("Nord",))
    built = build_model(instance, SolverConfig())
    roster = set(greedy_roster(instance))
    first, last = instance.days[7].date, instance.days[27].date
    domains = built.model.proto.variables
    with frozen_outside(built, roster, first, last):
        for a, index in built.variables.assign_index.items():
            expected = [0, 1] if first <= a.day <= last else [int(a in roster)] * 2
            assert list(domains[index].domain) == expected
    assert all(list(domains[i].domain) == [0, 1] for i in built.variables.assign_index.values())


def test_a_sweep_spaces_out_a_crowded_roster_and_keeps_every_rule_and_its_coverage() -> None:
    instance = generate(seed=2, n_days=56, staff={"gp": 8}, sectors=("Nord",))
    config = SolverConfig(workers=1)
    built = build_model(instance, config)
    roster = set(greedy_roster(instance))
    covered = built.value(["uncovered"], roster)
    built.model.add(built.term("uncovered") <= covered)
    built.minimise(["spacing"])
    start = Stage("feasible", sorted(roster), built.value(["spacing"], roster), 0, 0.0)
    swept = sweep_windows(built, config, Budget(20.0, None), start, 20.0)
    assert swept.objective < start.objective
    assert swept.objective == built.value(["spacing"], set(swept.roster))
    assert built.value(["uncovered"], set(swept.roster)) <= covered
    assert check(instance, swept.roster) == []
    assert 0 < swept.work <= 20.0
