"""HTTP routes for swap offers: offer, list, accept, withdraw, approve, reject."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy.orm import Session

from app.auth import Coordinator, CoordinatorOrPractitioner, Principal, require_roles
from app.clock import NowDep
from app.db import SessionDep
from app.errors import (
    Conflict,
    Forbidden,
    HardRuleBroken,
    NotFound,
    RuleViolation,
    error_responses,
)
from app.pagination import Page, PageDep
from app.rotations import swaps
from app.rotations.models import SwapOffer, SwapStatus
from app.rotations.swap_schemas import SwapDecision, SwapOfferCreate, SwapOfferPublic
from app.types import EntityId
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["swaps"])

PractitionerUser = Annotated[Principal, Depends(require_roles(Role.practitioner))]

STEP_ERRORS = error_responses(NotFound, Forbidden, Conflict, HardRuleBroken, RuleViolation)


def _public(session: Session, user: Principal, offer: SwapOffer) -> SwapOfferPublic:
    return swaps.offers_public(session, [offer], cpts_id=user.cpts_id)[0]


@router.post(
    "/swap-offers",
    summary="Offer one of your shifts to colleagues",
    response_model=SwapOfferPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def offer_shift(
    session: SessionDep, user: PractitionerUser, now: NowDep, data: SwapOfferCreate
) -> SwapOfferPublic:
    """Offer one of your own future shifts of a published rotation (practitioner)."""
    offer = swaps.offer_shift(session, principal=user, data=data, now=now)
    return _public(session, user, offer)


@router.get("/swap-offers", summary="List swap offers", response_model=Page[SwapOfferPublic])
def list_offers(
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    page: PageDep,
    status: SwapStatus | None = None,
    rotation_id: EntityId | None = None,
) -> Page[SwapOfferPublic]:
    """Offers, soonest shift first: a practitioner sees their profession's and their own."""
    rows, total = swaps.list_offers(
        session, principal=user, page=page, status=status, rotation_id=rotation_id
    )
    items = swaps.offers_public(session, rows, cpts_id=user.cpts_id)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/swap-offers/{offer_id}",
    summary="Read a swap offer",
    response_model=SwapOfferPublic,
    responses=error_responses(NotFound),
)
def read_offer(
    session: SessionDep, user: CoordinatorOrPractitioner, offer_id: EntityId
) -> SwapOfferPublic:
    """One offer and its steps so far."""
    return _public(session, user, swaps.get_offer(session, principal=user, offer_id=offer_id))


@router.post(
    "/swap-offers/{offer_id}/accept",
    summary="Take a colleague's offered shift",
    response_model=SwapOfferPublic,
    responses=STEP_ERRORS,
)
def accept_offer(
    session: SessionDep, user: PractitionerUser, now: NowDep, offer_id: EntityId
) -> SwapOfferPublic:
    """Take a colleague's shift: 409 naming the hard rule it would break; done at once, or
    pending until the coordinator approves when the CPTS requires approval."""
    offer = swaps.accept_offer(session, principal=user, offer_id=offer_id, now=now)
    return _public(session, user, offer)


@router.post(
    "/swap-offers/{offer_id}/withdraw",
    summary="Withdraw your swap offer",
    response_model=SwapOfferPublic,
    responses=STEP_ERRORS,
)
def withdraw_offer(
    session: SessionDep, user: PractitionerUser, offer_id: EntityId
) -> SwapOfferPublic:
    """Take back your open offer."""
    offer = swaps.withdraw_offer(session, principal=user, offer_id=offer_id)
    return _public(session, user, offer)


@router.post(
    "/swap-offers/{offer_id}/approve",
    summary="Approve a taken swap offer",
    response_model=SwapOfferPublic,
    responses=STEP_ERRORS,
)
def approve_offer(
    session: SessionDep,
    user: Coordinator,
    now: NowDep,
    offer_id: EntityId,
    data: SwapDecision | None = None,
) -> SwapOfferPublic:
    """Apply a taken offer (coordinator); the hard rules are checked again now."""
    offer = swaps.approve_offer(
        session, principal=user, offer_id=offer_id, data=data or SwapDecision(), now=now
    )
    return _public(session, user, offer)


@router.post(
    "/swap-offers/{offer_id}/reject",
    summary="Reject a taken swap offer",
    response_model=SwapOfferPublic,
    responses=STEP_ERRORS,
)
def reject_offer(
    session: SessionDep, user: Coordinator, offer_id: EntityId, data: SwapDecision | None = None
) -> SwapOfferPublic:
    """Refuse a taken offer (coordinator); the shift stays with its holder."""
    offer = swaps.reject_offer(
        session, principal=user, offer_id=offer_id, data=data or SwapDecision()
    )
    return _public(session, user, offer)
