"""What a feed shows, in French: on-call shifts and, for a practitioner, the patients
referred to them — never a patient's identity.

The window runs from ``FEED_PAST`` back to the end of the last published rotation (only
published or archived rotations are served). Cancelled shifts and referrals stay in the
window with ``STATUS:CANCELLED`` so subscribed calendars drop them instead of keeping a
stale copy.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from app.cpts.models import Cpts, Sector
from app.feeds.ical import FeedCalendar, FeedEvent
from app.feeds.models import FeedToken
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import PROFESSION_LABELS, PROFESSION_PLURALS, Profession
from app.referrals.models import Referral, ReferralStatus
from app.rotations.models import Rotation, Shift, ShiftStatus
from app.rotations.service import VISIBLE_TO_ALL
from app.slots.models import Slot
from app.tenancy import owned

FEED_PAST = timedelta(weeks=8)
CANCELLED_PREFIX = "[Annulée] "

MODE_LABELS = {
    "in_practice": "Consultation au cabinet",
    "home_visit": "Visite à domicile",
    "teleconsultation": "Téléconsultation",
}


@dataclass(frozen=True)
class FeedScope:
    """What every feed of a CPTS needs: its zone, sectors, window, latest change, and the
    deployment's host that makes event UIDs unique among every deployment's."""

    cpts: Cpts
    zone: ZoneInfo
    sectors: dict[int | None, Sector]
    since: datetime
    changed_at: datetime
    uid_domain: str


def uid_domain(public_base_url: str) -> str:
    """The deployment's host (and port and path, if any) from its public address, e.g.
    ``snp.example.org``: the right-hand part of every event UID it serves."""
    parts = urlsplit(public_base_url)
    return (parts.netloc + parts.path.rstrip("/")).lower()


def feed_scope(
    session: Session, *, token: FeedToken, now: datetime, public_base_url: str
) -> FeedScope:
    """The token's CPTS, seen from ``now``. ``changed_at`` covers what no event carries: the
    CPTS's settings, its sectors' names and the latest publication of a rotation."""
    cpts = session.get_one(Cpts, token.cpts_id)
    sectors: dict[int | None, Sector] = {s.id: s for s in session.scalars(owned(Sector, cpts.id))}
    published_at = session.scalar(
        select(func.max(Rotation.published_at)).where(
            Rotation.cpts_id == cpts.id, Rotation.status.in_(VISIBLE_TO_ALL)
        )
    )
    instants = [cpts.updated_at, *(s.updated_at for s in sectors.values())]
    return FeedScope(
        cpts=cpts,
        zone=ZoneInfo(cpts.timezone),
        sectors=sectors,
        since=now - FEED_PAST,
        changed_at=max([*instants, *([published_at] if published_at else [])]),
        uid_domain=uid_domain(public_base_url),
    )


def practitioner_calendar(
    session: Session, *, token: FeedToken, now: datetime, public_base_url: str
) -> FeedCalendar:
    """A practitioner's on-call shifts and the referrals booked into their slots."""
    scope = feed_scope(session, token=token, now=now, public_base_url=public_base_url)
    practitioner = session.get_one(Practitioner, token.practitioner_id)
    shifts = session.scalars(served_shifts(scope).where(Shift.practitioner_id == practitioner.id))
    address = practitioner.practice_address
    events = [
        *(shift_event(s, scope=scope, location=address) for s in shifts),
        *referral_events(session, practitioner=practitioner, scope=scope),
    ]
    events.sort(key=lambda e: (e.starts_at, e.uid))
    return FeedCalendar(
        name=f"Astreintes SNP — {practitioner.first_name} {practitioner.last_name}",
        timezone=scope.cpts.timezone,
        events=events,
        last_modified=latest(events, scope.changed_at, practitioner.updated_at),
    )


def cpts_calendar(
    session: Session,
    *,
    token: FeedToken,
    now: datetime,
    public_base_url: str,
    profession: Profession | None = None,
    sector_id: int | None = None,
) -> FeedCalendar:
    """Every on-call shift of the CPTS within the token's filters, narrowed by the query's."""
    scope = feed_scope(session, token=token, now=now, public_base_url=public_base_url)
    query = served_shifts(scope)
    for column, value in (
        (Shift.profession, token.profession),
        (Shift.sector_id, token.sector_id),
        (Shift.profession, profession.value if profession else None),
        (Shift.sector_id, sector_id),
    ):
        if value is not None:
            query = query.where(column == value)
    shifts = list(session.scalars(query))
    people = practitioners_by_id(session, {s.practitioner_id for s in shifts})
    events = [
        shift_event(
            s,
            scope=scope,
            location=people[s.practitioner_id].practice_address,
            holder=people[s.practitioner_id],
        )
        for s in shifts
    ]
    return FeedCalendar(
        name=cpts_calendar_name(scope, token=token),
        timezone=scope.cpts.timezone,
        events=events,
        last_modified=latest(events, scope.changed_at, *(p.updated_at for p in people.values())),
    )


def served_shifts(scope: FeedScope) -> Select[Shift]:
    """Shifts of the CPTS's published or archived rotations that end inside the window.

    Rotations are filtered on the CPTS too (their shifts' already are): with hundreds of
    CPTS on one database the planner then reads the CPTS's rotations by index instead of
    hashing every rotation of every CPTS (16 ms to under 1 on the national dataset)."""
    return (
        owned(Shift, scope.cpts.id)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(
            Rotation.cpts_id == scope.cpts.id,
            Rotation.status.in_(VISIBLE_TO_ALL),
            Shift.ends_at >= scope.since,
        )
        .order_by(Shift.starts_at, Shift.id)
    )


def shift_event(
    shift: Shift,
    *,
    scope: FeedScope,
    location: str | None,
    holder: Practitioner | None = None,
) -> FeedEvent:
    """One shift as an event titled "Astreinte SNP — 14h-20h", with the holder's name in
    CPTS-wide feeds."""
    zone = scope.zone
    hours = f"{clock_label(shift.starts_at, zone)}-{clock_label(shift.ends_at, zone)}"
    summary = f"Astreinte SNP — {hours}"
    description = "Astreinte de soins non programmés"
    if holder is not None:
        summary += f" — {holder.first_name} {holder.last_name}"
        description += f" : {holder.first_name} {holder.last_name}, {profession_label(holder)}"
    sector = scope.sectors.get(shift.sector_id)
    description += f"\nSecteur : {sector.name}" if sector else ""
    cancelled = shift.status == ShiftStatus.cancelled.value
    return FeedEvent(
        uid=f"shift-{shift.id}@{scope.uid_domain}",
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        summary=(CANCELLED_PREFIX if cancelled else "") + summary,
        description=description,
        location=location,
        sequence=shift.sequence,
        cancelled=cancelled,
        created=shift.created_at,
        last_modified=shift.updated_at,
    )


def referral_events(
    session: Session, *, practitioner: Practitioner, scope: FeedScope
) -> list[FeedEvent]:
    """Referrals into the practitioner's slots: who referred and the reference, no patient."""
    referring = aliased(Practitioner)
    rows = session.execute(
        select(Referral, Slot.ends_at, Pharmacy, referring)
        .join(Slot, Slot.id == Referral.slot_id)
        .outerjoin(Pharmacy, Pharmacy.id == Referral.pharmacy_id)
        .outerjoin(referring, referring.id == Referral.referrer_practitioner_id)
        .where(
            Referral.cpts_id == practitioner.cpts_id,
            Referral.practitioner_id == practitioner.id,
            Referral.slot_starts_at >= scope.since,
        )
        .order_by(Referral.slot_starts_at, Referral.id)
    )
    events = []
    for r, ends_at, pharmacy, colleague in rows:
        referrer = pharmacy if pharmacy is not None else colleague
        assert referrer is not None  # a check constraint: a pharmacy or a practitioner referred
        events.append(
            referral_event(
                r,
                ends_at=ends_at,
                referrer=referrer,
                location=practitioner.practice_address,
                domain=scope.uid_domain,
            )
        )
    return events


def referral_event(
    referral: Referral,
    *,
    ends_at: datetime,
    referrer: Pharmacy | Practitioner,
    location: str | None,
    domain: str,
) -> FeedEvent:
    """A referral titled "Patient orienté par Pharmacie du Centre — réf. 123" (or by a
    practitioner's name): the patient's identity and reason stay in the app."""
    cancelled = referral.status == ReferralStatus.cancelled.value
    name = (
        referrer.name
        if isinstance(referrer, Pharmacy)
        else f"{referrer.first_name} {referrer.last_name}"
    )
    summary = f"Patient orienté par {name} — réf. {referral.id}"
    return FeedEvent(
        uid=f"referral-{referral.id}@{domain}",
        starts_at=referral.slot_starts_at,
        ends_at=ends_at,
        summary=(CANCELLED_PREFIX if cancelled else "") + summary,
        description=(
            f"{MODE_LABELS.get(referral.mode, referral.mode)}. "
            f"Le patient et le motif sont dans l'application CPTS SNP (réf. {referral.id})."
        ),
        location=location,
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
        created=referral.created_at,
        last_modified=max(referral.updated_at, referrer.updated_at),
    )


def clock_label(instant: datetime, zone: ZoneInfo) -> str:
    """French hour label of an instant in the CPTS zone: "14h", "17h30"."""
    local = instant.astimezone(zone)
    return f"{local.hour}h{local.minute:02d}" if local.minute else f"{local.hour}h"


def profession_label(practitioner: Practitioner) -> str:
    """The practitioner's profession in French."""
    return PROFESSION_LABELS.get(practitioner.profession, practitioner.profession)


def cpts_calendar_name(scope: FeedScope, *, token: FeedToken) -> str:
    """The CPTS feed's name, e.g. "Astreintes SNP — CPTS X — médecins généralistes"."""
    parts = [f"Astreintes SNP — {scope.cpts.name}"]
    if token.profession:
        parts.append(PROFESSION_PLURALS.get(token.profession, token.profession))
    sector = scope.sectors.get(token.sector_id)
    if sector is not None:
        parts.append(f"secteur {sector.name}")
    return " — ".join(parts)


def practitioners_by_id(session: Session, ids: set[int]) -> dict[int, Practitioner]:
    """Practitioners by id (the ids come from already tenant-filtered rows)."""
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Practitioner).where(Practitioner.id.in_(ids)))}


def latest(events: list[FeedEvent], *instants: datetime) -> datetime:
    """When anything shown in the feed last changed."""
    return max([*instants, *(e.last_modified for e in events)])
