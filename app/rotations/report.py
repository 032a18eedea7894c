"""The quality report of a rotation: coverage, load balance and preferences met."""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.rotations.models import FairShare, Rotation
from app.rotations.schemas import BalanceFigure, CoverageFigure, PreferenceFigure, QualityReport
from app.rotations.solving import active_shifts, as_assignment, build_input, sector_id_of

ServedBlocks = Counter[tuple[date, str, str, str]]
"""Practitioners on call per (day, block, profession, sector key)."""


def covered_demands(
    demands: Iterable[solver.Demand], served: ServedBlocks
) -> list[tuple[solver.Demand, int]]:
    """Each demand with how many practitioners the roster provides for it (at most the demand)."""
    return [(d, min(d.count, served[(d.day, d.block, d.profession, d.sector)])) for d in demands]


def coverage_figures(covered: Iterable[tuple[solver.Demand, int]]) -> list[CoverageFigure]:
    """Required versus covered blocks per profession and sector (100 % when nothing is required)."""
    required: Counter[tuple[str, str]] = Counter()
    provided: Counter[tuple[str, str]] = Counter()
    for demand, count in covered:
        required[(demand.profession, demand.sector)] += demand.count
        provided[(demand.profession, demand.sector)] += count
    return [
        CoverageFigure(
            profession=profession,
            sector_id=sector_id_of(sector),
            required=count,
            covered=provided[(profession, sector)],
            coverage_pct=round(100 * provided[(profession, sector)] / count, 2) if count else 100.0,
        )
        for (profession, sector), count in sorted(required.items())
    ]


def _coverage(instance: solver.Instance, roster: list[solver.Assignment]) -> list[CoverageFigure]:
    professions = {p.id: p.profession for p in instance.practitioners}
    served = Counter((a.day, a.block, professions[a.practitioner], a.sector) for a in roster)
    return coverage_figures(covered_demands(instance.demands, served))


def _balance(
    instance: solver.Instance, roster: list[solver.Assignment], shares: dict[str, float]
) -> list[BalanceFigure]:
    shifts = Counter(a.practitioner for a in roster)
    by_profession: dict[str, list[solver.Practitioner]] = defaultdict(list)
    for p in instance.practitioners:
        by_profession[p.profession].append(p)
    figures = []
    for profession, members in sorted(by_profession.items()):
        loads = [shifts[p.id] / p.fte for p in members]
        overloaded = [
            int(p.id) for p in members if p.id in shares and shifts[p.id] > math.ceil(shares[p.id])
        ]
        figures.append(
            BalanceFigure(
                profession=profession,
                practitioners=len(members),
                min_load_per_fte=round(min(loads), 3),
                max_load_per_fte=round(max(loads), 3),
                spread=round(max(loads) - min(loads), 3),
                overloaded_practitioner_ids=overloaded,
            )
        )
    return figures


def _preferences(instance: solver.Instance, roster: list[solver.Assignment]) -> PreferenceFigure:
    by_id = instance.practitioner_by_id
    with_preferred = [a for a in roster if by_id[a.practitioner].preferred_days]
    return PreferenceFigure(
        shifts_on_preferred_days=sum(
            1 for a in with_preferred if a.day in by_id[a.practitioner].preferred_days
        ),
        shifts_of_practitioners_with_preferred_days=len(with_preferred),
        shifts_on_avoided_days=sum(
            1 for a in roster if a.day in by_id[a.practitioner].avoided_days
        ),
    )


def quality_report(session: Session, *, rotation: Rotation) -> QualityReport:
    """Coverage per profession and sector, load balance per profession, preferences met."""
    instance = build_input(session, rotation=rotation).instance
    roster = [as_assignment(s) for s in active_shifts(session, rotation)]
    shares = {
        str(f.practitioner_id): f.weekday_fair_share + f.special_fair_share
        for f in session.scalars(select(FairShare).where(FairShare.rotation_id == rotation.id))
    }
    return QualityReport(
        rotation_id=rotation.id,
        coverage=_coverage(instance, roster),
        balance=_balance(instance, roster, shares),
        preferences=_preferences(instance, roster),
    )
