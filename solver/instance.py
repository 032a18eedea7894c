"""Solver input: horizon, demand, practitioners and rules, as validated frozen dataclasses.

Every class round-trips through plain JSON types (`to_dict` / `from_dict`); dates are ISO
strings in JSON and `datetime.date` in Python. Constructing an `Instance` validates it and
raises `InstanceError` naming the offending field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, cast

DayKind = Literal["weekday", "weekend", "holiday"]
DAY_KINDS: tuple[str, ...] = ("weekday", "weekend", "holiday")


def week_of(day: dt.date) -> tuple[int, int]:
    """The ISO (year, week) of a day: weeks run Monday to Sunday."""
    year, week, _ = day.isocalendar()
    return year, week


def month_of(day: dt.date) -> tuple[int, int]:
    """The calendar (year, month) of a day."""
    return day.year, day.month


class InstanceError(ValueError):
    """An instance is malformed or self-contradictory; `field` names where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[InstanceError], tuple[str, str]]:
        """Pickle by field and message, so the error crosses the solver process intact."""
        return (InstanceError, (self.field, self.message))


@dataclass(frozen=True)
class Day:
    """One day of the horizon. Weekends and holidays are counted apart for fairness."""

    date: dt.date
    kind: DayKind = "weekday"

    @property
    def is_special(self) -> bool:
        """True on weekends and public holidays."""
        return self.kind != "weekday"


@dataclass(frozen=True, order=True)
class Assignment:
    """One shift: `practitioner` on call on `day` for `block`, serving `sector`."""

    practitioner: str
    day: dt.date
    block: str
    sector: str


@dataclass(frozen=True)
class Demand:
    """`count` practitioners of `profession` wanted in `sector` on `day` for `block`."""

    day: dt.date
    block: str
    profession: str
    sector: str
    count: int


@dataclass(frozen=True)
class CompetenceDemand:
    """At least `count` practitioners of `profession` declaring `competence` on call on
    `day` for `block`, in any sector (see `solver/competence.py`)."""

    day: dt.date
    block: str
    profession: str
    competence: str
    count: int


@dataclass(frozen=True)
class History:
    """Fairness carried over from earlier periods, cumulative over all of them.

    `*_shifts` are shifts actually served and `*_fair_share` the fair shares the solver
    computed for those periods (see `Load.history_after`). The difference is a debt (or a
    credit) added to this period's fair share. `last_on_call` extends the rest rule across
    the period boundary.
    """

    weekday_shifts: int = 0
    special_shifts: int = 0
    weekday_fair_share: float = 0.0
    special_fair_share: float = 0.0
    last_on_call: dt.date | None = None

    def carry(self, special: bool) -> float:
        """Shifts owed (positive) or served in advance (negative) in one day class."""
        if special:
            return self.special_fair_share - self.special_shifts
        return self.weekday_fair_share - self.weekday_shifts


@dataclass(frozen=True)
class Practitioner:
    """Someone who can be on call.

    Unavailable, preferred and avoided days outside the horizon are ignored.
    `fte` (0 < fte <= 1) scales the fair share; `None` maxima mean unlimited. The period
    maximum counts the horizon's shifts only; the weekly maximum holds per ISO week (Monday
    to Sunday) and the monthly maximum per calendar month, both counting the instance's
    context shifts (fixed shifts just outside the horizon) in the same week or month.
    """

    id: str
    profession: str
    sectors: tuple[str, ...]
    fte: float = 1.0
    unavailable_days: tuple[dt.date, ...] = ()
    unavailable_blocks: tuple[tuple[dt.date, str], ...] = ()
    preferred_days: tuple[dt.date, ...] = ()
    avoided_days: tuple[dt.date, ...] = ()
    max_shifts_per_period: int | None = None
    max_shifts_per_week: int | None = None
    history: History = field(default_factory=History)
    max_shifts_per_month: int | None = None
    competences: tuple[str, ...] = ()
    """The competences the practitioner declares (see `CompetenceDemand`)."""

    def __post_init__(self) -> None:
        names = ("sectors", "unavailable_days", "preferred_days", "avoided_days", "competences")
        for name in names:
            object.__setattr__(self, name, tuple(getattr(self, name)))
        blocks = tuple((day, block) for day, block in self.unavailable_blocks)
        object.__setattr__(self, "unavailable_blocks", blocks)

    def is_available(self, day: dt.date, block: str) -> bool:
        """Whether no absence covers this day and block."""
        return day not in self.unavailable_days and (day, block) not in self.unavailable_blocks


@dataclass(frozen=True)
class Rules:
    """Hard rules shared by everyone.

    `min_rest_days` full days off between two on-call days (1: no two consecutive
    afternoons; 0: none required).
    """

    min_rest_days: int = 1
    allow_multiple_blocks_per_day: bool = False


@dataclass(frozen=True)
class Instance:
    """Everything the solver needs for one period.

    `days` are strictly increasing; `blocks` name the parts of the on-call window (e.g.
    `("14-20",)`); `locked` assignments are kept as they are; `previous_roster` (may be
    empty) is the roster to stay close to when re-solving: its entries that no longer fit
    (unknown practitioner, a day or block off the horizon, a sector not theirs) are ignored.
    `context` holds shifts already fixed on days outside the horizon (earlier days of a
    repaired period, neighbouring periods): they are never changed, but count toward the
    weekly and monthly maxima and the rest rule.
    """

    days: tuple[Day, ...]
    blocks: tuple[str, ...]
    demands: tuple[Demand, ...]
    practitioners: tuple[Practitioner, ...]
    rules: Rules = field(default_factory=Rules)
    locked: tuple[Assignment, ...] = ()
    previous_roster: tuple[Assignment, ...] = ()
    context: tuple[Assignment, ...] = ()
    competence_demands: tuple[CompetenceDemand, ...] = ()
    """Practitioners with a competence wanted on call (optional; see `solver/competence.py`)."""

    def __post_init__(self) -> None:
        lists = ("days", "blocks", "demands", "practitioners", "locked", "previous_roster")
        for name in (*lists, "context", "competence_demands"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _validate(self)

    @cached_property
    def practitioner_by_id(self) -> dict[str, Practitioner]:
        """Practitioners keyed by id."""
        return {p.id: p for p in self.practitioners}

    @cached_property
    def day_by_date(self) -> dict[dt.date, Day]:
        """Horizon days keyed by date."""
        return {d.date: d for d in self.days}

    @cached_property
    def context_days(self) -> dict[str, tuple[dt.date, ...]]:
        """Sorted days of each practitioner's context shifts."""
        days: dict[str, set[dt.date]] = defaultdict(set)
        for a in self.context:
            days[a.practitioner].add(a.day)
        return {pid: tuple(sorted(found)) for pid, found in days.items()}

    @cached_property
    def _context_counts(self) -> Counter[tuple[str, str, tuple[int, int]]]:
        counts: Counter[tuple[str, str, tuple[int, int]]] = Counter()
        for a in self.context:
            counts[(a.practitioner, "week", week_of(a.day))] += 1
            counts[(a.practitioner, "month", month_of(a.day))] += 1
        return counts

    def context_in_week(self, practitioner: str, day: dt.date) -> int:
        """Context shifts of the practitioner in the ISO week of `day`."""
        return self._context_counts[(practitioner, "week", week_of(day))]

    def context_in_month(self, practitioner: str, day: dt.date) -> int:
        """Context shifts of the practitioner in the calendar month of `day`."""
        return self._context_counts[(practitioner, "month", month_of(day))]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation."""
        return _instance_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        """Inverse of `to_dict`; raises `InstanceError` on malformed data."""
        return _instance_from_dict(data)

    def to_json(self) -> str:
        """JSON text of `to_dict`."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Instance:
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))


# -- validation ---------------------------------------------------------------------------


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise InstanceError(where, message)


def _validate(instance: Instance) -> None:
    _validate_days(instance.days)
    _validate_blocks(instance.blocks)
    horizon = {d.date for d in instance.days}
    _validate_demands(instance.demands, horizon, set(instance.blocks))
    _validate_practitioners(instance.practitioners, set(instance.blocks))
    _validate_competence_demands(instance.competence_demands, horizon, set(instance.blocks))
    _require(instance.rules.min_rest_days >= 0, "rules.min_rest_days", "must be >= 0")
    by_id = {p.id: p for p in instance.practitioners}
    for i, a in enumerate(instance.locked):
        _validate_assignment(a, f"locked[{i}]", by_id, horizon, set(instance.blocks))
    for i, a in enumerate(instance.context):
        where = f"context[{i}]"
        _require(a.practitioner in by_id, f"{where}.practitioner", f"unknown {a.practitioner!r}")
        _require(a.day not in horizon, f"{where}.day", f"{a.day} is inside the horizon")
    _validate_locks_are_consistent(instance)


def _validate_days(days: tuple[Day, ...]) -> None:
    _require(len(days) > 0, "days", "the horizon needs at least one day")
    for i, day in enumerate(days):
        _require(isinstance(day.date, dt.date), f"days[{i}].date", "must be a date")
        _require(day.kind in DAY_KINDS, f"days[{i}].kind", f"must be one of {DAY_KINDS}")
        if i > 0:
            _require(day.date > days[i - 1].date, f"days[{i}].date", "days must be increasing")


def _validate_blocks(blocks: tuple[str, ...]) -> None:
    _require(len(blocks) > 0, "blocks", "at least one block is needed")
    _require(len(set(blocks)) == len(blocks), "blocks", "block names must be unique")
    for i, block in enumerate(blocks):
        _require(isinstance(block, str) and block != "", f"blocks[{i}]", "must be a name")


def _validate_demands(demands: tuple[Demand, ...], horizon: set[dt.date], blocks: set[str]) -> None:
    seen: set[tuple[dt.date, str, str, str]] = set()
    for i, d in enumerate(demands):
        where = f"demands[{i}]"
        _require(d.day in horizon, f"{where}.day", f"{d.day} is not in the horizon")
        _require(d.block in blocks, f"{where}.block", f"unknown block {d.block!r}")
        _require(d.profession != "", f"{where}.profession", "must not be empty")
        _require(d.sector != "", f"{where}.sector", "must not be empty")
        _require(isinstance(d.count, int) and d.count >= 0, f"{where}.count", "must be >= 0")
        key = (d.day, d.block, d.profession, d.sector)
        _require(key not in seen, where, "duplicate (day, block, profession, sector)")
        seen.add(key)


def _validate_competence_demands(
    demands: tuple[CompetenceDemand, ...], horizon: set[dt.date], blocks: set[str]
) -> None:
    for i, d in enumerate(demands):
        where = f"competence_demands[{i}]"
        _require(d.day in horizon, f"{where}.day", f"{d.day} is not in the horizon")
        _require(d.block in blocks, f"{where}.block", f"unknown block {d.block!r}")
        _require(d.profession != "", f"{where}.profession", "must not be empty")
        _require(d.competence != "", f"{where}.competence", "must not be empty")
        _require(isinstance(d.count, int) and d.count >= 0, f"{where}.count", "must be >= 0")


def _validate_practitioners(practitioners: tuple[Practitioner, ...], blocks: set[str]) -> None:
    ids: set[str] = set()
    for i, p in enumerate(practitioners):
        where = f"practitioners[{i}]"
        _require(p.id != "", f"{where}.id", "must not be empty")
        _require(p.id not in ids, f"{where}.id", f"duplicate id {p.id!r}")
        ids.add(p.id)
        _require(p.profession != "", f"{where}.profession", "must not be empty")
        _require(len(p.sectors) > 0, f"{where}.sectors", "at least one sector is needed")
        _require(len(set(p.sectors)) == len(p.sectors), f"{where}.sectors", "duplicate sector")
        _require(0 < p.fte <= 1, f"{where}.fte", f"must be in (0, 1], got {p.fte}")
        for name in ("max_shifts_per_period", "max_shifts_per_week", "max_shifts_per_month"):
            value = getattr(p, name)
            _require(value is None or value >= 0, f"{where}.{name}", "must be >= 0 or null")
        for j, (_, block) in enumerate(p.unavailable_blocks):
            _require(
                block in blocks, f"{where}.unavailable_blocks[{j}]", f"unknown block {block!r}"
            )


def _validate_assignment(
    a: Assignment,
    where: str,
    by_id: dict[str, Practitioner],
    horizon: set[dt.date],
    blocks: set[str],
) -> None:
    _require(a.practitioner in by_id, f"{where}.practitioner", f"unknown {a.practitioner!r}")
    _require(a.day in horizon, f"{where}.day", f"{a.day} is not in the horizon")
    _require(a.block in blocks, f"{where}.block", f"unknown block {a.block!r}")
    sectors = by_id[a.practitioner].sectors
    _require(a.sector in sectors, f"{where}.sector", f"{a.sector!r} is not one of {sectors}")


def _validate_locks_are_consistent(instance: Instance) -> None:
    """Locked assignments alone must break no hard rule, or no roster could exist."""
    from solver.check import check  # the checker reads instances; imported late to avoid a cycle

    violations = check(instance, instance.locked, require_locked=False)
    if violations:
        first = violations[0]
        raise InstanceError("locked", f"locked assignments break a hard rule: {first}")


# -- JSON ---------------------------------------------------------------------------------


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InstanceError(where, f"expected an ISO date, got {value!r}") from None


def _optional_date(value: Any, where: str) -> dt.date | None:
    return None if value is None else _date(value, where)


def _dates(values: Iterable[Any], where: str) -> tuple[dt.date, ...]:
    return tuple(_date(v, f"{where}[{i}]") for i, v in enumerate(values))


def assignment_to_dict(a: Assignment) -> dict[str, Any]:
    """Plain JSON-compatible representation of one assignment."""
    return {
        "practitioner": a.practitioner,
        "day": a.day.isoformat(),
        "block": a.block,
        "sector": a.sector,
    }


def assignment_from_dict(data: dict[str, Any], where: str = "assignment") -> Assignment:
    """Inverse of `assignment_to_dict`."""
    return Assignment(
        practitioner=data["practitioner"],
        day=_date(data["day"], f"{where}.day"),
        block=data["block"],
        sector=data["sector"],
    )


def _history_to_dict(h: History) -> dict[str, Any]:
    last = None if h.last_on_call is None else h.last_on_call.isoformat()
    return {
        "weekday_shifts": h.weekday_shifts,
        "special_shifts": h.special_shifts,
        "weekday_fair_share": h.weekday_fair_share,
        "special_fair_share": h.special_fair_share,
        "last_on_call": last,
    }


def _history_from_dict(data: dict[str, Any], where: str) -> History:
    return History(
        weekday_shifts=data.get("weekday_shifts", 0),
        special_shifts=data.get("special_shifts", 0),
        weekday_fair_share=data.get("weekday_fair_share", 0.0),
        special_fair_share=data.get("special_fair_share", 0.0),
        last_on_call=_optional_date(data.get("last_on_call"), f"{where}.last_on_call"),
    )


def _practitioner_to_dict(p: Practitioner) -> dict[str, Any]:
    return {
        "id": p.id,
        "profession": p.profession,
        "sectors": list(p.sectors),
        "fte": p.fte,
        "unavailable_days": [d.isoformat() for d in p.unavailable_days],
        "unavailable_blocks": [[d.isoformat(), b] for d, b in p.unavailable_blocks],
        "preferred_days": [d.isoformat() for d in p.preferred_days],
        "avoided_days": [d.isoformat() for d in p.avoided_days],
        "max_shifts_per_period": p.max_shifts_per_period,
        "max_shifts_per_week": p.max_shifts_per_week,
        "max_shifts_per_month": p.max_shifts_per_month,
        "history": _history_to_dict(p.history),
        "competences": list(p.competences),
    }


def _practitioner_from_dict(data: dict[str, Any], where: str) -> Practitioner:
    blocks = tuple(
        (_date(d, f"{where}.unavailable_blocks[{i}]"), b)
        for i, (d, b) in enumerate(data.get("unavailable_blocks", []))
    )
    return Practitioner(
        id=data["id"],
        profession=data["profession"],
        sectors=tuple(data["sectors"]),
        fte=data.get("fte", 1.0),
        unavailable_days=_dates(data.get("unavailable_days", []), f"{where}.unavailable_days"),
        unavailable_blocks=blocks,
        preferred_days=_dates(data.get("preferred_days", []), f"{where}.preferred_days"),
        avoided_days=_dates(data.get("avoided_days", []), f"{where}.avoided_days"),
        max_shifts_per_period=data.get("max_shifts_per_period"),
        max_shifts_per_week=data.get("max_shifts_per_week"),
        max_shifts_per_month=data.get("max_shifts_per_month"),
        history=_history_from_dict(data.get("history", {}), f"{where}.history"),
        competences=tuple(data.get("competences", ())),
    )


def _instance_to_dict(instance: Instance) -> dict[str, Any]:
    return {
        "days": [{"date": d.date.isoformat(), "kind": d.kind} for d in instance.days],
        "blocks": list(instance.blocks),
        "demands": [
            {
                "day": d.day.isoformat(),
                "block": d.block,
                "profession": d.profession,
                "sector": d.sector,
                "count": d.count,
            }
            for d in instance.demands
        ],
        "practitioners": [_practitioner_to_dict(p) for p in instance.practitioners],
        "rules": {
            "min_rest_days": instance.rules.min_rest_days,
            "allow_multiple_blocks_per_day": instance.rules.allow_multiple_blocks_per_day,
        },
        "locked": [assignment_to_dict(a) for a in instance.locked],
        "previous_roster": [assignment_to_dict(a) for a in instance.previous_roster],
        "context": [assignment_to_dict(a) for a in instance.context],
        "competence_demands": [
            {
                "day": d.day.isoformat(),
                "block": d.block,
                "profession": d.profession,
                "competence": d.competence,
                "count": d.count,
            }
            for d in instance.competence_demands
        ],
    }


def _instance_from_dict(data: dict[str, Any]) -> Instance:
    try:
        days = tuple(
            Day(_date(d["date"], f"days[{i}].date"), cast(DayKind, d.get("kind", "weekday")))
            for i, d in enumerate(data["days"])
        )
        demands = tuple(
            Demand(
                _date(d["day"], f"demands[{i}].day"),
                d["block"],
                d["profession"],
                d["sector"],
                d["count"],
            )
            for i, d in enumerate(data["demands"])
        )
        practitioners = tuple(
            _practitioner_from_dict(p, f"practitioners[{i}]")
            for i, p in enumerate(data["practitioners"])
        )
        rules = Rules(**data.get("rules", {}))
        locked = tuple(
            assignment_from_dict(a, f"locked[{i}]") for i, a in enumerate(data.get("locked", []))
        )
        previous = tuple(
            assignment_from_dict(a, f"previous_roster[{i}]")
            for i, a in enumerate(data.get("previous_roster", []))
        )
        context = tuple(
            assignment_from_dict(a, f"context[{i}]") for i, a in enumerate(data.get("context", []))
        )
        competence_demands = tuple(
            CompetenceDemand(
                _date(d["day"], f"competence_demands[{i}].day"),
                d["block"],
                d["profession"],
                d["competence"],
                d["count"],
            )
            for i, d in enumerate(data.get("competence_demands", []))
        )
    except KeyError as missing:
        raise InstanceError(str(missing.args[0]), "missing field") from None
    return Instance(
        days,
        tuple(data["blocks"]),
        demands,
        practitioners,
        rules,
        locked,
        previous,
        context=context,
        competence_demands=competence_demands,
    )
