"""HTTP routes for referrals: book (idempotent), list, read, cancel, outcome, purge."""

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.orm import Session

from app.auth import Coordinator, CurrentUser, Principal, require_roles
from app.clock import NowDep
from app.db import SessionDep, read_then_write, start_writing, writes_on_read
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RuleViolation,
    Unavailable,
    error_responses,
)
from app.observability.metrics import BOOKINGS
from app.pagination import Page, PageDep
from app.ratelimits.deps import per_token
from app.ratelimits.limiter import Family
from app.referrals import booking, service
from app.referrals.models import Referral, ReferralStatus
from app.referrals.schemas import (
    Appointment,
    OutcomeCreate,
    PurgeResult,
    ReferralAnonymous,
    ReferralCreate,
    ReferralPublic,
)
from app.types import EntityId, Instant, Text
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["referrals"])
ReferralViewT = TypeVar("ReferralViewT", ReferralPublic, ReferralAnonymous)

Referrer = Annotated[Principal, Depends(require_roles(Role.pharmacist, Role.practitioner))]
IdempotencyKey = Annotated[
    Text,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="a unique value per booking attempt; a retry with it returns the same referral",
    ),
]


def _view(
    model: type[ReferralViewT], referral: Referral, appointment: Appointment
) -> ReferralViewT:
    stored = model.model_fields.keys() - Appointment.model_fields.keys()
    fields = {name: getattr(referral, name) for name in stored}
    return model.model_validate({**fields, **dict(appointment)})


def views_for(
    session: Session, principal: Principal, referrals: Sequence[Referral]
) -> list[ReferralPublic | ReferralAnonymous]:
    """Referrals as the caller may see them, with where and when the patient is expected:
    the coordinator without patient identity, the others in full."""
    model: type[ReferralPublic] | type[ReferralAnonymous] = (
        ReferralAnonymous if principal.role == Role.coordinator else ReferralPublic
    )
    found = service.appointments(session, referrals=referrals)
    return [_view(model, referral, found[referral.id]) for referral in referrals]


def as_seen_by(
    session: Session, principal: Principal, referral: Referral
) -> ReferralPublic | ReferralAnonymous:
    """One referral as the caller may see it (see :func:`views_for`)."""
    return views_for(session, principal, [referral])[0]


def _full(session: Session, referral: Referral) -> ReferralPublic:
    """The referral with patient identity, for whoever referred or its practitioner."""
    found = service.appointments(session, referrals=[referral])
    return _view(ReferralPublic, referral, found[referral.id])


@router.post(
    "/referrals",
    summary="Book a slot for a patient",
    response_model=ReferralPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        NotFound, Conflict, booking.SlotTaken, RuleViolation, Forbidden, Unavailable
    ),
    dependencies=[Depends(per_token(Family.booking))],
)
async def book_referral(
    request: Request,
    user: Referrer,
    now: NowDep,
    data: ReferralCreate,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Book a slot for a patient, as a pharmacist or as a practitioner (a GP sending a
    patient to a physio or a nurse). 409 when the slot is gone; the same Idempotency-Key
    returns the same referral (header ``Idempotent-Replayed: true``); 422 (``slot_id``) when
    a practitioner books their own slot.

    One worker thread and one connection: what the booking needs is read first, then the
    write (SQLite's write lock held only then) takes the slot and writes the referral with
    what goes with it, and the answer is built from what was read once that commits."""
    book = partial(_book, principal=user, data=data, key=idempotency_key, now=now)
    try:
        created = await read_then_write(request, book)
    except booking.SlotTaken:
        # The slot may be gone because this very request, sent before, booked it.
        replay = partial(_replayed, principal=user, data=data, key=idempotency_key)
        previous = await read_then_write(request, replay)
        if previous is None:
            raise
        return _created(previous, replayed=True)
    BOOKINGS.inc()
    return _created(created, replayed=False)


def _book(
    session: Session, *, principal: Principal, data: ReferralCreate, key: str, now: datetime
) -> ReferralPublic:
    prepared = booking.prepare(session, principal=principal, data=data, now=now)
    start_writing(session)
    referral = booking.take_slot(session, booking=prepared, principal=principal, data=data, key=key)
    return _view(ReferralPublic, referral, prepared.appointment)


def _replayed(
    session: Session, *, principal: Principal, data: ReferralCreate, key: str
) -> ReferralPublic | None:
    start_writing(session)  # a replay's answer is audited
    previous = booking.replayed(session, principal=principal, data=data, key=key)
    return None if previous is None else _full(session, previous)


def _created(referral: ReferralPublic, *, replayed: bool) -> Response:
    """201 with the referral, serialised here: FastAPI would validate it once more."""
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(
        referral.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        headers=headers,
        media_type="application/json",
    )


@router.get(
    "/referrals",
    summary="List referrals",
    response_model=Page[ReferralPublic] | Page[ReferralAnonymous],
)
@writes_on_read
def list_referrals(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: ReferralStatus | None = None,
    since: Annotated[Instant | None, Query(alias="from")] = None,
    until: Annotated[Instant | None, Query(alias="to")] = None,
    needs_attention: bool | None = None,
) -> Page[ReferralPublic] | Page[ReferralAnonymous]:
    """Referrals: a pharmacy's own, a practitioner's own (referred to them or by them), or
    all of the CPTS without identity for the coordinator (``needs_attention=true``:
    patients to re-home)."""
    rows, total = service.list_referrals(
        session,
        principal=user,
        page=page,
        status=status,
        since=since,
        until=until,
        needs_attention=needs_attention,
    )
    items = views_for(session, user, rows)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/referrals/{referral_id}",
    summary="Read a referral",
    response_model=ReferralPublic | ReferralAnonymous,
    responses=error_responses(NotFound),
)
@writes_on_read
def read_referral(
    session: SessionDep, user: CurrentUser, referral_id: EntityId
) -> ReferralPublic | ReferralAnonymous:
    """One referral, if the caller may see it (404 otherwise)."""
    referral = service.get_referral(session, principal=user, referral_id=referral_id)
    return as_seen_by(session, user, referral)


@router.post(
    "/referrals/{referral_id}/cancel",
    summary="Cancel a referral",
    response_model=ReferralPublic | ReferralAnonymous,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def cancel_referral(
    session: SessionDep, user: CurrentUser, now: NowDep, referral_id: EntityId
) -> ReferralPublic | ReferralAnonymous:
    """Cancel a booked referral (whoever referred, or the coordinator); a future slot
    reopens."""
    referral = service.cancel(session, principal=user, referral_id=referral_id, now=now)
    return as_seen_by(session, user, referral)


@router.post(
    "/referrals/{referral_id}/outcome",
    summary="Record whether the patient came",
    response_model=ReferralPublic,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def record_outcome(
    session: SessionDep, user: CurrentUser, now: NowDep, referral_id: EntityId, data: OutcomeCreate
) -> ReferralPublic:
    """The practitioner records that the patient was seen, or did not come."""
    referral = service.record_outcome(
        session, principal=user, referral_id=referral_id, outcome=data.outcome, now=now
    )
    return _full(session, referral)


@router.post(
    "/referrals/purge", summary="Purge patient identity past retention", response_model=PurgeResult
)
def purge_referrals(session: SessionDep, user: Coordinator, now: NowDep) -> PurgeResult:
    """Blank patient identity on referrals past the retention period (coordinator)."""
    purged = service.purge_identities(session, now=now, cpts_id=user.cpts_id, actor=user)
    return PurgeResult(purged=purged)
