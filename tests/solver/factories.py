"""Keyword-only builders of small hand-made instances."""

import datetime as dt

from solver import Day, Demand, Instance, Practitioner, Rules

MONDAY = dt.date(2026, 3, 2)


def weekdays(n: int) -> tuple[Day, ...]:
    """`n` consecutive days from a Monday, all counted as weekdays."""
    return tuple(Day(MONDAY + dt.timedelta(days=i)) for i in range(n))


def gp(pid: str, **fields: object) -> Practitioner:
    """A full-time GP in sector Nord unless told otherwise."""
    fields.setdefault("sectors", ("Nord",))
    return Practitioner(id=pid, profession="gp", **fields)  # type: ignore[arg-type]


def one_a_day(
    *, days: tuple[Day, ...], practitioners: tuple[Practitioner, ...], rules: Rules = Rules(),
    profession: str = "gp", count: int = 1, **fields: object,
) -> Instance:  # fmt: skip
    """`count` practitioners of `profession` wanted in Nord every day, block 14-20."""
    demands = tuple(Demand(d.date, "14-20", profession, "Nord", count) for d in days)
    return Instance(
        days=days, blocks=("14-20",), demands=demands, practitioners=practitioners,
        rules=rules, **fields,  # type: ignore[arg-type]
    )  # fmt: skip
