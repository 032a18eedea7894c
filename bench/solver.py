"""Benchmark: CP-SAT rosters against the greedy 'least recently on call' rule.

Run: .venv/bin/python -m bench.solver [--time-limit 30] [--workers 2]
Prints one row per (instance, method); every roster is verified by the independent checker.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from solver import Instance, SolverConfig, check, compute_loads, greedy_roster, solve
from solver.generate import generate, large_territory, venissieux_month
from solver.instance import Assignment
from solver.objective import misses_preference


@dataclass(frozen=True)
class Row:
    instance: str
    method: str
    size: str
    first_s: float | None
    done: str
    spread: float
    worst_deviation: float
    balance: float
    preferences_met: float
    avoided: int
    uncovered: int


def size(instance: Instance) -> str:
    sectors = {s for p in instance.practitioners for s in p.sectors}
    demanded = sum(d.count for d in instance.demands)
    return f"{len(instance.practitioners)}p {len(sectors)}s {len(instance.days)}d {demanded}sh"


def fairness(instance: Instance, roster: list[Assignment]) -> tuple[float, float, float]:
    """Spread (max - min shifts per FTE, worst profession), worst |load - target|, balance."""
    per_profession: dict[str, list[float]] = defaultdict(list)
    worst = 0.0
    for load in compute_loads(instance, roster):
        per_profession[load.profession].append(load.shifts / load.fte)
        target = load.weekday_target + load.special_target
        worst = max(worst, abs(load.shifts - target))
    spread = max(max(v) - min(v) for v in per_profession.values())
    ratios = [
        min(a, b) / max(a, b) if max(a, b) else 1.0
        for values in per_profession.values()
        for a, b in itertools.combinations(values, 2)
    ]
    return spread, worst, statistics.fmean(ratios)


def preferences(instance: Instance, roster: list[Assignment]) -> tuple[float, int]:
    """Share of shifts on a preferred day (where the practitioner gave some), avoided-day hits."""
    concerned = [a for a in roster if instance.practitioner_by_id[a.practitioner].preferred_days]
    met = sum(not misses_preference(instance, a) for a in concerned)
    avoided = sum(a.day in instance.practitioner_by_id[a.practitioner].avoided_days for a in roster)
    return (met / len(concerned) if concerned else 1.0), avoided


def measure(name: str, instance: Instance, method: str, roster: list[Assignment],
            first_s: float | None, done: str) -> Row:  # fmt: skip
    violations = check(instance, roster)
    if violations:
        raise SystemExit(f"{name}/{method}: roster breaks hard rules: {violations[:3]}")
    spread, worst, balance = fairness(instance, roster)
    met, avoided = preferences(instance, roster)
    uncovered = sum(d.count for d in instance.demands) - len(roster)
    return Row(name, method, size(instance), first_s, done, spread, worst, balance, met, avoided,
               uncovered)  # fmt: skip


def run(name: str, instance: Instance, config: SolverConfig) -> list[Row]:
    started = time.perf_counter()
    baseline = greedy_roster(instance)
    greedy_s = time.perf_counter() - started
    result = solve(instance, config)
    if result.status == "optimal":
        done = f"optimal {result.wall_time_s:.1f}s"
    else:
        done = f"{result.status} gap {100 * (result.gap or 1):.2f}% @{result.wall_time_s:.0f}s"
    roster = list(result.assignments)
    return [
        measure(name, instance, "greedy LRU", baseline, greedy_s, f"done {greedy_s:.2f}s"),
        measure(name, instance, "CP-SAT", roster, result.time_to_first_solution_s, done),
    ]


HEADER = (
    f"{'instance':<23} {'method':<10} {'size':<24} {'1st sol':>8} {'optimum / gap':<24} "
    f"{'spread':>6} {'|l-t|':>5} {'balance':>7} {'pref':>5} {'avoid':>5} {'gaps':>4}"
)


def line(row: Row) -> str:
    first = "-" if row.first_s is None else f"{row.first_s:.2f}s"
    return (
        f"{row.instance:<23} {row.method:<10} {row.size:<24} {first:>8} {row.done:<24} "
        f"{row.spread:>6.2f} {row.worst_deviation:>5.2f} {row.balance:>7.3f} "
        f"{100 * row.preferences_met:>4.0f}% {row.avoided:>5} {row.uncovered:>4}"
    )


def ratios(greedy: Row, sat: Row) -> str:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b else ("=" if a == 0 else "inf")

    return (
        f"{'':<23} {'gain':<10} spread {ratio(greedy.spread, sat.spread)} smaller, "
        f"|load-target| {ratio(greedy.worst_deviation, sat.worst_deviation)} smaller, "
        f"balance {sat.balance / greedy.balance:.2f}x, gaps {greedy.uncovered} -> {sat.uncovered}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = SolverConfig(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    one_sector = {
        "weekday": {"gp": 3, "physio": 2, "nurse": 3},
        "saturday": {"gp": 2, "physio": 1, "nurse": 2},
        "sunday": {"gp": 1, "nurse": 1},
    }
    instances = {
        "venissieux, history": venissieux_month(args.seed),
        "venissieux, fresh": generate(seed=args.seed, with_history=False),
        "venissieux 1 sect fresh": generate(
            seed=args.seed, sectors=("Venissieux",), demand=one_sector, with_history=False
        ),
        "large 3 mo, history": large_territory(args.seed),
    }
    print(f"CP-SAT: {args.workers} workers, {args.time_limit:.0f} s limit, seed {args.seed}")
    print("spread: max-min shifts per FTE in the worst profession; |l-t|: worst distance from")
    print("own fair-share target; balance: mean over pairs of min/max shifts per FTE;")
    print("pref: shifts on preferred days; avoid: shifts on avoided days; gaps: uncovered shifts.")
    print("With history, targets repay earlier months' debts, so this period's spread is not")
    print("the solver's goal there: compare |l-t| (fresh instances compare raw spreads too).")
    print(HEADER)
    for name, instance in instances.items():
        greedy, sat = run(name, instance, config)
        print(line(greedy))
        print(line(sat))
        print(ratios(greedy, sat))


if __name__ == "__main__":
    main()
