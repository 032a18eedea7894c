"""One stage's search: CP-SAT runs within a deterministic work budget.

The coverage stage runs CP-SAT as it comes: its relaxation is tight. Later stages search
first without the linear relaxation (on these models it finds the best rosters fastest,
and proves them whenever the bound follows from propagation alone), then, if that stops
short of a proof, with the relaxation over the whole roster, which proves the bounds
propagation cannot (see `spacing.py`). A part's last stage gets only the first search at
first; `with_relaxation` and `sweep_windows` (time windows re-solved in turn, the rest of
the roster frozen: see `windows.py`) improve it later, with the work the parts left (see
`solve.py`). Every run is single-threaded and bounded in deterministic time, so the same
model and seed always give the same roster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from solver.config import SolverConfig
from solver.instance import Assignment
from solver.model import BuiltModel
from solver.result import Status
from solver.windows import SWEEPS, frozen_outside, windows

_STATUS: dict[cp_model.CpSolverStatus, Status] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
}

_QUICK_SHARE = 1 / 3
"""Most of a stage's budget its search without the linear relaxation may use..."""

_QUICK_WORK_PER_SHIFT = 1 / 2000
"""...and at most this many deterministic seconds per candidate shift (at least
`_QUICK_FLOOR`): enough for that search to reach its best rosters on the bench's instances
where it can; where it cannot, the search with the relaxation does better with the rest."""

_QUICK_FLOOR = 0.5

_WORK_PER_WINDOW = 1.0
"""Deterministic seconds one time window may use at most."""

_QUICK: dict[str, int | bool] = {"linearization_level": 0, "max_presolve_iterations": 1}
"""The search without the linear relaxation, after one presolve pass: the default three
cost more wall time than the search itself on these models (and do not count as work)."""

_QUICK_LAST: dict[str, int | bool] = {**_QUICK, "cp_model_probing_level": 0}
"""The same for a part's last stage, without probing: on most of the bench's parts spacing
is found and proven two to four times faster without it (on a few large ones, slower),
while the stages before need it to prove theirs."""

_WITH_RELAXATION: dict[str, int | bool] = {
    "cp_model_presolve": False,
    "hint_conflict_limit": 0,
    "add_lp_constraints_lazily": False,
}
"""The search with the linear relaxation, from the best roster so far: measured faster
without presolve, with every constraint in the relaxation from the start (added lazily, the
bound took most of the search to climb), and with the hint only as the first roster (the
default phase that follows it cost as much as the rest of the search)."""


@dataclass
class Budget:
    """What is left of the deterministic work budget and of the wall-clock safety net."""

    work: float
    deadline: float | None

    def wall_left(self) -> float | None:
        """Seconds left before the safety net, or None without one."""
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())


@dataclass(frozen=True)
class Stage:
    """One stage's outcome: status, roster, objective and bound, work done, every term's
    value (filled in for a part's last stage)."""

    status: Status
    roster: list[Assignment]
    objective: float
    bound: float
    work: float
    terms: dict[str, int] = field(default_factory=dict)


def search(
    built: BuiltModel,
    config: SolverConfig,
    budget: Budget,
    work: float,
    coverage: bool,
    last: bool = False,
    held_in_total: bool = False,
) -> Stage | None:
    """Minimise the current objective within `work` deterministic seconds, from the hinted
    roster; None if no roster was found. The coverage stage runs CP-SAT as it comes; later
    stages search without the relaxation, then with it; the `last` stage only without it
    (`sweep_windows` and `with_relaxation` follow, once every part has had its turn).

    Stages before the last whose coverage is `held_in_total` (see `hold_coverage`) search
    with the relaxation at once: without an equality per demand, the search without it
    wanders (on the bench, rosters thousands of times the optimum after 0.6 deterministic
    seconds, where the relaxation proves the optimum in 0.05)."""
    if coverage:
        return run(built, config, budget, work, coverage, {})
    if held_in_total and not last:
        return run(built, config, budget, work, False, _WITH_RELAXATION)
    size = len(built.variables.assign) * _QUICK_WORK_PER_SHIFT
    limit = min(work * _QUICK_SHARE, max(_QUICK_FLOOR, size))
    quick = run(built, config, budget, limit, False, _QUICK_LAST if last else _QUICK)
    if quick is None or quick.status == "optimal" or last:
        return quick
    return with_relaxation(built, config, budget, quick, work - quick.work)


def sweep_windows(
    built: BuiltModel, config: SolverConfig, budget: Budget, start: Stage, work: float
) -> Stage:
    """`start` improved by re-solving time windows in turn, each with the rest of the
    roster frozen, within `work` deterministic seconds (added to the stage's work)."""
    best, spent = start, 0.0
    days = sorted({a.day for a in built.variables.assign})
    for _ in range(SWEEPS):
        before = best.objective
        for first, last in windows(days):
            limit = min(_WORK_PER_WINDOW, work - spent)
            if limit < 0.05 or budget.wall_left() == 0.0:
                return replace(best, work=best.work + spent)
            roster = set(best.roster)
            built.hint(roster)
            with frozen_outside(built, roster, first, last):
                found = run(built, config, budget, limit, False, _QUICK)
            spent += found.work if found else limit
            if found is not None and found.objective < best.objective:
                proven = found.objective <= best.bound
                status: Status = "optimal" if proven else "feasible"
                best = replace(found, status=status, bound=best.bound, work=best.work)
                if proven:
                    break
        if best.objective >= before or best.status == "optimal":
            break
    return replace(best, work=best.work + spent)


def with_relaxation(
    built: BuiltModel, config: SolverConfig, budget: Budget, best: Stage, work: float
) -> Stage:
    """The search with the linear relaxation over the whole roster from `best`, within
    `work` more deterministic seconds: it finds rosters that need changes across the whole
    period, and raises the bound."""
    built.hint(set(best.roster))
    full = run(built, config, budget, work, False, _WITH_RELAXATION)
    if full is None or full.objective > best.objective:
        return best
    return replace(full, work=full.work + best.work)


def run(
    built: BuiltModel,
    config: SolverConfig,
    budget: Budget,
    work: float,
    coverage: bool,
    settings: dict[str, int | bool],
) -> Stage | None:
    """Solve `built` within `work` deterministic seconds, on one thread so that the search
    is deterministic, with CP-SAT `settings` on top of its defaults; None if it found no
    solution.

    The wall-clock safety net spares the coverage stage, so that every part gets a roster
    at its best coverage (that stage is quick: its relaxation is tight)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = max(work, 0.01)
    wall_left = budget.wall_left()
    if wall_left is not None and not coverage:
        solver.parameters.max_time_in_seconds = max(wall_left, 0.01)
    solver.parameters.relative_gap_limit = 0.0 if coverage else config.relative_gap_limit
    solver.parameters.num_workers = 1
    for name, value in settings.items():
        setattr(solver.parameters, name, value)
    solver.parameters.random_seed = config.seed
    solver.parameters.log_search_progress = config.log_search
    status = _STATUS.get(solver.solve(built.model), "unknown")
    budget.work -= solver.deterministic_time
    if status not in ("optimal", "feasible"):
        return None
    roster = sorted(a for a, var in built.variables.assign.items() if solver.boolean_value(var))
    return Stage(
        status=status,
        roster=roster,
        objective=solver.objective_value,
        bound=solver.best_objective_bound,
        work=solver.deterministic_time,
    )
