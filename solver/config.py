"""How long and how hard to search, and what the roster should care about most."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Weights:
    """Integer objective weights, in decreasing order of importance.

    - `uncovered`: per missing practitioner on a demand;
    - `fairness`: per shift outside a practitioner's fair-share band (divided by FTE), and
      `fairness_far` for every shift beyond the first one outside it;
    - `avoided_day`: per shift on a day the practitioner asked to avoid;
    - `preferred_day_missed`: per shift off the preferred days, for those who gave some;
    - `stability`: per assignment added or dropped against the previous roster;
    - `spacing`: per extra shift inside a window of `spacing_window_days` days.
    """

    uncovered: int = 1_000_000
    fairness: int = 1_000
    fairness_far: int = 3_000
    avoided_day: int = 40
    preferred_day_missed: int = 20
    stability: int = 10
    spacing: int = 1


def _default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class SolverConfig:
    """Search parameters.

    The search is lexicographic: first the most demand that can be covered, then, with that
    coverage held, the weighted soft rules (see `Weights`), then even spacing. The instance
    is split into independent parts (practitioners who never share a demand, see
    `components.py`: at least one per profession), solved `workers` at a time, each by a
    single-threaded CP-SAT search, which is deterministic (measured faster here, for these
    models, than CP-SAT's interleaved multi-worker search, its only deterministic parallel
    mode).

    `time_limit_s` is a work budget in CP-SAT deterministic seconds, not wall-clock
    seconds: a search stops at the same point on every run, so the same instance, seed and
    workers always give the same roster, however busy the machine is. Each part gets a
    share of `workers * time_limit_s` in proportion to its size; what the parts leave
    unused then goes to those still unproven (see `solve.py`), at most `time_limit_s` per
    part in all.
    `wall_time_limit_s`, when set, is a safety net in real seconds for the stages after
    coverage; a solve it stops is no longer reproducible. Stages after coverage also stop
    once their relative gap falls to `relative_gap_limit`. `workers` defaults to the
    machine's cores.
    """

    time_limit_s: float = 10.0
    wall_time_limit_s: float | None = None
    relative_gap_limit: float = 0.0
    workers: int = field(default_factory=_default_workers)
    seed: int = 0
    spacing_window_days: int = 4
    weights: Weights = field(default_factory=Weights)
    log_search: bool = False
