"""HTTP routes for referrals: book (idempotent), list, read, cancel, outcome, purge."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from app.auth import Coordinator, CurrentUser, Principal, require_roles
from app.clock import NowDep
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.referrals import service
from app.referrals.models import Referral, ReferralStatus
from app.referrals.schemas import (
    OutcomeCreate,
    PurgeResult,
    ReferralAnonymous,
    ReferralCreate,
    ReferralPublic,
)
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["referrals"])

Pharmacist = Annotated[Principal, Depends(require_roles(Role.pharmacist))]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="a unique value per booking attempt; a retry with it returns the same referral",
    ),
]


def as_seen_by(principal: Principal, referral: Referral) -> ReferralPublic | ReferralAnonymous:
    """The coordinator sees referrals without patient identity; the others in full."""
    if principal.role == Role.coordinator:
        return ReferralAnonymous.model_validate(referral, from_attributes=True)
    return ReferralPublic.model_validate(referral, from_attributes=True)


@router.post(
    "/referrals",
    response_model=ReferralPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, Conflict, service.SlotTaken, RuleViolation, Forbidden),
)
def book_referral(
    session: SessionDep,
    user: Pharmacist,
    now: NowDep,
    data: ReferralCreate,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> ReferralPublic:
    """Book a slot for a patient. 409 when the slot is gone; the same Idempotency-Key
    returns the same referral (header ``Idempotent-Replayed: true``)."""
    referral, replayed = service.book(
        session, principal=user, data=data, key=idempotency_key, now=now
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ReferralPublic.model_validate(referral, from_attributes=True)


@router.get("/referrals", response_model=Page[ReferralPublic] | Page[ReferralAnonymous])
def list_referrals(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: ReferralStatus | None = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    needs_attention: bool | None = None,
) -> Page[ReferralPublic] | Page[ReferralAnonymous]:
    """Referrals: a pharmacy's own, a practitioner's own, or all of the CPTS without
    identity for the coordinator (``needs_attention=true``: patients to re-home)."""
    rows, total = service.list_referrals(
        session,
        principal=user,
        page=page,
        status=status,
        since=since,
        until=until,
        needs_attention=needs_attention,
    )
    items = [as_seen_by(user, r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralPublic | ReferralAnonymous,
    responses=error_responses(NotFound),
)
def read_referral(
    session: SessionDep, user: CurrentUser, referral_id: int
) -> ReferralPublic | ReferralAnonymous:
    """One referral, if the caller may see it (404 otherwise)."""
    return as_seen_by(user, service.get_referral(session, principal=user, referral_id=referral_id))


@router.post(
    "/referrals/{referral_id}/cancel",
    response_model=ReferralPublic | ReferralAnonymous,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def cancel_referral(
    session: SessionDep, user: CurrentUser, now: NowDep, referral_id: int
) -> ReferralPublic | ReferralAnonymous:
    """Cancel a booked referral (its pharmacy or the coordinator); a future slot reopens."""
    referral = service.cancel(session, principal=user, referral_id=referral_id, now=now)
    return as_seen_by(user, referral)


@router.post(
    "/referrals/{referral_id}/outcome",
    response_model=ReferralPublic,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def record_outcome(
    session: SessionDep, user: CurrentUser, now: NowDep, referral_id: int, data: OutcomeCreate
) -> ReferralPublic:
    """The practitioner records that the patient was seen, or did not come."""
    referral = service.record_outcome(
        session, principal=user, referral_id=referral_id, outcome=data.outcome, now=now
    )
    return ReferralPublic.model_validate(referral, from_attributes=True)


@router.post("/referrals/purge", response_model=PurgeResult)
def purge_referrals(session: SessionDep, user: Coordinator, now: NowDep) -> PurgeResult:
    """Blank patient identity on referrals past the retention period (coordinator)."""
    purged = service.purge_identities(session, now=now, cpts_id=user.cpts_id, actor=user)
    return PurgeResult(purged=purged)
