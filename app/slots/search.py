"""The pharmacist's search: open slots soon enough, for the right profession, near by."""

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.cpts.models import Cpts
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.slots.models import Slot, SlotStatus
from app.slots.schemas import ConsultationMode, OfferedPractitioner, SlotOffer

EARTH_RADIUS_KM = 6371.0
MAX_WITHIN_HOURS = 48


@dataclass(frozen=True)
class SlotQuery:
    """What the pharmacist asks for."""

    profession: str | None = None
    within_hours: int = 24
    same_day: bool = False
    sector_id: int | None = None
    near: tuple[float, float] | None = None
    mode: ConsultationMode | None = None
    limit: int = 20


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def bookable_window(
    cpts: Cpts, *, now: datetime, within_hours: int, same_day: bool
) -> tuple[datetime, datetime]:
    """Earliest and latest slot start a referral may take: after the minimum notice, and
    within the horizon (or before the end of today, local time)."""
    earliest = now + timedelta(minutes=cpts.min_notice_minutes)
    latest = now + timedelta(hours=within_hours)
    if same_day:
        zone = ZoneInfo(cpts.timezone)
        midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
        latest = min(latest, midnight)
    return earliest, latest


def modes_of(practitioner: Practitioner) -> list[ConsultationMode]:
    """How a practitioner can see a patient."""
    modes = [ConsultationMode.in_practice]
    if practitioner.home_visits:
        modes.append(ConsultationMode.home_visit)
    if practitioner.teleconsultation:
        modes.append(ConsultationMode.teleconsultation)
    return modes


def _mode_filter(mode: ConsultationMode | None) -> ColumnElement[bool] | None:
    if mode == ConsultationMode.home_visit:
        return Practitioner.home_visits.is_(True)
    if mode == ConsultationMode.teleconsultation:
        return Practitioner.teleconsultation.is_(True)
    return None


def search_slots(
    session: Session, *, cpts: Cpts, query: SlotQuery, now: datetime, pharmacy: Pharmacy | None
) -> list[SlotOffer]:
    """Open slots by start time, then distance from ``near`` (or the pharmacy)."""
    earliest, latest = bookable_window(
        cpts, now=now, within_hours=query.within_hours, same_day=query.same_day
    )
    statement = (
        select(Slot, Practitioner)
        .join(Practitioner, Practitioner.id == Slot.practitioner_id)
        .where(
            Slot.cpts_id == cpts.id,
            Slot.status == SlotStatus.open.value,
            Slot.starts_at >= earliest,
            Slot.starts_at <= latest,
        )
        .order_by(Slot.starts_at, Slot.id)
    )
    if query.profession is not None:
        statement = statement.where(Slot.profession == query.profession)
    if query.sector_id is not None:
        statement = statement.where(
            or_(Slot.sector_id == query.sector_id, Slot.sector_id.is_(None))
        )
    mode_filter = _mode_filter(query.mode)
    if mode_filter is not None:
        statement = statement.where(mode_filter)
    origin = query.near or _coordinates(pharmacy)
    zone = ZoneInfo(cpts.timezone)
    offers = [
        _offer(slot, practitioner, origin, zone)
        for slot, practitioner in session.execute(statement)
    ]
    offers.sort(
        key=lambda o: (o.starts_at, o.distance_km if o.distance_km is not None else math.inf)
    )
    return offers[: query.limit]


def _coordinates(place: Pharmacy | Practitioner | None) -> tuple[float, float] | None:
    if place is None or place.latitude is None or place.longitude is None:
        return None
    return (place.latitude, place.longitude)


def _offer(
    slot: Slot, practitioner: Practitioner, origin: tuple[float, float] | None, zone: ZoneInfo
) -> SlotOffer:
    where = _coordinates(practitioner)
    return SlotOffer(
        slot_id=slot.id,
        starts_at=slot.starts_at.astimezone(zone),
        ends_at=slot.ends_at.astimezone(zone),
        profession=slot.profession,
        sector_id=slot.sector_id,
        modes=modes_of(practitioner),
        distance_km=round(distance_km(origin, where), 2) if origin and where else None,
        practitioner=OfferedPractitioner(
            id=practitioner.id,
            name=f"{practitioner.first_name} {practitioner.last_name}",
            profession=practitioner.profession,
            phone=practitioner.phone,
            practice_address=practitioner.practice_address,
        ),
    )
