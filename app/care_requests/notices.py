"""Who hears of an open request: the requester through the outbox (accepted, expired), the
practitioners it is offered to (``matching``) through live events (posted, taken, closed)."""

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.care_requests.matching import offered_to
from app.care_requests.models import CareRequest
from app.cpts.models import Cpts
from app.events.service import publish
from app.notifications import messages
from app.notifications.service import enqueue
from app.practitioners.models import Practitioner
from app.users.models import Role, User


def requester_users(session: Session, request: CareRequest) -> list[int]:
    """The active users acting for the request's pharmacy, or for its requesting
    practitioner."""
    if request.pharmacy_id is not None:
        condition = (User.role == Role.pharmacist.value) & (User.pharmacy_id == request.pharmacy_id)
    else:
        condition = (User.role == Role.practitioner.value) & (
            User.practitioner_id == request.requester_practitioner_id
        )
    return list(session.scalars(select(User.id).where(User.active.is_(True), condition)))


def _offered_to(session: Session, request: CareRequest) -> list[int]:
    """The active users of the practitioners the request is offered to."""
    practitioners = offered_to(session, request)
    query = select(User.id).where(
        User.cpts_id == request.cpts_id,
        User.active.is_(True),
        User.practitioner_id.in_(practitioners),
    )
    return list(session.scalars(query))


def _publish(session: Session, request: CareRequest, kind: str) -> None:
    users = set(_offered_to(session, request)) | set(requester_users(session, request))
    publish(
        session,
        cpts_id=request.cpts_id,
        user_ids=users,
        kind=kind,
        data={"care_request_id": request.id, "status": request.status},
    )


def _zone(session: Session, request: CareRequest) -> ZoneInfo:
    return ZoneInfo(session.get_one(Cpts, request.cpts_id).timezone)


def posted(session: Session, request: CareRequest) -> None:
    """Live event to the practitioners of the profession: a new request to look at."""
    _publish(session, request, "care_request.posted")


def accepted(session: Session, request: CareRequest, *, acceptor: Practitioner) -> None:
    """Tell the requester who accepted (outbox), and everyone concerned that it is taken."""
    name = f"{acceptor.first_name} {acceptor.last_name}"
    enqueue(
        session,
        cpts_id=request.cpts_id,
        user_ids=requester_users(session, request),
        key=f"care_request_accepted:{request.id}",
        message=messages.care_request_accepted(
            request, acceptor=name, zone=_zone(session, request)
        ),
    )
    _publish(session, request, "care_request.taken")


def closed(session: Session, request: CareRequest) -> None:
    """Live event: the request is no longer open (cancelled)."""
    _publish(session, request, "care_request.closed")


def expired(session: Session, request: CareRequest) -> None:
    """Tell the requester nobody accepted before the deadline (once: the outbox row is
    keyed by the request), and the practitioners that it is closed."""
    enqueue(
        session,
        cpts_id=request.cpts_id,
        user_ids=requester_users(session, request),
        key=f"care_request_expired:{request.id}",
        message=messages.care_request_expired(request, zone=_zone(session, request)),
    )
    _publish(session, request, "care_request.closed")
