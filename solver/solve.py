"""Run CP-SAT on an instance, part by part and stage by stage, and build the `Result`.

Each independent part (see `components.py`) is solved in lexicographic stages on one
model: first the most demand that can be covered; then, with exactly that coverage, the
weighted sum of fairness, preferences and stability; last, with those held at their
value, even spacing. So no roster ever leaves demand uncovered that another roster could
cover for the sake of fairness or preferences, and spacing never costs anything else.

Parts are solved in two rounds. In the first, each part has a share of the work budget in
proportion to its size, and its last stage gets only the quick search. In the second, the
work the parts left unused goes to those whose last stage is still unproven, in proportion
to how far each may be from its best: first to the search with the linear relaxation,
then to time windows. Every part's work is deterministic, so that sharing is too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from solver.check import check
from solver.components import split
from solver.config import SolverConfig
from solver.explain import explain
from solver.greedy import fair_share_roster, greedy_roster
from solver.instance import Assignment, Instance
from solver.model import BuiltModel, build_model
from solver.progress import ProgressTracker, Report
from solver.result import Result, compute_loads
from solver.search import Budget, Stage, search, sweep_windows, with_relaxation

Improvement = Callable[[BuiltModel, SolverConfig, Budget, Stage, float], Stage]
"""A way to improve a part's last stage within some more deterministic seconds."""

_IMPROVEMENTS: tuple[tuple[Improvement, float], ...] = (
    (with_relaxation, 0.75),
    (sweep_windows, 1.0),
)
"""The second round's steps, each with its share of the work left unused at its turn: the
search with the relaxation (it proves the tight parts), then time windows with what is
left (they space out the roomy parts, whose bound the relaxation seldom raises)."""

_NEXT_STAGES_FLOOR = 0.2
"""Share of a part's budget left to its later stages, however long a stage takes."""


@dataclass(frozen=True)
class _Part:
    """A part solved: its stages in order (the last one holds the roster), and how long
    the part took to hold a first roster at its best coverage."""

    stages: list[Stage]
    complete: bool
    first_s: float
    built: BuiltModel | None = None
    """The model, kept while its last stage may still be improved."""

    @property
    def open_gap(self) -> float:
        """How far the last stage's roster may be from its best, if the part is complete."""
        last = self.stages[-1]
        return last.objective - last.bound if self.complete and self.built else 0.0

    @property
    def work(self) -> float:
        """Deterministic seconds spent on the part so far."""
        return sum(stage.work for stage in self.stages)


def solve(
    instance: Instance, config: SolverConfig | None = None, report: Report | None = None
) -> Result:
    """Best roster found for `instance` within the limits of `config`.

    The coverage stage starts from a hint: the previous roster if any (so a repair stays
    close to it), else a fair-share greedy roster; each later stage starts from the
    roster of the one before. Always returns a roster: demand is soft, and should a part
    find nothing in time, the least-recently-on-call roster is returned with status
    "unknown". `report`, if given, is told the `Progress` after every part's stage (from
    the threads that solve the parts, one call at a time).
    """
    config = config or SolverConfig()
    started = time.perf_counter()
    deadline = None if config.wall_time_limit_s is None else started + config.wall_time_limit_s
    parts = split(instance)
    sizes = [_size(part) for part in parts]
    at_once = max(1, min(config.workers, len(parts)))
    tracker = ProgressTracker(len(parts), report)
    capacity = config.time_limit_s * at_once

    def solve_part(i: int) -> _Part | None:
        share = min(config.time_limit_s, capacity * sizes[i] / max(1, sum(sizes)))
        return _solve_part(parts[i], config, Budget(share, deadline), tracker)

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        solved = list(pool.map(solve_part, range(len(parts))))
        if any(part is None for part in solved):
            return _fallback(instance, started)
        done = [part for part in solved if part]
        for step, share in _IMPROVEMENTS:
            spare = (capacity - sum(part.work for part in done)) * share
            done = list(pool.map(_improver(step, config, spare, deadline, done), done))
    return _result(instance, config, done, started)


def _size(part: Instance) -> int:
    """How much a part weighs in the budget: demanded shifts times practitioners."""
    return sum(d.count for d in part.demands) * len(part.practitioners)


def _stage_terms(built: BuiltModel) -> list[tuple[str, ...]]:
    """The terms minimised at each stage: coverage, then the weighted rest, then spacing."""
    middle = tuple(name for name in built.names if name not in ("uncovered", "spacing"))
    last = [("spacing",)] if "spacing" in built.names else []
    return [("uncovered",), middle, *last]


def _solve_part(
    part: Instance, config: SolverConfig, budget: Budget, tracker: ProgressTracker
) -> _Part | None:
    """Every stage on one part, within its budget; None if nothing was found.

    Each stage starts from the roster of the one before (the first from the starting
    roster), and needs no search when that roster is already at the stage's trivial
    lower bound. The coverage stage's roster is a first roster at the best coverage; the
    starting roster replaces it when that covers as much (it is fairer). Each stage but
    the last is held at its value for the stages after it; the last is not, since a bound
    on the objective being minimised slows the search with the relaxation that may follow.
    """
    started = time.perf_counter()
    built = build_model(part, config)
    if not built.variables.assign:
        missing = sum(d.count for d in part.demands)
        tracker.covered(missing)
        tracker.done()
        return _Part([Stage("optimal", [], missing, missing, 0.0)], True, 0.0)
    roster = _starting_roster(part, config)
    valid = _valid(part, roster)
    stages: list[Stage] = []
    first_s = 0.0
    held_in_total = False
    names = _stage_terms(built)
    for i, terms in enumerate(names):
        last = i == len(names) - 1
        work = budget.work if last else budget.work * (1 - _NEXT_STAGES_FLOOR)
        built.minimise(terms)
        built.hint(roster)
        stage = _at_lower_bound(built, terms, roster) if valid else None
        stage = stage or search(built, config, budget, work, i == 0, last, held_in_total)
        if stage is None:
            break
        if i == 0:
            first_s = time.perf_counter() - started
            held_in_total = built.hold_coverage(round(stage.objective))
            tracker.covered(round(stage.objective))
            if valid and built.value(terms, roster) == round(stage.objective):
                stage = replace(stage, roster=sorted(roster))
        elif not last:
            built.hold_at_most(terms, round(stage.objective))
        stages.append(stage)
        roster = set(stage.roster)
    if not stages:
        return None
    tracker.done()
    stages[-1] = replace(stages[-1], terms=built.term_values(roster))
    complete = len(stages) == len(names)
    return _Part(stages, complete, first_s, built if stages[-1].status != "optimal" else None)


def _improver(
    step: Improvement,
    config: SolverConfig,
    spare: float,
    deadline: float | None,
    parts: list[_Part],
) -> Callable[[_Part], _Part]:
    """What improves each part's last stage by `step` with `spare` deterministic seconds
    the parts left unused: shared in proportion to how far each part may be from its best
    (deterministic, since every part's work is), at most `time_limit_s` per part in all."""
    gaps = sum(part.open_gap for part in parts)

    def improve_part(part: _Part) -> _Part:
        if part.built is None or part.open_gap <= 0 or spare <= 0:
            return part
        work = min(config.time_limit_s - part.work, spare * part.open_gap / gaps)
        stage = step(part.built, config, Budget(work, deadline), part.stages[-1], work)
        stage = replace(stage, terms=part.built.term_values(set(stage.roster)))
        return replace(part, stages=[*part.stages[:-1], stage])

    return improve_part


def _at_lower_bound(
    built: BuiltModel, terms: tuple[str, ...], roster: set[Assignment]
) -> Stage | None:
    """The stage proven without search when `roster` (valid) already reaches the terms'
    trivial lower bound, else None. The coverage stage's starting roster is fairer than
    any the coverage search would find, so it is kept whenever it covers as much."""
    value = built.value(terms, roster)
    if value > built.lower_bound(terms):
        return None
    return Stage("optimal", sorted(roster), value, value, 0.0)


def _valid(part: Instance, roster: set[Assignment]) -> bool:
    """Whether a starting roster keeps every hard rule (a previous roster may not)."""
    return not check(part, roster)


def _starting_roster(instance: Instance, config: SolverConfig) -> set[Assignment]:
    """The previous roster when repairing, else the fair-share greedy roster."""
    if instance.previous_roster:
        return set(instance.previous_roster)
    return set(fair_share_roster(instance, config.spacing_window_days))


def _result(instance: Instance, config: SolverConfig, parts: list[_Part], started: float) -> Result:
    roster = sorted(a for part in parts for a in part.stages[-1].roster)
    coverage = [part.stages[0] for part in parts]
    missing = sum(round(stage.objective) for stage in coverage)
    missing_bound = sum(stage.bound for stage in coverage)
    coverage_proven = all(stage.status == "optimal" for stage in coverage)
    terms: dict[str, int] = {"uncovered": config.weights.uncovered * missing}
    rest, rest_bound = 0.0, 0.0
    for part in parts:
        for name, value in part.stages[-1].terms.items():
            if name != "uncovered":
                terms[name] = terms.get(name, 0) + value
                rest += value
        rest_bound += _lexicographic_bound(part.stages[1:])
    finished = all(
        part.complete and all(stage.status == "optimal" for stage in part.stages) for part in parts
    )
    proven = coverage_proven and (finished or rest <= rest_bound)
    if not coverage_proven:
        gap = abs(missing - missing_bound) / max(1, missing)
    else:
        gap = 0.0 if proven else abs(rest - rest_bound) / max(1.0, abs(rest))
    return Result(
        status="optimal" if proven else "feasible",
        coverage_status="optimal" if coverage_proven else "feasible",
        assignments=tuple(roster),
        gaps=tuple(explain(instance, roster)),
        loads=compute_loads(instance, roster),
        objective=sum(terms.values()),
        best_bound=config.weights.uncovered * missing_bound + rest_bound,
        gap=gap,
        wall_time_s=time.perf_counter() - started,
        time_to_first_solution_s=sum(part.first_s for part in parts),
        deterministic_time_s=sum(stage.work for part in parts for stage in part.stages),
        objective_terms=terms,
    )


def _lexicographic_bound(stages: list[Stage]) -> float:
    """Lower bound of the terms after coverage: proven stages count their value, the first
    unproven one its bound, later ones nothing."""
    bound = 0.0
    for stage in stages:
        if stage.status != "optimal":
            return bound + stage.bound
        bound += stage.objective
    return bound


def _fallback(instance: Instance, started: float) -> Result:
    roster = greedy_roster(instance)
    return Result(
        status="unknown",
        coverage_status="unknown",
        assignments=tuple(roster),
        gaps=tuple(explain(instance, roster)),
        loads=compute_loads(instance, roster),
        objective=None,
        best_bound=None,
        gap=None,
        wall_time_s=time.perf_counter() - started,
        time_to_first_solution_s=None,
        deterministic_time_s=0.0,
        objective_terms={},
        method="greedy",
    )
