"""A busy year of one GP's on-call afternoons, with referrals, for the feed bench.

One CPTS of its own with one published rotation per month from this month on; the GP is
on call two afternoons a week (Tuesdays and Thursdays) all year, with two referred patients
per shift: about 300 events in the feed, 140 KiB.
"""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.models import Cpts
from app.feeds.service import issue_practitioner_feed
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral
from app.rotations.models import Rotation, RotationStatus, Shift
from app.slots.models import Slot
from app.users.models import Role

ZONE = ZoneInfo("Europe/Paris")
WEEKDAYS = (1, 3)
REFERRALS_PER_SHIFT = 2


def months(today: date) -> list[tuple[date, date]]:
    """The first and last day of twelve months from this month on."""
    starts = [
        date(today.year + (today.month - 1 + m) // 12, (today.month - 1 + m) % 12 + 1, 1)
        for m in range(13)
    ]
    return [(a, b - timedelta(days=1)) for a, b in pairwise(starts)]


def afternoon(day: date, hour: int) -> datetime:
    """``hour`` o'clock local on ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


def publish_year(session: Session, cpts_id: int, *, now: datetime) -> dict[date, int]:
    """One published rotation per month; returns the rotation id of each day."""
    rotation_of: dict[date, int] = {}
    for first, last in months(now.astimezone(ZONE).date()):
        rotation = Rotation(
            cpts_id=cpts_id,
            period_start=first,
            period_end=last,
            status=RotationStatus.published.value,
            published_at=now,
        )
        session.add(rotation)
        session.flush()
        for offset in range((last - first).days + 1):
            rotation_of[first + timedelta(days=offset)] = rotation.id
    return rotation_of


def book_shift(session: Session, shift: Shift, *, pharmacy_id: int) -> None:
    """Booked 15-minute slots at the start of the shift, each with a referral."""
    for n in range(REFERRALS_PER_SHIFT):
        starts_at = shift.starts_at + timedelta(minutes=15 * n)
        slot = Slot(
            cpts_id=shift.cpts_id,
            shift_id=shift.id,
            practitioner_id=shift.practitioner_id,
            profession="gp",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=15),
            status="booked",
        )
        session.add(slot)
        session.flush()
        session.add(
            Referral(
                cpts_id=shift.cpts_id,
                slot_id=slot.id,
                pharmacy_id=pharmacy_id,
                practitioner_id=shift.practitioner_id,
                idempotency_key=f"bench-{slot.id}",
                request_fingerprint="0" * 64,
                mode="in_practice",
                profession="gp",
                slot_starts_at=starts_at,
                patient_display_name="M. D.",
                patient_phone="0612345678",
                patient_birth_year=1980,
                reason_category="infection",
            )
        )


def busy_year_feed(session: Session, *, now: datetime) -> str:
    """Build the CPTS, the GP and their year; return the path of the GP's feed."""
    cpts = Cpts(name="CPTS Bench Agenda", timezone=ZONE.key)
    session.add(cpts)
    session.flush()
    pharmacy = Pharmacy(cpts_id=cpts.id, finess="690000000", name="Pharmacie du Centre")
    practitioner = Practitioner(
        cpts_id=cpts.id,
        rpps="10000000002",
        first_name="Claire",
        last_name="Martin",
        profession="gp",
        practice_address="12 rue de la République, 69200 Vénissieux",
    )
    session.add_all([pharmacy, practitioner])
    session.flush()
    for day, rotation_id in publish_year(session, cpts.id, now=now).items():
        if day.weekday() not in WEEKDAYS:
            continue
        shift = Shift(
            cpts_id=cpts.id,
            rotation_id=rotation_id,
            practitioner_id=practitioner.id,
            profession="gp",
            day=day,
            block="afternoon",
            starts_at=afternoon(day, 14),
            ends_at=afternoon(day, 20),
        )
        session.add(shift)
        session.flush()
        book_shift(session, shift, pharmacy_id=pharmacy.id)
    coordinator = Principal(
        user_id=0, cpts_id=cpts.id, role=Role.coordinator, practitioner_id=None, pharmacy_id=None
    )
    _, secret = issue_practitioner_feed(
        session, principal=coordinator, practitioner_id=practitioner.id, now=now
    )
    return f"/ical/practitioners/{secret}.ics"
