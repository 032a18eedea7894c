"""Referrals: book a slot atomically, read and list within the patient-data rules, cancel,
record the outcome, purge identity after the retention period. Every access is audited."""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from app import audit
from app.auth import Principal
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.events import kinds as live
from app.messaging.models import Message
from app.notifications import service as notify
from app.pagination import PageParams, paginate
from app.patient_identity import blank_identities
from app.practitioners.models import Practitioner
from app.referrals.models import Referral, ReferralStatus
from app.referrals.schemas import Appointment, Outcome, ReferralCreate
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.slots.models import Slot, SlotStatus
from app.slots.schemas import OfferedPractitioner
from app.slots.search import MAX_WITHIN_HOURS, bookable_window, modes_of, slots_changed
from app.users.models import Role


class SlotTaken(Conflict):
    """The slot was booked, blocked or withdrawn before this request got it."""

    code = "slot_taken"


def fingerprint(data: ReferralCreate) -> str:
    """A stable hash of a booking request, to tell an idempotent replay from a reuse."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_referrer(principal: Principal) -> ColumnElement[bool]:
    """The referrals this caller made: their pharmacy's, or their own as a practitioner."""
    if principal.pharmacy_id is not None:
        return Referral.pharmacy_id == principal.pharmacy_id
    return Referral.referrer_practitioner_id == principal.practitioner_id


def _replay(session: Session, *, principal: Principal, key: str, request: str) -> Referral | None:
    existing = session.scalar(
        select(Referral).where(_by_referrer(principal), Referral.idempotency_key == key)
    )
    if existing is not None and existing.request_fingerprint != request:
        raise RuleViolation(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return existing


def _bookable_slot(session: Session, *, cpts: Cpts, data: ReferralCreate, now: datetime) -> Slot:
    """Re-check, inside the booking transaction, every rule the search applied."""
    row = session.execute(
        select(Slot, Shift, Rotation, Practitioner)
        .join(Shift, Shift.id == Slot.shift_id)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .join(Practitioner, Practitioner.id == Slot.practitioner_id)
        .where(Slot.id == data.slot_id, Slot.cpts_id == cpts.id)
        .options(lazyload(Practitioner.sectors))
        .with_for_update(of=Slot)
    ).first()
    if row is None:
        raise NotFound(f"slot {data.slot_id} not found")
    slot, shift, rotation, practitioner = row
    earliest, latest = bookable_window(cpts, now=now, within_hours=MAX_WITHIN_HOURS, same_day=False)
    if slot.status != SlotStatus.open.value:
        raise SlotTaken(f"slot {slot.id} is no longer available ({slot.status})")
    if (
        shift.status != ShiftStatus.active.value
        or rotation.status != RotationStatus.published.value
    ):
        raise SlotTaken(f"slot {slot.id} is no longer part of the published rotation")
    if not earliest <= slot.starts_at <= latest:
        raise SlotTaken(
            f"slot {slot.id} is outside the booking window "
            f"(minimum notice {cpts.min_notice_minutes} min, at most {MAX_WITHIN_HOURS} h ahead)"
        )
    if data.mode not in modes_of(practitioner):
        raise RuleViolation(f"this practitioner does not offer {data.mode.value}", field="mode")
    return slot


def can_refer(principal: Principal) -> bool:
    """Whether this caller books slots for patients: a pharmacy's user or a practitioner."""
    return principal.pharmacy_id is not None or principal.practitioner_id is not None


def book(
    session: Session, *, principal: Principal, data: ReferralCreate, key: str, now: datetime
) -> tuple[Referral, bool]:
    """Book a slot for a patient, for a pharmacy or a practitioner (typically a GP sending
    a patient to a physio or a nurse); returns the referral and whether this was a replay.

    Exactly one of many concurrent bookings of a slot wins: the slot is taken with a
    conditional update, and a partial unique index (one active referral per slot) backs it.
    What needs no lock (the replay check, the request's fingerprint, the CPTS's rules) is
    done before the slot's row is locked, so the lock is held only to check and take it.
    """
    if not can_refer(principal):
        raise Forbidden("only a pharmacy's user or a practitioner can refer a patient")
    request = fingerprint(data)
    previous = _replay(session, principal=principal, key=key, request=request)
    if previous is not None:
        return previous, True
    try:
        referral = _take_slot(
            session, principal=principal, data=data, key=key, request=request, now=now
        )
    except SlotTaken:
        # A retry racing its own original waited for the slot's lock while the original
        # committed: the slot is gone because it booked it, so answer the same referral.
        previous = _replay(session, principal=principal, key=key, request=request)
        if previous is not None:
            return previous, True
        raise
    _audit(session, principal, "create", referral)
    slots_changed(referral.cpts_id)
    notify.referral_booked(session, referral)
    live.referral_booked(session, referral)
    return referral, False


def _take_slot(
    session: Session,
    *,
    principal: Principal,
    data: ReferralCreate,
    key: str,
    request: str,
    now: datetime,
) -> Referral:
    """Lock the slot, check it is still bookable, take it and add the referral."""
    cpts = session.get_one(Cpts, principal.cpts_id, options=[lazyload(Cpts.profession_settings)])
    slot = _bookable_slot(session, cpts=cpts, data=data, now=now)
    if slot.practitioner_id == principal.practitioner_id:
        raise RuleViolation("a practitioner cannot refer a patient to themself", field="slot_id")
    taken = session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.status == SlotStatus.open.value)
        .values(status=SlotStatus.booked.value)
        .execution_options(synchronize_session="fetch")
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise SlotTaken(f"slot {slot.id} was just booked by someone else")
    referral = Referral(
        cpts_id=cpts.id,
        slot_id=slot.id,
        pharmacy_id=principal.pharmacy_id,
        referrer_practitioner_id=None if principal.pharmacy_id else principal.practitioner_id,
        practitioner_id=slot.practitioner_id,
        booked_by=principal.user_id,
        idempotency_key=key,
        request_fingerprint=request,
        mode=data.mode.value,
        profession=slot.profession,
        slot_starts_at=slot.starts_at,
        patient_display_name=data.patient.display_name,
        patient_phone=data.patient.phone,
        patient_birth_year=data.patient.birth_year,
        reason_category=data.reason_category.value,
        note=data.note,
    )
    try:
        with session.begin_nested():
            session.add(referral)
    except IntegrityError:
        raise SlotTaken(f"slot {slot.id} was just booked by someone else") from None
    return referral


def _audit(session: Session, principal: Principal, action: str, referral: Referral) -> None:
    audit.record(
        session,
        actor=principal,
        cpts_id=referral.cpts_id,
        action=action,
        subject_type="referral",
        subject_id=referral.id,
    )


def visible_referrals(principal: Principal) -> Select[Referral]:
    """The referrals a caller may see: the pharmacy's own, the practitioner's own (referred
    to them or by them), or (for the coordinator, without identity) all of the CPTS."""
    query = select(Referral).where(Referral.cpts_id == principal.cpts_id)
    if principal.role == Role.pharmacist:
        return query.where(Referral.pharmacy_id == principal.pharmacy_id)
    if principal.role == Role.practitioner:
        return query.where(
            or_(
                Referral.practitioner_id == principal.practitioner_id,
                Referral.referrer_practitioner_id == principal.practitioner_id,
            )
        )
    return query


def get_referral(session: Session, *, principal: Principal, referral_id: int) -> Referral:
    """One referral the caller may see (404 otherwise), audited as a read."""
    referral = session.scalar(visible_referrals(principal).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound(f"referral {referral_id} not found")
    _audit(session, principal, "read", referral)
    return referral


def list_referrals(
    session: Session,
    *,
    principal: Principal,
    page: PageParams,
    status: ReferralStatus | None,
    since: datetime | None,
    until: datetime | None,
    needs_attention: bool | None,
) -> tuple[list[Referral], int]:
    """A page of the referrals the caller may see, by slot time; audited as one read."""
    query = visible_referrals(principal).order_by(Referral.slot_starts_at, Referral.id)
    if status is not None:
        query = query.where(Referral.status == status.value)
    if since is not None:
        query = query.where(Referral.slot_starts_at >= since)
    if until is not None:
        query = query.where(Referral.slot_starts_at < until)
    if needs_attention is not None:
        flagged = Referral.needs_attention.is_not(None)
        query = query.where(flagged if needs_attention else ~flagged)
    rows, total = paginate(session, query, page)
    audit.record_list(session, actor=principal, subject_type="referral", ids=[r.id for r in rows])
    return rows, total


def cpts_timezone(session: Session, referral: Referral) -> str:
    """The timezone of the referral's CPTS."""
    return session.get_one(Cpts, referral.cpts_id).timezone


def appointments(session: Session, *, referrals: Sequence[Referral]) -> dict[int, Appointment]:
    """Where and when each referral's patient is expected, by referral id: the
    practitioner's name, profession, address and phone, and the slot in local time."""
    if not referrals:
        return {}
    zones = {
        cpts_id: ZoneInfo(zone)
        for cpts_id, zone in session.execute(
            select(Cpts.id, Cpts.timezone).where(Cpts.id.in_({r.cpts_id for r in referrals}))
        )
    }
    rows = session.execute(
        select(Referral.id, Referral.cpts_id, Slot.starts_at, Slot.ends_at, Practitioner)
        .join(Slot, Slot.id == Referral.slot_id)
        .join(Practitioner, Practitioner.id == Referral.practitioner_id)
        .where(Referral.id.in_([r.id for r in referrals]))
        .options(lazyload(Practitioner.sectors))
    )
    return {
        referral_id: Appointment(
            practitioner=OfferedPractitioner(
                id=practitioner.id,
                name=f"{practitioner.first_name} {practitioner.last_name}",
                profession=practitioner.profession,
                phone=practitioner.phone,
                practice_address=practitioner.practice_address,
            ),
            starts_at_local=starts_at.astimezone(zones[cpts_id]),
            ends_at_local=ends_at.astimezone(zones[cpts_id]),
            timezone=zones[cpts_id].key,
        )
        for referral_id, cpts_id, starts_at, ends_at, practitioner in rows
    }


def cancel(session: Session, *, principal: Principal, referral_id: int, now: datetime) -> Referral:
    """Cancel a booked referral (whoever referred, or the coordinator); a future slot
    reopens."""
    referral = get_referral(session, principal=principal, referral_id=referral_id)
    if principal.role == Role.practitioner and (
        referral.referrer_practitioner_id != principal.practitioner_id
    ):
        raise Forbidden("whoever referred the patient or the coordinator cancels a referral")
    if referral.status != ReferralStatus.booked.value:
        raise Conflict(f"referral {referral_id} is {referral.status}, not booked")
    referral.status = ReferralStatus.cancelled.value
    referral.cancelled_at = now
    slot = session.get_one(Slot, referral.slot_id)
    shift = session.get_one(Shift, slot.shift_id)
    if shift.status != ShiftStatus.active.value:
        slot.status = SlotStatus.withdrawn.value
    elif slot.starts_at > now:
        slot.status = SlotStatus.open.value
    _audit(session, principal, "cancel", referral)
    slots_changed(referral.cpts_id)
    notify.referral_cancelled(session, referral)
    session.flush()
    return referral


def record_outcome(
    session: Session, *, principal: Principal, referral_id: int, outcome: Outcome, now: datetime
) -> Referral:
    """The practitioner records whether the patient was seen or did not come."""
    if principal.role != Role.practitioner:
        raise Forbidden("the practitioner the patient was referred to records the outcome")
    referral = get_referral(session, principal=principal, referral_id=referral_id)
    if referral.practitioner_id != principal.practitioner_id:
        raise Forbidden("the practitioner the patient was referred to records the outcome")
    if referral.status != ReferralStatus.booked.value:
        raise Conflict(f"referral {referral_id} is {referral.status}, not booked")
    if now < referral.slot_starts_at:
        starts = referral.slot_starts_at.astimezone(ZoneInfo(cpts_timezone(session, referral)))
        raise Conflict(
            f"the outcome of referral {referral_id} can only be recorded once its slot has "
            f"begun (at {starts:%Y-%m-%d %H:%M} local time)",
            field="outcome",
        )
    referral.status = outcome.value
    referral.outcome_at = now
    _audit(session, principal, f"outcome_{outcome.value}", referral)
    session.flush()
    return referral


def purge_identities(
    session: Session, *, now: datetime, cpts_id: int | None = None, actor: Principal | None = None
) -> int:
    """Blank the identity fields of referrals whose slot is older than the retention period
    of their CPTS, and the text of their thread's messages; the anonymous record stays for
    indicators. Returns how many."""
    purged = blank_identities(
        session,
        model=Referral,
        reference=Referral.slot_starts_at,
        subject_type="referral",
        now=now,
        cpts_id=cpts_id,
        actor=actor,
    )
    if purged:
        session.execute(
            update(Message)
            .where(Message.referral_id.in_(purged))
            .values(body=None)
            .execution_options(synchronize_session=False)
        )
    return len(purged)
