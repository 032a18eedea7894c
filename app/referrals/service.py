"""Referrals: read and list within the patient-data rules, cancel, record the outcome,
purge identity after the retention period (booking is ``booking.py``). Every access is
audited."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, lazyload

from app import audit
from app.auth import Principal
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, NotFound
from app.messaging.models import Message
from app.notifications import service as notify
from app.pagination import PageParams, paginate
from app.patient_identity import blank_identities
from app.practitioners.models import Practitioner
from app.referrals.models import Referral, ReferralStatus
from app.referrals.schemas import Appointment, Outcome
from app.rotations.models import Shift, ShiftStatus
from app.slots.models import Slot, SlotStatus
from app.slots.schemas import OfferedPractitioner
from app.slots.search import slots_changed
from app.users.models import Role


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
    audit.record_access(
        session, actor=principal, action="read", subject_type="referral", subject=referral
    )
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
    audit.record_access(
        session, actor=principal, action="cancel", subject_type="referral", subject=referral
    )
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
    audit.record_access(
        session,
        actor=principal,
        action=f"outcome_{outcome.value}",
        subject_type="referral",
        subject=referral,
    )
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
