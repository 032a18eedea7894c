"""Fair on-call rotations with OR-Tools CP-SAT. Imports ortools and the standard library only.

result = solve(instance, SolverConfig(time_limit_s=10))
assert check(instance, result.assignments) == []
"""

from solver.check import Violation, check
from solver.config import SolverConfig, Weights
from solver.explain import explain
from solver.greedy import greedy_roster
from solver.instance import (
    Assignment,
    CompetenceDemand,
    Day,
    Demand,
    History,
    Instance,
    InstanceError,
    Practitioner,
    Rules,
)
from solver.progress import Progress
from solver.result import Gap, Load, Result, compute_loads
from solver.solve import solve

__all__ = [
    "Assignment",
    "CompetenceDemand",
    "Day",
    "Demand",
    "Gap",
    "History",
    "Instance",
    "InstanceError",
    "Load",
    "Practitioner",
    "Progress",
    "Result",
    "Rules",
    "SolverConfig",
    "Violation",
    "Weights",
    "check",
    "compute_loads",
    "explain",
    "greedy_roster",
    "solve",
]
