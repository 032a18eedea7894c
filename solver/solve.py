"""Run CP-SAT on an instance and turn its answer into a `Result`."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from solver.config import SolverConfig
from solver.explain import explain
from solver.greedy import fair_share_roster, greedy_roster
from solver.instance import Assignment, Instance
from solver.model import BuiltModel, add_roster_hint, build_model
from solver.result import Result, Status, compute_loads

_STATUS: dict[cp_model.CpSolverStatus, Status] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
}


class _FirstSolutionClock(cp_model.CpSolverSolutionCallback):
    """Records when the first solution arrives, counted from `started`."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.started


def solve(instance: Instance, config: SolverConfig | None = None) -> Result:
    """Best roster found for `instance` within the limits of `config`.

    The search starts from a hint: the previous roster if any (so a repair stays close to
    it), else a fair-share greedy roster. Always returns a roster: demand is soft, and
    should the search find nothing in time, the least-recently-on-call roster is returned
    with status "unknown".
    """
    config = config or SolverConfig()
    started = time.perf_counter()
    built = build_model(instance, config)
    add_roster_hint(built, _starting_roster(instance, config))
    solver = _configured_solver(config)
    clock = _FirstSolutionClock(started)
    status = _STATUS.get(solver.solve(built.model, clock), "unknown")
    if clock.first is None:
        return _fallback(instance, status, started)
    roster = sorted(a for a, var in built.variables.assign.items() if solver.boolean_value(var))
    return _result(instance, built, solver, status, roster, started, clock.first)


def _starting_roster(instance: Instance, config: SolverConfig) -> set[Assignment]:
    """The previous roster when repairing, else the fair-share greedy roster."""
    if instance.previous_roster:
        return set(instance.previous_roster)
    return set(fair_share_roster(instance, config.spacing_window_days))


def _configured_solver(config: SolverConfig) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = config.time_limit_s
    solver.parameters.relative_gap_limit = config.relative_gap_limit
    solver.parameters.num_workers = config.workers
    solver.parameters.random_seed = config.seed
    solver.parameters.log_search_progress = config.log_search
    return solver


def _result(
    instance: Instance,
    built: BuiltModel,
    solver: cp_model.CpSolver,
    status: Status,
    roster: list[Assignment],
    started: float,
    first: float,
) -> Result:
    objective = solver.objective_value
    bound = solver.best_objective_bound
    gap = 0.0 if status == "optimal" else abs(objective - bound) / max(1.0, abs(objective))
    return Result(
        status=status,
        assignments=tuple(roster),
        gaps=tuple(explain(instance, roster)),
        loads=compute_loads(instance, roster),
        objective=objective,
        best_bound=bound,
        gap=gap,
        wall_time_s=time.perf_counter() - started,
        time_to_first_solution_s=first,
        objective_terms={name: int(solver.value(term)) for name, term in built.terms.items()},
    )


def _fallback(instance: Instance, status: Status, started: float) -> Result:
    roster = greedy_roster(instance)
    return Result(
        status=status,
        assignments=tuple(roster),
        gaps=tuple(explain(instance, roster)),
        loads=compute_loads(instance, roster),
        objective=None,
        best_bound=None,
        gap=None,
        wall_time_s=time.perf_counter() - started,
        time_to_first_solution_s=None,
        objective_terms={},
        method="greedy",
    )
