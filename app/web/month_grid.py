"""The month grid shared by the coordinator's month and the shared planning: days by
(profession, sector), who is on call, gaps with their reason, weekends and holidays."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.coverage.models import CoverageRule
from app.cpts.models import Cpts, Sector
from app.errors import NotFound
from app.professions import Profession
from app.rotations.models import Gap, Rotation, Shift, ShiftStatus
from app.rotations.solving import Calendar
from app.web.views import practitioner_names

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ColumnKey = tuple[str, int | None]


@dataclass(frozen=True)
class Column:
    """One profession in one sector (``sector_id`` None: the whole territory)."""

    profession: str
    sector_id: int | None
    sector_name: str

    @property
    def key(self) -> ColumnKey:
        """The (profession, sector) pair shifts and gaps are filed under."""
        return (self.profession, self.sector_id)


@dataclass
class Cell:
    """Who is on call for one column on one day, and what is missing there."""

    shifts: list[Shift] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class GridDay:
    """A day of the month and its kind: ``weekday``, ``weekend`` or ``holiday``."""

    day: date
    kind: str


@dataclass
class MonthGrid:
    """Everything the grid template draws."""

    first: date
    previous: date
    following: date
    days: list[GridDay]
    columns: list[Column]
    cells: dict[tuple[date, ColumnKey], Cell]
    names: dict[int, str]
    rotations: list[Rotation]
    sectors: dict[int, str]
    blocks: list[str]

    def cell(self, day: date, column: Column) -> Cell:
        """The cell of a day and column (empty when nobody is on call and nothing is missing)."""
        return self.cells.get((day, column.key)) or Cell()


@dataclass(frozen=True)
class GridFilter:
    """The grid's filters: one profession and/or one sector (None: all); a sector keeps the
    territory-wide columns, which serve every sector."""

    profession: str | None = None
    sector_id: int | None = None


def parse_month(value: str) -> date:
    """``2027-02`` → 1 February 2027; anything else is a 404 (no such page)."""
    found = MONTH.match(value)
    if not found or not (2000 <= int(found.group(1)) <= 2100 and 1 <= int(found.group(2)) <= 12):
        raise NotFound(f"no month {value!r}: use YYYY-MM")
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_after(first: date) -> date:
    """The first day of the next month."""
    return (first + timedelta(days=32)).replace(day=1)


def month_before(first: date) -> date:
    """The first day of the previous month."""
    return (first - timedelta(days=1)).replace(day=1)


def parse_filter(
    session: Session, *, cpts_id: int, profession: str | None, sector: str | None
) -> GridFilter:
    """The filters of the query string: an unknown profession or another CPTS's sector
    is a 404; empty values mean all."""
    if profession and profession not in set(Profession):
        raise NotFound(f"unknown profession {profession!r}")
    sector_id = None
    if sector:
        if not sector.isdigit() or len(sector) > 12:
            raise NotFound(f"unknown sector {sector!r}")
        found = session.scalar(
            select(Sector.id).where(Sector.cpts_id == cpts_id, Sector.id == int(sector))
        )
        if found is None:
            raise NotFound(f"sector {sector} not found")
        sector_id = found
    return GridFilter(profession=profession or None, sector_id=sector_id)


def _rotations(
    session: Session, *, cpts_id: int, first: date, last: date, statuses: tuple[str, ...]
) -> list[Rotation]:
    query = select(Rotation).where(
        Rotation.cpts_id == cpts_id,
        Rotation.status.in_(statuses),
        Rotation.period_start <= last,
        Rotation.period_end >= first,
    )
    return list(session.scalars(query.order_by(Rotation.period_start)))


def _columns(
    session: Session, *, cpts_id: int, keys: set[ColumnKey], wanted: GridFilter
) -> tuple[list[Column], dict[int, str]]:
    rules = session.execute(
        select(CoverageRule.profession, CoverageRule.sector_id).where(
            CoverageRule.cpts_id == cpts_id, CoverageRule.required > 0
        )
    )
    keys = keys | {(profession, sector_id) for profession, sector_id in rules}
    names = session.execute(select(Sector.id, Sector.name).where(Sector.cpts_id == cpts_id))
    sectors: dict[int, str] = {sector_id: name for sector_id, name in names}
    order = {profession.value: n for n, profession in enumerate(Profession)}
    columns = [
        Column(p, s, "Territoire" if s is None else sectors.get(s, f"n° {s}"))
        for p, s in keys
        if wanted.profession in (None, p) and (s is None or wanted.sector_id in (None, s))
    ]
    columns.sort(key=lambda c: (order.get(c.profession, 99), c.sector_name, c.sector_id or 0))
    return columns, sectors


def month_grid(
    session: Session,
    *,
    cpts_id: int,
    first: date,
    statuses: tuple[str, ...],
    wanted: GridFilter,
) -> MonthGrid:
    """The grid of the month starting ``first``, from rotations in ``statuses``."""
    following = month_after(first)
    last = following - timedelta(days=1)
    rotations = _rotations(session, cpts_id=cpts_id, first=first, last=last, statuses=statuses)
    ids = [r.id for r in rotations]
    shifts = session.scalars(
        select(Shift)
        .where(
            Shift.rotation_id.in_(ids),
            Shift.status == ShiftStatus.active.value,
            Shift.day >= first,
            Shift.day <= last,
        )
        .order_by(Shift.day, Shift.block, Shift.id)
    ).all()
    gaps = session.scalars(
        select(Gap)
        .where(Gap.rotation_id.in_(ids), Gap.day >= first, Gap.day <= last)
        .order_by(Gap.day, Gap.block, Gap.id)
    ).all()
    cells: dict[tuple[date, ColumnKey], Cell] = defaultdict(Cell)
    for shift in shifts:
        cells[(shift.day, (shift.profession, shift.sector_id))].shifts.append(shift)
    for gap in gaps:
        cells[(gap.day, (gap.profession, gap.sector_id))].gaps.append(gap)
    keys = {key for _, key in cells}
    columns, sectors = _columns(session, cpts_id=cpts_id, keys=keys, wanted=wanted)
    calendar = Calendar.of(session.get_one(Cpts, cpts_id), first, last)
    return MonthGrid(
        first=first,
        previous=month_before(first),
        following=following,
        days=[
            GridDay(first + timedelta(days=n), calendar.day_kind(first + timedelta(days=n)))
            for n in range((last - first).days + 1)
        ],
        columns=columns,
        cells=dict(cells),
        names=practitioner_names(session, cpts_id=cpts_id, ids={s.practitioner_id for s in shifts}),
        rotations=rotations,
        sectors=sectors,
        blocks=list(calendar.blocks),
    )
