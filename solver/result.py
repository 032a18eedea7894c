"""Solver output: the roster, its gaps with reasons, the load per practitioner, the figures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from solver.instance import Assignment, History, Instance, assignment_to_dict
from solver.shares import bands

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True)
class Gap:
    """`missing` practitioners short on one demand, and why in data terms.

    `breakdown` counts the pool of practitioners of that profession and sector by what kept
    them (e.g. {"absent": 2, "at monthly maximum": 1}); `reason` says it in one sentence.
    """

    day: dt.date
    block: str
    profession: str
    sector: str
    missing: int
    reason: str
    breakdown: dict[str, int] = field(default_factory=dict)
    competence: str | None = None
    """Set when the gap is of practitioners with this competence (any sector)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation."""
        return {
            "day": self.day.isoformat(),
            "block": self.block,
            "profession": self.profession,
            "sector": self.sector,
            "missing": self.missing,
            "reason": self.reason,
            "breakdown": dict(self.breakdown),
            "competence": self.competence,
        }


@dataclass(frozen=True)
class Load:
    """Shifts one practitioner holds in the roster, against their fair share and target.

    `*_fair_share` is this period's share only; `*_target` adds the history carried in.
    """

    practitioner: str
    profession: str
    fte: float
    weekday_shifts: int
    special_shifts: int
    weekday_fair_share: float
    special_fair_share: float
    weekday_target: float
    special_target: float
    last_on_call: dt.date | None

    @property
    def shifts(self) -> int:
        """All shifts, weekdays and weekends/holidays together."""
        return self.weekday_shifts + self.special_shifts

    def history_after(self, previous: History) -> History:
        """The history to give this practitioner when solving the next period."""
        return History(
            weekday_shifts=previous.weekday_shifts + self.weekday_shifts,
            special_shifts=previous.special_shifts + self.special_shifts,
            weekday_fair_share=previous.weekday_fair_share + self.weekday_fair_share,
            special_fair_share=previous.special_fair_share + self.special_fair_share,
            last_on_call=self.last_on_call or previous.last_on_call,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation."""
        last = None if self.last_on_call is None else self.last_on_call.isoformat()
        return {
            "practitioner": self.practitioner,
            "profession": self.profession,
            "fte": self.fte,
            "weekday_shifts": self.weekday_shifts,
            "special_shifts": self.special_shifts,
            "weekday_fair_share": self.weekday_fair_share,
            "special_fair_share": self.special_fair_share,
            "weekday_target": self.weekday_target,
            "special_target": self.special_target,
            "last_on_call": last,
        }


@dataclass(frozen=True)
class Result:
    """A roster and how good it is.

    Coverage is optimised first: `coverage_status` is "optimal" when no roster could cover
    more demand. `status` is "optimal" when, besides, the other soft rules are proven at
    their best for that coverage. `objective` and `best_bound` are in weighted units (see
    `Weights`), the uncovered term included; `gap` is that of the soft rules after
    coverage, |objective - best_bound| / max(1, |objective|) over them, or while coverage
    is not proven, that of the uncovered count. `objective_terms` splits the objective by
    named term. `time_to_first_solution_s` sums, over the independent parts, the time
    each took to hold a first roster at its best coverage; `deterministic_time_s` is the
    CP-SAT work spent, in deterministic seconds (see `SolverConfig`). `method` is
    "cp-sat", or "greedy" when no solver solution was found in time.
    """

    status: Status
    coverage_status: Status
    assignments: tuple[Assignment, ...]
    gaps: tuple[Gap, ...]
    loads: tuple[Load, ...]
    objective: float | None
    best_bound: float | None
    gap: float | None
    wall_time_s: float
    time_to_first_solution_s: float | None
    deterministic_time_s: float
    objective_terms: dict[str, int]
    method: str = "cp-sat"

    @property
    def uncovered(self) -> int:
        """Total number of practitioners missing over all demands."""
        return sum(g.missing for g in self.gaps)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation."""
        return {
            "status": self.status,
            "coverage_status": self.coverage_status,
            "method": self.method,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "wall_time_s": self.wall_time_s,
            "time_to_first_solution_s": self.time_to_first_solution_s,
            "deterministic_time_s": self.deterministic_time_s,
            "objective_terms": dict(self.objective_terms),
            "assignments": [assignment_to_dict(a) for a in self.assignments],
            "gaps": [g.to_dict() for g in self.gaps],
            "loads": [load.to_dict() for load in self.loads],
        }

    def to_json(self) -> str:
        """JSON text of `to_dict`."""
        return json.dumps(self.to_dict(), indent=1)


def compute_loads(instance: Instance, assignments: Iterable[Assignment]) -> tuple[Load, ...]:
    """Load of every practitioner of the instance in a roster, in instance order."""
    counts: dict[tuple[str, bool], int] = {}
    last: dict[str, dt.date] = {}
    for a in assignments:
        key = (a.practitioner, instance.day_by_date[a.day].is_special)
        counts[key] = counts.get(key, 0) + 1
        last[a.practitioner] = max(a.day, last.get(a.practitioner, a.day))
    band = bands(instance)
    return tuple(
        Load(
            practitioner=p.id,
            profession=p.profession,
            fte=p.fte,
            weekday_shifts=counts.get((p.id, False), 0),
            special_shifts=counts.get((p.id, True), 0),
            weekday_fair_share=band[(p.id, False)].fair_share,
            special_fair_share=band[(p.id, True)].fair_share,
            weekday_target=band[(p.id, False)].target,
            special_target=band[(p.id, True)].target,
            last_on_call=last.get(p.id),
        )
        for p in instance.practitioners
    )
