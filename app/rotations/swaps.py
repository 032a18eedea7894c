"""Swaps: a practitioner offers one of their future shifts, a colleague of the same
profession takes it, the hard rules are checked, and the coordinator approves when the
CPTS asks for it. Every step is kept on the offer and in the rotation's history."""

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.rotations.amendments import (
    apply_change,
    as_new_assignment,
    enforce_rules,
    new_violations,
    shift_for,
)
from app.rotations.models import (
    Rotation,
    RotationStatus,
    Shift,
    ShiftStatus,
    SwapOffer,
    SwapStatus,
)
from app.rotations.service import record_change, shifts_public
from app.rotations.swap_schemas import SwapDecision, SwapOfferCreate, SwapOfferPublic
from app.tenancy import owned
from app.users.models import Role

LIVE = (SwapStatus.open.value, SwapStatus.pending_approval.value)


def _own_practitioner_id(principal: Principal) -> int:
    if principal.practitioner_id is None:
        raise Forbidden("only a practitioner can do this")
    return principal.practitioner_id


def visible_offers(principal: Principal) -> Select[SwapOffer]:
    """Offers the caller may read: all for the coordinator; for a practitioner, those of
    their profession and their own."""
    query = owned(SwapOffer, principal.cpts_id).join(Shift, Shift.id == SwapOffer.shift_id)
    if principal.role == Role.coordinator:
        return query
    own = _own_practitioner_id(principal)
    profession = select(Practitioner.profession).where(Practitioner.id == own).scalar_subquery()
    return query.where(or_(Shift.profession == profession, SwapOffer.offered_by == own))


def list_offers(
    session: Session,
    *,
    principal: Principal,
    page: PageParams,
    status: SwapStatus | None = None,
    rotation_id: int | None = None,
) -> tuple[list[SwapOffer], int]:
    """A page of the offers the caller may read, soonest shift first."""
    query = visible_offers(principal).order_by(Shift.starts_at, SwapOffer.id)
    if status is not None:
        query = query.where(SwapOffer.status == status.value)
    if rotation_id is not None:
        query = query.where(Shift.rotation_id == rotation_id)
    return paginate(session, query, page)


def get_offer(session: Session, *, principal: Principal, offer_id: int) -> SwapOffer:
    """An offer the caller may read (404 otherwise)."""
    offer = session.scalar(visible_offers(principal).where(SwapOffer.id == offer_id))
    if offer is None:
        raise NotFound(f"swap offer {offer_id} not found")
    return offer


def _offer_to_change(session: Session, *, principal: Principal, offer_id: int) -> SwapOffer:
    """An offer of the caller's CPTS, locked until the transaction ends (one step at a time)."""
    query = owned(SwapOffer, principal.cpts_id).where(SwapOffer.id == offer_id)
    offer = session.scalar(query.with_for_update())
    if offer is None:
        raise NotFound(f"swap offer {offer_id} not found")
    return offer


def offers_public(
    session: Session, offers: list[SwapOffer], *, cpts_id: int
) -> list[SwapOfferPublic]:
    """Offers with their shift rendered in the CPTS's timezone."""
    shifts = session.scalars(select(Shift).where(Shift.id.in_({o.shift_id for o in offers})))
    rendered = {s.id: s for s in shifts_public(session, list(shifts), cpts_id=cpts_id)}
    return [
        SwapOfferPublic(
            id=o.id,
            rotation_id=rendered[o.shift_id].rotation_id,
            shift=rendered[o.shift_id],
            offered_by=o.offered_by,
            taken_by=o.taken_by,
            status=SwapStatus(o.status),
            note=o.note,
            decided_by=o.decided_by,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )
        for o in offers
    ]


def _ensure_swappable(shift: Shift, rotation: Rotation, *, now: datetime) -> None:
    """A swap only moves an active, not yet started shift of a published rotation."""
    if rotation.status != RotationStatus.published.value:
        raise Conflict(f"rotation {rotation.id} is {rotation.status}: only published shifts swap")
    if shift.status != ShiftStatus.active.value:
        raise Conflict(f"shift {shift.id} is {shift.status}, no longer on the rotation")
    if shift.starts_at <= now:
        raise Conflict(f"shift {shift.id} has already started: only future shifts can be swapped")


def _shift_and_rotation(session: Session, offer: SwapOffer) -> tuple[Shift, Rotation]:
    shift = session.get_one(Shift, offer.shift_id)
    return shift, session.get_one(Rotation, shift.rotation_id)


def _record_step(
    session: Session,
    *,
    principal: Principal,
    offer: SwapOffer,
    rotation: Rotation,
    kind: str,
    reason: str | None = None,
) -> None:
    """One step of an offer in the rotation's history (the applied swap is ``swap``)."""
    session.flush()
    record_change(
        session,
        rotation=rotation,
        principal=principal,
        kind=kind,
        reason=reason,
        details={
            "swap_offer_id": offer.id,
            "shift_id": offer.shift_id,
            "offered_by": offer.offered_by,
            "taken_by": offer.taken_by,
        },
    )
    session.flush()


def offer_shift(
    session: Session, *, principal: Principal, data: SwapOfferCreate, now: datetime
) -> SwapOffer:
    """Offer one of the caller's own future shifts; one live offer per shift."""
    own = _own_practitioner_id(principal)
    shift = session.scalar(owned(Shift, principal.cpts_id).where(Shift.id == data.shift_id))
    if shift is None:
        raise NotFound(f"shift {data.shift_id} not found", field="shift_id")
    if shift.practitioner_id != own:
        raise Forbidden(f"shift {shift.id} is not yours: you can only offer your own shifts")
    rotation = session.get_one(Rotation, shift.rotation_id)
    _ensure_swappable(shift, rotation, now=now)
    if shift.locked:
        raise Conflict(f"shift {shift.id} is locked by the coordinator and cannot be swapped")
    live = session.scalar(
        select(SwapOffer.id).where(SwapOffer.shift_id == shift.id, SwapOffer.status.in_(LIVE))
    )
    if live is not None:
        raise Conflict(f"shift {shift.id} is already offered (swap offer {live})", field="shift_id")
    offer = SwapOffer(cpts_id=shift.cpts_id, shift_id=shift.id, offered_by=own, note=data.note)
    session.add(offer)
    _record_step(session, principal=principal, offer=offer, rotation=rotation, kind="swap_offer")
    return offer


def _taker_shift(session: Session, *, taker_id: int, shift: Shift, rotation: Rotation) -> Shift:
    """The shift the taker would hold: same day, block and sector (unsaved)."""
    return shift_for(
        session,
        rotation=rotation,
        practitioner_id=taker_id,
        day=shift.day,
        block=shift.block,
        sector_id=shift.sector_id,
    )


def _swap_reason(offer: SwapOffer, reason: str | None) -> str:
    return f"swap offer {offer.id}" + (f": {reason}" if reason else "")


def _apply_swap(
    session: Session, *, principal: Principal, offer: SwapOffer, taker_id: int, reason: str | None
) -> None:
    """Move the shift to the taker, checked against the hard rules (409 naming the rule)."""
    shift, rotation = _shift_and_rotation(session, offer)
    offer.taken_by = taker_id
    apply_change(
        session,
        principal=principal,
        rotation=rotation,
        kind="swap",
        add=[_taker_shift(session, taker_id=taker_id, shift=shift, rotation=rotation)],
        remove=[shift],
        force=False,
        reason=_swap_reason(offer, reason),
    )
    offer.status = SwapStatus.done.value
    session.flush()


def _check_taker(session: Session, *, offer: SwapOffer, taker_id: int, shift: Shift) -> None:
    if offer.status != SwapStatus.open.value:
        raise Conflict(f"swap offer {offer.id} is {offer.status}, not open")
    if offer.offered_by == taker_id:
        raise Conflict("you cannot accept your own swap offer")
    taker = session.get_one(Practitioner, taker_id)
    if taker.profession != shift.profession:
        raise RuleViolation(
            f"this {shift.profession} shift can only be taken by a {shift.profession}; "
            f"you are a {taker.profession}"
        )


def accept_offer(
    session: Session, *, principal: Principal, offer_id: int, now: datetime
) -> SwapOffer:
    """Take an open offer. The hard rules are checked now; the shift moves at once, or
    once the coordinator approves when the CPTS requires approval."""
    taker_id = _own_practitioner_id(principal)
    offer = _offer_to_change(session, principal=principal, offer_id=offer_id)
    shift, rotation = _shift_and_rotation(session, offer)
    _check_taker(session, offer=offer, taker_id=taker_id, shift=shift)
    _ensure_swappable(shift, rotation, now=now)
    if not session.get_one(Cpts, principal.cpts_id).swap_requires_approval:
        _apply_swap(session, principal=principal, offer=offer, taker_id=taker_id, reason=offer.note)
        return offer
    taker_shift = _taker_shift(session, taker_id=taker_id, shift=shift, rotation=rotation)
    violations = new_violations(
        session, rotation=rotation, add=[as_new_assignment(taker_shift)], remove=[shift]
    )
    enforce_rules(violations, force=False, reason=None)
    offer.taken_by = taker_id
    offer.status = SwapStatus.pending_approval.value
    _record_step(session, principal=principal, offer=offer, rotation=rotation, kind="swap_accept")
    return offer


def _pending_offer(session: Session, *, principal: Principal, offer_id: int) -> SwapOffer:
    offer = _offer_to_change(session, principal=principal, offer_id=offer_id)
    if offer.status != SwapStatus.pending_approval.value:
        raise Conflict(f"swap offer {offer.id} is {offer.status}, not waiting for approval")
    return offer


def approve_offer(
    session: Session, *, principal: Principal, offer_id: int, data: SwapDecision, now: datetime
) -> SwapOffer:
    """Apply a taken offer (coordinator); the hard rules are checked again at this moment."""
    offer = _pending_offer(session, principal=principal, offer_id=offer_id)
    shift, rotation = _shift_and_rotation(session, offer)
    _ensure_swappable(shift, rotation, now=now)
    assert offer.taken_by is not None, "a pending offer has a taker"
    offer.decided_by = principal.user_id
    _apply_swap(
        session,
        principal=principal,
        offer=offer,
        taker_id=offer.taken_by,
        reason=data.reason or offer.note,
    )
    return offer


def reject_offer(
    session: Session, *, principal: Principal, offer_id: int, data: SwapDecision
) -> SwapOffer:
    """Refuse a taken offer (coordinator); the shift stays with its holder."""
    offer = _pending_offer(session, principal=principal, offer_id=offer_id)
    _, rotation = _shift_and_rotation(session, offer)
    offer.status = SwapStatus.rejected.value
    offer.decided_by = principal.user_id
    _record_step(
        session,
        principal=principal,
        offer=offer,
        rotation=rotation,
        kind="swap_reject",
        reason=data.reason,
    )
    return offer


def withdraw_offer(session: Session, *, principal: Principal, offer_id: int) -> SwapOffer:
    """Take back an open offer (its author only)."""
    own = _own_practitioner_id(principal)
    offer = _offer_to_change(session, principal=principal, offer_id=offer_id)
    if offer.offered_by != own:
        raise Forbidden(f"swap offer {offer.id} is not yours to withdraw")
    if offer.status != SwapStatus.open.value:
        raise Conflict(f"swap offer {offer.id} is {offer.status}: only open ones can be withdrawn")
    _, rotation = _shift_and_rotation(session, offer)
    offer.status = SwapStatus.withdrawn.value
    _record_step(session, principal=principal, offer=offer, rotation=rotation, kind="swap_withdraw")
    return offer
