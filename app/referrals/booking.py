"""Booking a slot for a patient: the API's busiest write, read first, then written.

1. :func:`prepare` checks every rule the search applied and reads all the booking writes
   and answers (the slot and its practitioner, the CPTS's rules, the referrer's name, who
   is told), before the write begins: no lock taken, none waited for.
2. :func:`take_slot` writes: one conditional update takes the slot and re-checks under
   its row lock what may have changed since; then the referral, its audit row, live
   events and notifications are inserted. Nothing is read back.

Exactly one of many concurrent bookings of a slot wins; the others get 409. Every
statement is built once, at import, and the writes go to the tables without the ORM's
bookkeeping: building a statement (and its cache key) through the ORM, or flushing a unit
of work, costs several times what SQLite takes to run it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Update, bindparam, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.base import table_of, utcnow
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.events import kinds as live
from app.notifications import service as notify
from app.practitioners.models import Practitioner
from app.referrals.models import Referral, ReferralStatus
from app.referrals.referrers import sender_names
from app.referrals.schemas import Appointment, ReferralCreate
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.slots.models import Slot, SlotStatus
from app.slots.schemas import ConsultationMode
from app.slots.search import (
    MAX_WITHIN_HOURS,
    OFFER_COLUMNS,
    OFFERED_FIELDS,
    BookingRules,
    OfferRow,
    bookable_window,
    modes_of,
    offer_of,
    slots_changed,
)


class SlotTaken(Conflict):
    """The slot was booked, blocked or withdrawn before this request got it."""

    code = "slot_taken"


SLOT_TO_BOOK = (
    select(
        *OFFER_COLUMNS,
        Slot.cpts_id,
        Slot.status,
        Shift.status,
        Rotation.status,
        Cpts.timezone,
        Cpts.min_notice_minutes,
    )
    .join(Practitioner, Practitioner.id == Slot.practitioner_id)
    .join(Shift, Shift.id == Slot.shift_id)
    .join(Rotation, Rotation.id == Shift.rotation_id)
    .join(Cpts, Cpts.id == Slot.cpts_id)
    .where(Slot.id == bindparam("slot_id"), Slot.cpts_id == bindparam("cpts_id"))
)


def _take(mode: ConsultationMode) -> Update:
    """Take an open slot booked in ``mode``, if it is still in the window, its shift active,
    its rotation published and ``mode`` offered by its practitioner."""
    slots, shifts = table_of(Slot), table_of(Shift)
    rotations, practitioners = table_of(Rotation), table_of(Practitioner)
    offered = {
        ConsultationMode.home_visit: practitioners.c.home_visits.is_(True),
        ConsultationMode.teleconsultation: practitioners.c.teleconsultation.is_(True),
    }.get(mode, true())
    still_bookable = (
        select(shifts.c.id)
        .join(rotations, rotations.c.id == shifts.c.rotation_id)
        .join(practitioners, practitioners.c.id == shifts.c.practitioner_id)
        .where(
            shifts.c.id == slots.c.shift_id,
            shifts.c.status == ShiftStatus.active.value,
            rotations.c.status == RotationStatus.published.value,
            offered,
        )
        .exists()
    )
    return (
        update(slots)
        .where(
            slots.c.id == bindparam("slot_id"),
            slots.c.status == SlotStatus.open.value,
            slots.c.starts_at.between(bindparam("earliest"), bindparam("latest")),
            still_bookable,
        )
        .values(status=SlotStatus.booked.value)
    )


TAKE_SLOT = {mode: _take(mode) for mode in ConsultationMode}
INSERT_REFERRAL = insert(table_of(Referral)).returning(table_of(Referral).c.id)


def fingerprint(data: ReferralCreate) -> str:
    """A stable hash of a booking request, to tell an idempotent replay from a reuse."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def can_refer(principal: Principal) -> bool:
    """Whether this caller books slots for patients: a pharmacy's user or a practitioner."""
    return principal.pharmacy_id is not None or principal.practitioner_id is not None


@dataclass(frozen=True)
class Booking:
    """What booking a slot needs that no lock protects, read before the write transaction
    begins: the slot as the rules saw it, where and when the patient is expected, the
    referrer's name, and who is told."""

    cpts_id: int
    slot: OfferRow
    earliest: datetime
    latest: datetime
    zone: ZoneInfo
    referrer: str
    audience: live.BookingAudience
    channels: list[notify.ChannelRef]

    @property
    def appointment(self) -> Appointment:
        """Where and when the patient is expected."""
        offer = offer_of(self.slot, None, self.zone)
        return Appointment(
            practitioner=offer.practitioner,
            starts_at_local=offer.starts_at,
            ends_at_local=offer.ends_at,
            timezone=self.zone.key,
        )


def prepare(
    session: Session, *, principal: Principal, data: ReferralCreate, now: datetime
) -> Booking:
    """Check, without any lock, every rule the search applied, and read what the booking
    writes and answers; :func:`take_slot` re-checks what may change in between."""
    if not can_refer(principal):
        raise Forbidden("only a pharmacy's user or a practitioner can refer a patient")
    row = session.execute(
        SLOT_TO_BOOK, {"slot_id": data.slot_id, "cpts_id": principal.cpts_id}
    ).first()
    if row is None:
        raise NotFound(f"slot {data.slot_id} not found")
    *offered, cpts_id, status, shift_status, rotation_status, timezone, min_notice = row
    slot = OfferRow(**dict(zip(OFFERED_FIELDS, offered, strict=True)))
    rules = BookingRules(timezone=timezone, min_notice_minutes=min_notice)
    earliest, latest = bookable_window(
        rules, now=now, within_hours=MAX_WITHIN_HOURS, same_day=False
    )
    if status != SlotStatus.open.value:
        raise SlotTaken(f"slot {slot.slot_id} is no longer available ({status})")
    if (
        shift_status != ShiftStatus.active.value
        or rotation_status != RotationStatus.published.value
    ):
        raise SlotTaken(f"slot {slot.slot_id} is no longer part of the published rotation")
    if not earliest <= slot.starts_at <= latest:
        raise SlotTaken(
            f"slot {slot.slot_id} is outside the booking window "
            f"(minimum notice {min_notice} min, at most {MAX_WITHIN_HOURS} h ahead)"
        )
    if data.mode not in modes_of(slot):
        raise RuleViolation(f"this practitioner does not offer {data.mode.value}", field="mode")
    if slot.practitioner_id == principal.practitioner_id:
        raise RuleViolation("a practitioner cannot refer a patient to themself", field="slot_id")
    audience = live.booking_audience(session, cpts_id=cpts_id, practitioner_id=slot.practitioner_id)
    referrer = (0, principal.pharmacy_id, principal.practitioner_id)
    return Booking(
        cpts_id=cpts_id,
        slot=slot,
        earliest=earliest,
        latest=latest,
        zone=ZoneInfo(timezone),
        referrer=sender_names(session, [referrer])[0],
        audience=audience,
        channels=notify.enabled_channels(
            session, cpts_id=cpts_id, user_ids=set(audience.practitioner_users)
        ),
    )


def take_slot(
    session: Session,
    *,
    booking: Booking,
    principal: Principal,
    data: ReferralCreate,
    key: str,
) -> Referral:
    """Take the slot and write the referral, its audit row, live events and notifications
    in the caller's (write) transaction; returns the referral as written.

    The slot is taken by one conditional update, under its row lock; a partial unique
    index (one active referral per slot) backs it. 409 for the losers, and for a key this
    referrer already used (the caller then looks for the replay, see :func:`replayed`).
    """
    slot = booking.slot
    window = {"slot_id": slot.slot_id, "earliest": booking.earliest, "latest": booking.latest}
    taken = session.execute(TAKE_SLOT[data.mode], window)
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise SlotTaken(f"slot {slot.slot_id} was just booked or withdrawn")
    written = utcnow()
    values = {
        "cpts_id": booking.cpts_id,
        "slot_id": slot.slot_id,
        "pharmacy_id": principal.pharmacy_id,
        "referrer_practitioner_id": None if principal.pharmacy_id else principal.practitioner_id,
        "practitioner_id": slot.practitioner_id,
        "booked_by": principal.user_id,
        "idempotency_key": key,
        "request_fingerprint": fingerprint(data),
        "status": ReferralStatus.booked.value,
        "mode": data.mode.value,
        "profession": slot.profession,
        "slot_starts_at": slot.starts_at,
        "patient_display_name": data.patient.display_name,
        "patient_phone": data.patient.phone,
        "patient_birth_year": data.patient.birth_year,
        "reason_category": data.reason_category.value,
        "note": data.note,
        "created_at": written,
        "updated_at": written,
    }
    try:
        referral_id = session.scalars(INSERT_REFERRAL, values).one()
    except IntegrityError:  # the key was used before, or the slot has an active referral
        raise SlotTaken(f"slot {slot.slot_id} was just booked by someone else") from None
    referral = Referral(id=referral_id, **values)
    audit.record_access(
        session, actor=principal, action="create", subject_type="referral", subject=referral
    )
    slots_changed(booking.cpts_id)
    notify.referral_booked(
        session, referral, referrer=booking.referrer, zone=booking.zone, channels=booking.channels
    )
    live.referral_booked(session, referral, audience=booking.audience)
    return referral


def _by_referrer(principal: Principal) -> ColumnElement[bool]:
    """The referrals this caller made: their pharmacy's, or their own as a practitioner."""
    if principal.pharmacy_id is not None:
        return Referral.pharmacy_id == principal.pharmacy_id
    return Referral.referrer_practitioner_id == principal.practitioner_id


def replayed(
    session: Session, *, principal: Principal, data: ReferralCreate, key: str
) -> Referral | None:
    """The referral this caller already made with ``key``, if any (an idempotent replay),
    audited as a read in the caller's (write) transaction: the replay answers with the
    patient's identity. 422 (``Idempotency-Key``) when that key was used for a different
    request."""
    existing = session.scalar(
        select(Referral).where(_by_referrer(principal), Referral.idempotency_key == key)
    )
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint(data):
        raise RuleViolation(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    audit.record_access(
        session, actor=principal, action="read", subject_type="referral", subject=existing
    )
    return existing


def book(
    session: Session, *, principal: Principal, data: ReferralCreate, key: str, now: datetime
) -> tuple[Referral, bool]:
    """Book a slot for a patient in the caller's write transaction, for a pharmacy or a
    practitioner (typically a GP sending a patient to a physio or a nurse); returns the
    referral and whether this was a replay (see :func:`replayed`). The API instead reads
    before its write transaction begins (``app.db.read_then_write``)."""
    try:
        booking = prepare(session, principal=principal, data=data, now=now)
        with session.begin_nested():
            referral = take_slot(session, booking=booking, principal=principal, data=data, key=key)
    except SlotTaken:
        # The slot may be gone because this very request, sent before, booked it.
        previous = replayed(session, principal=principal, data=data, key=key)
        if previous is not None:
            return previous, True
        raise
    return referral, False
