"""Seeded, realistic instances for tests, benchmarks and demos.

A territory has sectors, practitioners of each profession (some part-time, some in two
sectors), holidays, absences (vacations and odd days), preferred and avoided weekdays,
personal maxima and a fairness history from earlier months.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence

from solver.instance import Day, Demand, History, Instance, Practitioner, Rules

DemandTable = Mapping[str, Mapping[str, int]]
"""Wanted per sector and block: {"weekday" | "saturday" | "sunday": {profession: n}}."""

DEFAULT_DEMAND: DemandTable = {
    "weekday": {"gp": 2, "physio": 1, "nurse": 2},
    "saturday": {"gp": 1, "physio": 1, "nurse": 1},
    "sunday": {"gp": 1, "nurse": 1},
}
VENISSIEUX_STAFF = {"gp": 40, "physio": 30, "nurse": 50}


def easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    L = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * L) // 451
    month, day = divmod(h + L - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_holidays(year: int) -> set[dt.date]:
    """The eleven national public holidays of metropolitan France."""
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    sunday = easter(year)
    moving = [sunday + dt.timedelta(days=n) for n in (1, 39, 50)]
    return {dt.date(year, m, d) for m, d in fixed} | set(moving)


def horizon(start: dt.date, n_days: int) -> tuple[Day, ...]:
    """`n_days` consecutive days from `start`, flagged weekend or holiday."""
    dates = [start + dt.timedelta(days=i) for i in range(n_days)]
    holidays = set().union(*(french_holidays(y) for y in {d.year for d in dates}))
    return tuple(
        Day(d, "holiday" if d in holidays else "weekend" if d.weekday() >= 5 else "weekday")
        for d in dates
    )


def _demand_kind(day: Day) -> str:
    if day.kind == "weekday":
        return "weekday"
    return "saturday" if day.date.weekday() == 5 and day.kind == "weekend" else "sunday"


def demands(
    days: Sequence[Day], blocks: Sequence[str], sectors: Sequence[str], table: DemandTable
) -> tuple[Demand, ...]:
    """The demand table applied to every day, block and sector."""
    return tuple(
        Demand(day.date, block, profession, sector, count)
        for day in days
        for block in blocks
        for sector in sectors
        for profession, count in table[_demand_kind(day)].items()
        if count > 0
    )


def _absences(rng: random.Random, days: Sequence[Day], absence_rate: float) -> list[dt.date]:
    dates = [d.date for d in days]
    absent = {d for d in dates if rng.random() < absence_rate}
    if rng.random() < 3 * absence_rate:
        start = rng.randrange(len(dates))
        absent.update(dates[start : start + rng.randint(5, 14)])
    return sorted(absent)


def _weekdays(rng: random.Random, days: Sequence[Day], n: int) -> list[dt.date]:
    chosen = rng.sample(range(5), n)
    return [d.date for d in days if d.kind == "weekday" and d.date.weekday() in chosen]


def _history(rng: random.Random, days: Sequence[Day]) -> History:
    months = rng.randint(0, 12)
    weekday_share = round(months * rng.uniform(3.0, 4.0), 2)
    special_share = round(months * rng.uniform(0.5, 1.0), 2)
    last = days[0].date - dt.timedelta(days=rng.randint(1, 10)) if months else None
    return History(
        weekday_shifts=max(0, round(weekday_share) + rng.randint(-2, 2)),
        special_shifts=max(0, round(special_share) + rng.randint(-1, 1)),
        weekday_fair_share=weekday_share,
        special_fair_share=special_share,
        last_on_call=last,
    )


def _practitioner(
    rng: random.Random,
    pid: str,
    profession: str,
    sectors: Sequence[str],
    days: Sequence[Day],
    absence_rate: float,
    with_history: bool,
) -> Practitioner:
    home = rng.randrange(len(sectors))
    own = [sectors[home]]
    if len(sectors) > 1 and rng.random() < 0.1:
        own.append(sectors[(home + 1) % len(sectors)])
    limited = rng.random() < 0.15
    return Practitioner(
        id=pid,
        profession=profession,
        sectors=tuple(own),
        fte=rng.choice((0.5, 0.6, 0.8)) if rng.random() < 0.2 else 1.0,
        unavailable_days=tuple(_absences(rng, days, absence_rate)),
        preferred_days=tuple(_weekdays(rng, days, 2)) if rng.random() < 0.3 else (),
        avoided_days=tuple(_weekdays(rng, days, 1)) if rng.random() < 0.2 else (),
        max_shifts_per_period=rng.randint(2, 4) * max(1, len(days) // 28) if limited else None,
        max_shifts_per_week=2,
        history=_history(rng, days) if with_history else History(),
    )


def generate(
    *,
    seed: int = 0,
    start: dt.date = dt.date(2026, 3, 1),
    n_days: int = 31,
    staff: Mapping[str, int] = VENISSIEUX_STAFF,
    sectors: Sequence[str] = ("Nord", "Centre", "Sud"),
    blocks: Sequence[str] = ("14-20",),
    demand: DemandTable = DEFAULT_DEMAND,
    absence_rate: float = 0.05,
    with_history: bool = True,
    rules: Rules | None = None,
) -> Instance:
    """A random territory, identical for identical arguments.

    `staff` gives the head count per profession; `demand` the practitioners wanted per
    sector, block and kind of day (holidays use the Sunday row).
    """
    rng = random.Random(seed)
    days = horizon(start, n_days)
    practitioners = tuple(
        _practitioner(
            rng, f"{profession}-{i:03d}", profession, sectors, days, absence_rate, with_history
        )
        for profession, count in staff.items()
        for i in range(count)
    )
    return Instance(
        days=days,
        blocks=tuple(blocks),
        demands=demands(days, blocks, sectors, demand),
        practitioners=practitioners,
        rules=rules or Rules(),
    )


TWO_BLOCK_DEMAND: DemandTable = {
    "weekday": {"gp": 1, "physio": 1, "nurse": 1},
    "saturday": {"gp": 1, "physio": 1, "nurse": 1},
    "sunday": {"gp": 1, "nurse": 1},
}
"""Wanted per sector in each of two blocks (14-17, 17-20): the afternoon split in two."""


def venissieux_month(seed: int = 0, *, two_blocks: bool = False) -> Instance:
    """A Vénissieux-size month: 40 GPs, 30 physios, 50 nurses, 3 sectors, one 14-20 block
    (or the afternoon split into 14-17 and 17-20, one block a day per practitioner)."""
    if two_blocks:
        return generate(seed=seed, blocks=("14-17", "17-20"), demand=TWO_BLOCK_DEMAND)
    return generate(seed=seed)


def dense_territory(seed: int = 0, *, practitioners: int = 480, months: int = 1) -> Instance:
    """A dense territory of many small sectors: 40 practitioners per sector (a third GPs,
    a quarter physios, the rest nurses), 1 or 3 months from March."""
    sectors = tuple(f"S{i + 1:02d}" for i in range(practitioners // 40))
    gps, physios = practitioners // 3, practitioners // 4
    return generate(
        seed=seed,
        n_days={1: 31, 3: 92}[months],
        staff={"gp": gps, "physio": physios, "nurse": practitioners - gps - physios},
        sectors=sectors,
    )


def large_territory(seed: int = 0) -> Instance:
    """A large territory: 480 practitioners, 4 sectors, 3 months (March to May)."""
    return generate(
        seed=seed,
        n_days=92,
        staff={"gp": 160, "physio": 120, "nurse": 200},
        sectors=("Nord", "Est", "Sud", "Ouest"),
    )
