"""Indicators computed from the database for one CPTS and one period of local dates.

Only published rotations count (archived ones too: they were published); draft ones never
do. Every query filters on the caller's CPTS.
"""

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select
from sqlalchemy.orm import Session

import solver
from app.coverage.models import CoverageRule
from app.cpts.models import Cpts, Sector
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.referrals.models import Referral, ReferralStatus
from app.rotations.models import Gap, Rotation, RotationStatus, Shift, ShiftStatus
from app.rotations.report import ServedBlocks, coverage_figures, covered_demands
from app.rotations.solving import Calendar, demands_on, sector_key
from app.slots.models import Slot, SlotStatus
from app.stats.period import Period
from app.stats.schemas import (
    CountBy,
    CoverageSummary,
    OnCallHours,
    PharmacyCount,
    ReferralFigures,
    SlotFigures,
    StatsPublic,
)
from app.tenancy import owned

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEEN_WITHIN = timedelta(hours=24)


def rate(numerator: int, denominator: int) -> float:
    """``numerator`` in percent of ``denominator``, 2 decimals; 0.0 when the denominator is 0."""
    return round(100 * numerator / denominator, 2) if denominator else 0.0


def _published_rotations(cpts_id: int, period: Period) -> Select[Rotation]:
    return owned(Rotation, cpts_id).where(
        Rotation.status != RotationStatus.draft.value,
        Rotation.period_start <= period.last,
        Rotation.period_end >= period.first,
    )


def _active_shifts(cpts_id: int, period: Period) -> Select[Shift]:
    """Active shifts of published rotations on the period's days."""
    published = _published_rotations(cpts_id, period).with_only_columns(Rotation.id)
    return owned(Shift, cpts_id).where(
        Shift.rotation_id.in_(published),
        Shift.status == ShiftStatus.active.value,
        Shift.day >= period.first,
        Shift.day <= period.last,
    )


def block_coverage(
    session: Session, *, cpts: Cpts, period: Period
) -> list[tuple[solver.Demand, int]]:
    """Every required block of the period's published days (per the current coverage rules),
    with how many practitioners the published shifts provide for it."""
    calendar = Calendar.of(cpts, period.first, period.last)
    rules = list(session.scalars(owned(CoverageRule, cpts.id)))
    days: set[date] = set()
    for rotation in session.scalars(_published_rotations(cpts.id, period)):
        first, last = (
            max(rotation.period_start, period.first),
            min(rotation.period_end, period.last),
        )
        days.update(d for d in period.days if first <= d <= last)
    served: ServedBlocks = Counter(
        (s.day, s.block, s.profession, sector_key(s.sector_id))
        for s in session.scalars(_active_shifts(cpts.id, period))
    )
    return covered_demands(demands_on(rules, calendar, sorted(days)), served)


def _coverage_summary(covered: Sequence[tuple[solver.Demand, int]]) -> CoverageSummary:
    required = sum(d.count for d, _ in covered)
    provided = sum(count for _, count in covered)
    return CoverageSummary(
        required=required,
        covered=provided,
        coverage_pct=rate(provided, required),
        by_profession_and_sector=coverage_figures(covered),
    )


@dataclass(frozen=True)
class PractitionerHours:
    """A practitioner and their on-call shifts and hours in a period."""

    practitioner: Practitioner
    shifts: int
    hours: float


def oncall_hours(session: Session, *, cpts_id: int, period: Period) -> list[PractitionerHours]:
    """On-call hours per practitioner (active shifts of published rotations), by name.

    Hours come from the stored UTC instants, so a DST day's 14:00-20:00 is still 6 h.
    """
    shifts: Counter[int] = Counter()
    seconds: Counter[int] = Counter()
    for shift in session.scalars(_active_shifts(cpts_id, period)):
        shifts[shift.practitioner_id] += 1
        seconds[shift.practitioner_id] += int((shift.ends_at - shift.starts_at).total_seconds())
    practitioners = session.scalars(
        owned(Practitioner, cpts_id)
        .where(Practitioner.id.in_(list(shifts)))
        .order_by(Practitioner.last_name, Practitioner.first_name, Practitioner.id)
    )
    return [
        PractitionerHours(p, shifts[p.id], round(seconds[p.id] / 3600, 2)) for p in practitioners
    ]


def slot_figures(session: Session, *, cpts_id: int, period: Period, now: datetime) -> SlotFigures:
    """Slots starting in the period, by status; an open slot already begun is expired."""
    rows = session.execute(
        owned(Slot, cpts_id)
        .with_only_columns(Slot.status, Slot.starts_at)
        .where(Slot.starts_at >= period.starts_at, Slot.starts_at < period.ends_at)
    )
    counts: Counter[str] = Counter()
    for status, starts_at in rows:
        expired = status == SlotStatus.open.value and starts_at <= now
        counts["expired" if expired else status] += 1
    return SlotFigures(
        offered=sum(counts.values()) - counts[SlotStatus.withdrawn.value],
        booked=counts[SlotStatus.booked.value],
        expired=counts["expired"],
        blocked=counts[SlotStatus.blocked.value],
        open=counts[SlotStatus.open.value],
        withdrawn=counts[SlotStatus.withdrawn.value],
    )


def referrals_in(session: Session, *, cpts_id: int, period: Period) -> list[Referral]:
    """Every referral (cancelled ones too) whose slot starts in the period, by slot time."""
    query = owned(Referral, cpts_id).where(
        Referral.slot_starts_at >= period.starts_at, Referral.slot_starts_at < period.ends_at
    )
    return list(session.scalars(query.order_by(Referral.slot_starts_at, Referral.id)))


def booking_delay(referral: Referral) -> timedelta:
    """Time from the booking to the start of the slot."""
    return referral.slot_starts_at - referral.created_at


def _counts(keys: Iterable[str], values: Iterable[str]) -> list[CountBy]:
    """One entry per key (zeros included), then any other value met, in order."""
    counted = Counter(values)
    listed = list(keys)
    listed += sorted(k for k in counted if k not in listed)
    return [CountBy(key=k, referrals=counted[k]) for k in listed]


def pharmacy_names(session: Session, *, cpts_id: int, ids: Iterable[int]) -> dict[int, str]:
    """Names of the CPTS's pharmacies with these ids."""
    query = owned(Pharmacy, cpts_id).with_only_columns(Pharmacy.id, Pharmacy.name)
    return {pid: name for pid, name in session.execute(query.where(Pharmacy.id.in_(list(ids))))}


def sector_names(session: Session, *, cpts_id: int) -> dict[int, str]:
    """Names of the CPTS's sectors by id."""
    query = owned(Sector, cpts_id).with_only_columns(Sector.id, Sector.name)
    return {sid: name for sid, name in session.execute(query)}


def _by_pharmacy(
    session: Session, cpts_id: int, referrals: Sequence[Referral]
) -> list[PharmacyCount]:
    counted = Counter(r.pharmacy_id for r in referrals if r.pharmacy_id is not None)
    names = pharmacy_names(session, cpts_id=cpts_id, ids=counted)
    return [
        PharmacyCount(pharmacy_id=pid, name=names.get(pid, ""), referrals=count)
        for pid, count in sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    ]


def referral_figures(
    session: Session, *, cpts_id: int, period: Period, referrals: Sequence[Referral]
) -> ReferralFigures:
    """Referral indicators of the period (see :class:`ReferralFigures` for each definition)."""
    kept = [r for r in referrals if r.status != ReferralStatus.cancelled.value]
    local_starts = [period.local(r.slot_starts_at) for r in kept]
    status = Counter(r.status for r in kept)
    seen_soon = sum(
        1 for r in kept if r.status == ReferralStatus.seen.value and booking_delay(r) <= SEEN_WITHIN
    )
    outcomes = status[ReferralStatus.seen.value] + status[ReferralStatus.no_show.value]
    delays = [booking_delay(r).total_seconds() / 60 for r in kept]
    return ReferralFigures(
        total=len(kept),
        cancelled=len(referrals) - len(kept),
        by_profession=_counts([p.value for p in Profession], (r.profession for r in kept)),
        by_pharmacy=_by_pharmacy(session, cpts_id, kept),
        by_weekday=_counts(WEEKDAYS, (WEEKDAYS[t.weekday()] for t in local_starts)),
        by_hour=_counts((f"{h:02d}" for h in range(24)), (f"{t.hour:02d}" for t in local_starts)),
        seen_within_24h=seen_soon,
        seen_within_24h_pct=rate(seen_soon, len(kept)),
        seen=status[ReferralStatus.seen.value],
        no_show=status[ReferralStatus.no_show.value],
        no_show_pct=rate(status[ReferralStatus.no_show.value], outcomes),
        median_delay_minutes=round(statistics.median(delays), 1) if delays else 0.0,
    )


def gaps_in(session: Session, *, cpts_id: int, period: Period) -> list[Gap]:
    """Uncovered demand of published rotations on the period's days, by day and block."""
    published = _published_rotations(cpts_id, period).with_only_columns(Rotation.id)
    query = owned(Gap, cpts_id).where(
        Gap.rotation_id.in_(published), Gap.day >= period.first, Gap.day <= period.last
    )
    return list(session.scalars(query.order_by(Gap.day, Gap.block, Gap.profession, Gap.id)))


def compute_stats(session: Session, *, cpts: Cpts, period: Period, now: datetime) -> StatsPublic:
    """Every indicator of the period for the coordinator (anonymous: no patient identity)."""
    hours = oncall_hours(session, cpts_id=cpts.id, period=period)
    referrals = referrals_in(session, cpts_id=cpts.id, period=period)
    return StatsPublic(
        period_from=period.first,
        period_to=period.last,
        timezone=cpts.timezone,
        coverage=_coverage_summary(block_coverage(session, cpts=cpts, period=period)),
        oncall_hours=[
            OnCallHours(
                practitioner_id=h.practitioner.id,
                profession=h.practitioner.profession,
                shifts=h.shifts,
                hours=h.hours,
            )
            for h in hours
        ],
        slots=slot_figures(session, cpts_id=cpts.id, period=period, now=now),
        referrals=referral_figures(session, cpts_id=cpts.id, period=period, referrals=referrals),
    )
