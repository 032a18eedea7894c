"""Benchmark: CP-SAT rosters against the greedy 'least recently on call' rule.

Run: .venv/bin/python -m bench.solver [--time-limit 60] [--wall-limit 60] [--workers 2]
Prints one row per (instance, method); every roster is verified by the independent checker.
The machine's load average is printed before and after: timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from solver import Instance, SolverConfig, check, compute_loads, greedy_roster, solve
from solver.generate import dense_territory, generate, large_territory, venissieux_month
from solver.instance import Assignment, CompetenceDemand
from solver.objective import misses_preference


@dataclass(frozen=True)
class Fairness:
    """How far a roster is from everyone's own fair-share target, and from their wishes."""

    worst: float
    total: float
    worst_special: float
    avoided: int
    preferred_met: float


def fairness(instance: Instance, roster: list[Assignment]) -> Fairness:
    """Worst and total |load - target| (total: weekday and weekend/holiday classes apart),
    worst weekend/holiday |load - target|, avoided days used, share of preferred days met."""
    worst = total = worst_special = 0.0
    for load in compute_loads(instance, roster):
        weekday = abs(load.weekday_shifts - load.weekday_target)
        special = abs(load.special_shifts - load.special_target)
        worst = max(worst, abs(load.shifts - load.weekday_target - load.special_target))
        worst_special = max(worst_special, special)
        total += weekday + special
    by_id = instance.practitioner_by_id
    concerned = [a for a in roster if by_id[a.practitioner].preferred_days]
    met = sum(not misses_preference(instance, a) for a in concerned)
    avoided = sum(a.day in by_id[a.practitioner].avoided_days for a in roster)
    return Fairness(worst, total, worst_special, avoided, met / len(concerned) if concerned else 1)


def size(instance: Instance) -> str:
    sectors = {s for p in instance.practitioners for s in p.sectors}
    demanded = sum(d.count for d in instance.demands)
    return f"{len(instance.practitioners)}p {len(sectors)}s {len(instance.days)}d {demanded}sh"


HEADER = (
    f"{'instance':<26} {'method':<7} {'status':<17} {'wall':>6} {'1st':>6} {'work':>6} "
    f"{'objective':>10} {'bound':>10} {'gap':>6} {'gaps':>4} {'worst':>5} {'total':>7} "
    f"{'we/ho':>5} {'avoid':>5} {'pref':>5}"
)


def fairness_columns(f: Fairness, uncovered: int) -> str:
    return (
        f"{uncovered:>4} {f.worst:>5.2f} {f.total:>7.1f} {f.worst_special:>5.2f} "
        f"{f.avoided:>5} {100 * f.preferred_met:>4.0f}%"
    )


def run(name: str, instance: Instance, config: SolverConfig) -> None:
    demanded = sum(d.count for d in instance.demands)
    started = time.perf_counter()
    baseline = greedy_roster(instance)
    greedy_s = time.perf_counter() - started
    result = solve(instance, config)
    roster = list(result.assignments)
    for method, candidate in (("greedy", baseline), ("CP-SAT", roster)):
        # the greedy baseline knows no competence rule: only CP-SAT's roster must keep it
        ignored = {"competence"} if method == "greedy" else set()
        violations = [v for v in check(instance, candidate) if v.rule not in ignored]
        if violations:
            raise SystemExit(f"{name}/{method}: roster breaks hard rules: {violations[:3]}")
    greedy = fairness(instance, baseline)
    sat = fairness(instance, roster)
    print(
        f"{name:<26} {'greedy':<7} {'-':<17} {greedy_s:>5.2f}s {'-':>6} {'-':>6} "
        f"{'-':>10} {'-':>10} {'-':>6} {fairness_columns(greedy, demanded - len(baseline))}"
    )
    status = f"{result.status} (cov. {result.coverage_status[:4]})"
    first = result.time_to_first_solution_s
    print(
        f"{'':<26} {'CP-SAT':<7} {status:<17} {result.wall_time_s:>5.1f}s "
        f"{first or 0:>5.1f}s {result.deterministic_time_s:>6.1f} {result.objective or 0:>10.0f} "
        f"{result.best_bound or 0:>10.0f} {100 * (result.gap or 0):>5.2f}% "
        f"{fairness_columns(sat, result.uncovered)}"
    )
    beaten = [
        greedy.worst > sat.worst or greedy.worst == sat.worst == 0,
        greedy.total > sat.total or greedy.total == sat.total == 0,
        greedy.worst_special >= sat.worst_special,
        greedy.avoided >= sat.avoided,
        greedy.preferred_met <= sat.preferred_met,
    ]
    verdict = "greedy beaten on every figure" if all(beaten) else f"NOT beaten: {beaten}"
    print(f"{'':<26} {verdict}; terms {result.objective_terms}")


COMPETENCES = {
    "physio": ("Kinésithérapie respiratoire (bronchiolite)", 3, True),
    "gp": ("ECG", 3, False),
    "nurse": ("Pansement complexe", 2, False),
}
"""Per profession: a competence, held by one practitioner in N, and whether it is wanted
on weekends and holidays only; one holder is wanted on call in each block where the
profession is (across the three sectors)."""


def venissieux_competences(seed: int) -> Instance:
    """The Vénissieux month with competence rules (see `COMPETENCES`)."""
    base = venissieux_month(seed)
    practitioners = tuple(
        dataclasses.replace(p, competences=(COMPETENCES[p.profession][0],))
        if int(p.id.rsplit("-", 1)[1]) % COMPETENCES[p.profession][1] == 0
        else p
        for p in base.practitioners
    )
    special = {day.date for day in base.days if day.is_special}
    wanted = sorted({(d.day, d.block, d.profession) for d in base.demands if d.count > 0})
    rules = tuple(
        CompetenceDemand(day, block, profession, COMPETENCES[profession][0], 1)
        for day, block, profession in wanted
        if day in special or not COMPETENCES[profession][2]
    )
    return dataclasses.replace(base, practitioners=practitioners, competence_demands=rules)


INSTANCES: dict[str, Callable[[int], Instance]] = {
    "Venissieux month": venissieux_month,
    "Venissieux month, competences": venissieux_competences,
    "Venissieux month, fresh": lambda seed: generate(seed=seed, with_history=False),
    "Venissieux, two blocks": lambda seed: venissieux_month(seed, two_blocks=True),
    "120p, 3 months": lambda seed: generate(seed=seed, n_days=92),
    "480p 4s, 3 months": large_territory,
    "480p 12s, 1 month": dense_territory,
    "480p 12s, 3 months": lambda seed: dense_territory(seed, months=3),
    "960p 24s, 1 month": lambda seed: dense_territory(seed, practitioners=960),
    "960p 24s, 3 months": lambda seed: dense_territory(seed, practitioners=960, months=3),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=60.0, help="deterministic seconds")
    parser.add_argument("--wall-limit", type=float, default=60.0, help="wall-clock safety net")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    args = parser.parse_args()
    config = SolverConfig(
        time_limit_s=args.time_limit,
        wall_time_limit_s=args.wall_limit,
        workers=args.workers,
        seed=args.seed,
    )
    print(
        f"CP-SAT: {args.workers} workers, {args.time_limit:g} deterministic s per part at "
        f"most, {args.wall_limit:g} s wall-clock safety net, seed {args.seed}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print("status: all stages / coverage stage; 1st: time to a first roster at best coverage;")
    print("work: CP-SAT deterministic seconds; gaps: uncovered shifts; worst / total: |load -")
    print("own fair-share target| (worst practitioner / sum over practitioners and day classes);")
    print("we/ho: worst weekend-holiday |load - target|; avoid: shifts on avoided days;")
    print("pref: shifts on preferred days (for those who gave some).")
    print(HEADER)
    for name, make in INSTANCES.items():
        if args.only and name not in args.only:
            continue
        run(name, make(args.seed), config)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
