"""HTTP routes for open requests: post (idempotent), list, read, accept, cancel, purge."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from sqlalchemy.orm import Session

from app.auth import Coordinator, CurrentUser, Principal, require_roles
from app.care_requests import service
from app.care_requests.models import CareRequest, CareRequestStatus
from app.care_requests.schemas import (
    CareRequestAnonymous,
    CareRequestCreate,
    CareRequestPublic,
)
from app.clock import NowDep
from app.db import SessionDep, writes_on_read
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.referrals.schemas import PurgeResult
from app.types import EntityId, Text
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["care requests"])

Requester = Annotated[Principal, Depends(require_roles(Role.pharmacist, Role.practitioner))]
IdempotencyKey = Annotated[
    Text,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="a unique value per request posted; a retry with it returns the same one",
    ),
]
CareRequestView = CareRequestPublic | CareRequestAnonymous


def views_for(
    session: Session, principal: Principal, requests: Sequence[CareRequest], now: datetime
) -> list[CareRequestView]:
    """Requests as the caller may see them: with the patient's identity for the requester
    and the practitioner who accepted, without it for the others; the status as of now."""
    names = service.requester_names(session, requests)
    views: list[CareRequestView] = []
    for request in requests:
        model = (
            CareRequestPublic if service.sees_identity(principal, request) else CareRequestAnonymous
        )
        fields = {
            name: getattr(request, name)
            for name in model.model_fields.keys() - {"requester_name", "status"}
        }
        views.append(
            model.model_validate(
                {
                    **fields,
                    "requester_name": names[request.id],
                    "status": service.effective_status(request, now),
                }
            )
        )
    return views


@router.post(
    "/care-requests",
    summary="Post an open request to the practitioners of a profession",
    response_model=CareRequestPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation, Forbidden),
)
def post_care_request(
    session: SessionDep,
    user: Requester,
    now: NowDep,
    data: CareRequestCreate,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> CareRequestView:
    """When no slot fits, ask every practitioner of ``profession`` in the CPTS to take the
    patient (a pharmacist or a practitioner). The first to accept gets the patient; the
    request expires at its deadline otherwise, and the requester is told either way. The
    same Idempotency-Key returns the same request (``Idempotent-Replayed: true``)."""
    request, replayed = service.post_request(
        session, principal=user, data=data, key=idempotency_key, now=now
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return views_for(session, user, [request], now)[0]


@router.get(
    "/care-requests",
    summary="List open requests",
    response_model=Page[CareRequestPublic | CareRequestAnonymous],
)
@writes_on_read
def list_care_requests(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    page: PageDep,
    status: CareRequestStatus | None = None,
    mine: bool = False,
) -> Page[CareRequestView]:
    """Requests, soonest deadline first: a practitioner sees those offered to their
    profession (``status=open``: the ones they can still accept), those they posted and
    those they accepted; a pharmacy its own; the coordinator all, without identity.
    ``mine=true``: only those the caller posted."""
    rows, total = service.list_requests(
        session, principal=user, page=page, status=status, mine=mine, now=now
    )
    items = views_for(session, user, rows, now)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/care-requests/{request_id}",
    summary="Read an open request",
    response_model=CareRequestPublic | CareRequestAnonymous,
    responses=error_responses(NotFound),
)
@writes_on_read
def read_care_request(
    session: SessionDep, user: CurrentUser, now: NowDep, request_id: EntityId
) -> CareRequestView:
    """One request, if the caller may see it (404 otherwise)."""
    request = service.get_request(session, principal=user, request_id=request_id)
    return views_for(session, user, [request], now)[0]


@router.post(
    "/care-requests/{request_id}/accept",
    summary="Accept an open request (first one wins)",
    response_model=CareRequestPublic,
    responses=error_responses(
        NotFound, Forbidden, Conflict, service.RequestTaken, service.RequestExpired
    ),
)
def accept_care_request(
    session: SessionDep, user: CurrentUser, now: NowDep, request_id: EntityId
) -> CareRequestView:
    """Take the patient: the first practitioner of the profession to accept wins, with the
    patient's identity; the others get 409 ``request_taken``; past the deadline, 410
    ``request_expired``. Accepting again is answered 200 with the same request."""
    request = service.accept(session, principal=user, request_id=request_id, now=now)
    return views_for(session, user, [request], now)[0]


@router.post(
    "/care-requests/{request_id}/cancel",
    summary="Withdraw an open request",
    response_model=CareRequestPublic | CareRequestAnonymous,
    responses=error_responses(
        NotFound, Forbidden, Conflict, service.RequestTaken, service.RequestExpired
    ),
)
def cancel_care_request(
    session: SessionDep, user: CurrentUser, now: NowDep, request_id: EntityId
) -> CareRequestView:
    """Whoever posted the request (or the coordinator) withdraws it while it is open."""
    request = service.cancel(session, principal=user, request_id=request_id, now=now)
    return views_for(session, user, [request], now)[0]


@router.post(
    "/care-requests/purge",
    summary="Purge patient identity of requests past retention",
    response_model=PurgeResult,
)
def purge_care_requests(session: SessionDep, user: Coordinator, now: NowDep) -> PurgeResult:
    """Blank patient identity on requests whose deadline is past the retention period
    (coordinator; also done by ``cpts-snp purge``)."""
    purged = service.purge_identities(session, now=now, cpts_id=user.cpts_id, actor=user)
    return PurgeResult(purged=purged)
