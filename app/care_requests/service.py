"""Open requests: post one to the practitioners of a profession, list and read them within
the patient-data rules, accept (exactly one winner), cancel, expire at the deadline, purge
identity after the retention period. Every access is audited, as for a referral."""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.care_requests import notices
from app.care_requests.matching import offered_requests
from app.care_requests.models import CareRequest, CareRequestStatus, WishedDelay
from app.care_requests.schemas import CareRequestCreate
from app.competences.models import CatalogueItem, ItemKind
from app.cpts.models import Cpts
from app.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation
from app.pagination import PageParams, paginate
from app.patient_identity import blank_identities
from app.practitioners.models import Practitioner
from app.referrals.referrers import sender_names
from app.users.models import Role

OPEN = CareRequestStatus.open.value


class RequestTaken(Conflict):
    """Another practitioner accepted the request first."""

    code = "request_taken"


class RequestExpired(DomainError):
    """The request's deadline has passed: nobody can accept it any more."""

    status = 410
    code = "request_expired"


def deadline_of(delay: WishedDelay, *, now: datetime, timezone: str) -> datetime:
    """When a request posted ``now`` expires: the next local midnight for ``today``, else
    24 or 48 hours later (UTC)."""
    if delay == WishedDelay.within_24h:
        return now + timedelta(hours=24)
    if delay == WishedDelay.within_48h:
        return now + timedelta(hours=48)
    zone = ZoneInfo(timezone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone).astimezone(now.tzinfo)


def effective_status(request: CareRequest, now: datetime) -> CareRequestStatus:
    """The status as of ``now``: an open request past its deadline is expired, even before
    the sweep records it."""
    if request.status == OPEN and request.deadline <= now:
        return CareRequestStatus.expired
    return CareRequestStatus(request.status)


def _fingerprint(data: CareRequestCreate) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_requester(principal: Principal) -> ColumnElement[bool]:
    """The requests this caller posted: their pharmacy's, or their own as a practitioner."""
    if principal.pharmacy_id is not None:
        return CareRequest.pharmacy_id == principal.pharmacy_id
    return CareRequest.requester_practitioner_id == principal.practitioner_id


def _audit(
    session: Session, principal: Principal | None, action: str, request: CareRequest
) -> None:
    audit.record_access(
        session, actor=principal, action=action, subject_type="care_request", subject=request
    )


def _check_item(session: Session, *, cpts_id: int, data: CareRequestCreate, kind: ItemKind) -> None:
    """The competence (of the request's profession) or equipment item the request names
    is in the CPTS's catalogue; 422 naming the field otherwise."""
    field = f"{kind.value}_id"
    item_id = getattr(data, field)
    item = session.get(CatalogueItem, item_id)
    profession = data.profession.value if kind == ItemKind.competence else None
    if (
        item is None
        or item.cpts_id != cpts_id
        or item.kind != kind.value
        or item.profession != profession
    ):
        what = f"a {profession} competence" if profession else "an equipment item"
        raise RuleViolation(
            f"{kind.value} {item_id} is not {what} of this CPTS's catalogue", field=field
        )


def post_request(
    session: Session, *, principal: Principal, data: CareRequestCreate, key: str, now: datetime
) -> tuple[CareRequest, bool]:
    """Post a request for a pharmacy or a practitioner; returns it and whether this was a
    replay of the same ``Idempotency-Key``."""
    if principal.pharmacy_id is None and principal.practitioner_id is None:
        raise Forbidden("only a pharmacy's user or a practitioner can post a request")
    fingerprint = _fingerprint(data)
    previous = session.scalar(
        select(CareRequest).where(_by_requester(principal), CareRequest.idempotency_key == key)
    )
    if previous is not None:
        if previous.request_fingerprint != fingerprint:
            raise RuleViolation(
                "this Idempotency-Key was already used for a different request",
                field="Idempotency-Key",
            )
        return previous, True
    cpts = session.get_one(Cpts, principal.cpts_id)
    if data.competence_id is not None:
        _check_item(session, cpts_id=cpts.id, data=data, kind=ItemKind.competence)
    if data.equipment_id is not None:
        _check_item(session, cpts_id=cpts.id, data=data, kind=ItemKind.equipment)
    request = CareRequest(
        cpts_id=cpts.id,
        pharmacy_id=principal.pharmacy_id,
        requester_practitioner_id=None if principal.pharmacy_id else principal.practitioner_id,
        requested_by=principal.user_id,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        profession=data.profession.value,
        competence_id=data.competence_id,
        act=data.act,
        equipment=data.equipment,
        equipment_id=data.equipment_id,
        home_visit=data.home_visit,
        commune_insee=data.commune_insee,
        wished_delay=data.wished_delay.value,
        deadline=deadline_of(data.wished_delay, now=now, timezone=cpts.timezone),
        status=OPEN,
        patient_display_name=data.patient.display_name,
        patient_phone=data.patient.phone,
        patient_birth_year=data.patient.birth_year,
        reason_category=data.reason_category.value,
        note=data.note,
    )
    session.add(request)
    session.flush()
    _audit(session, principal, "create", request)
    notices.posted(session, request)
    return request, False


def visible_requests(session: Session, principal: Principal) -> Select[CareRequest]:
    """The requests a caller may see: a pharmacy's own; a practitioner's own, those they
    accepted and those offered to them (``matching``: profession, declared competence and
    equipment, home-visit zone); all of the CPTS for the coordinator (without identity)."""
    query = select(CareRequest).where(CareRequest.cpts_id == principal.cpts_id)
    if principal.role == Role.pharmacist:
        return query.where(CareRequest.pharmacy_id == principal.pharmacy_id)
    if principal.role == Role.practitioner:
        me = session.get_one(Practitioner, principal.practitioner_id)
        return query.where(
            or_(
                offered_requests(session, me),
                CareRequest.requester_practitioner_id == me.id,
                CareRequest.accepted_by_practitioner_id == me.id,
            )
        )
    return query


def requester_names(session: Session, requests: Sequence[CareRequest]) -> dict[int, str]:
    """Who posted each request, by request id: the pharmacy's or the practitioner's name."""
    return sender_names(
        session, [(r.id, r.pharmacy_id, r.requester_practitioner_id) for r in requests]
    )


def is_requester(principal: Principal, request: CareRequest) -> bool:
    """Whether the caller posted the request (for their pharmacy, or as a practitioner)."""
    if principal.pharmacy_id is not None:
        return request.pharmacy_id == principal.pharmacy_id
    return (
        principal.practitioner_id is not None
        and request.requester_practitioner_id == principal.practitioner_id
    )


def sees_identity(principal: Principal, request: CareRequest) -> bool:
    """Whether the caller sees the patient's name, phone and note: the requester and the
    practitioner who accepted, nobody else."""
    return is_requester(principal, request) or (
        principal.practitioner_id is not None
        and request.accepted_by_practitioner_id == principal.practitioner_id
    )


def get_request(session: Session, *, principal: Principal, request_id: int) -> CareRequest:
    """One request the caller may see (404 otherwise), audited as a read."""
    request = session.scalar(
        visible_requests(session, principal).where(CareRequest.id == request_id)
    )
    if request is None:
        raise NotFound(f"request {request_id} not found")
    _audit(session, principal, "read", request)
    return request


def _status_is(status: CareRequestStatus, now: datetime) -> ColumnElement[bool]:
    """Rows whose status as of ``now`` is ``status`` (open past the deadline = expired)."""
    if status == CareRequestStatus.open:
        return and_(CareRequest.status == OPEN, CareRequest.deadline > now)
    if status == CareRequestStatus.expired:
        return or_(
            CareRequest.status == status.value,
            and_(CareRequest.status == OPEN, CareRequest.deadline <= now),
        )
    return CareRequest.status == status.value


def list_requests(
    session: Session,
    *,
    principal: Principal,
    page: PageParams,
    status: CareRequestStatus | None,
    mine: bool,
    now: datetime,
) -> tuple[list[CareRequest], int]:
    """A page of the requests the caller may see, soonest deadline first (``mine``: only
    those they posted); audited as one read."""
    query = visible_requests(session, principal).order_by(CareRequest.deadline, CareRequest.id)
    if status is not None:
        query = query.where(_status_is(status, now))
    if mine:
        query = query.where(_by_requester(principal))
    rows, total = paginate(session, query, page)
    audit.record_list(
        session, actor=principal, subject_type="care_request", ids=[r.id for r in rows]
    )
    return rows, total


def accept(
    session: Session, *, principal: Principal, request_id: int, now: datetime
) -> CareRequest:
    """A practitioner of the request's profession takes the patient. Exactly one of many
    concurrent acceptances wins: a conditional update (still open, deadline ahead) takes
    it; the others get 409 (taken) or 410 (expired). Accepting again is a no-op."""
    if principal.role != Role.practitioner:
        raise Forbidden("a practitioner of the request's profession accepts it")
    request = get_request(session, principal=principal, request_id=request_id)
    acceptor = session.get_one(Practitioner, principal.practitioner_id)
    if request.profession != acceptor.profession:
        raise Forbidden(f"this request is for a {request.profession}, not a {acceptor.profession}")
    if request.requester_practitioner_id == acceptor.id:
        raise Forbidden("a practitioner cannot accept their own request")
    taken = session.execute(
        update(CareRequest)
        .where(
            CareRequest.id == request.id,
            CareRequest.status == OPEN,
            CareRequest.deadline > now,
        )
        .values(
            status=CareRequestStatus.accepted.value,
            accepted_by_practitioner_id=acceptor.id,
            accepted_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        if request.accepted_by_practitioner_id == acceptor.id:
            return request
        _refuse(request, now)
    _audit(session, principal, "accept", request)
    notices.accepted(session, request, acceptor=acceptor)
    return request


def _refuse(request: CareRequest, now: datetime) -> None:
    status = effective_status(request, now)
    if status == CareRequestStatus.expired:
        raise RequestExpired(f"request {request.id} expired at its deadline")
    if status == CareRequestStatus.accepted:
        raise RequestTaken(f"request {request.id} was already accepted by another practitioner")
    raise Conflict(f"request {request.id} is {status.value}")


def cancel(
    session: Session, *, principal: Principal, request_id: int, now: datetime
) -> CareRequest:
    """The requester (or the coordinator) withdraws an open request."""
    request = get_request(session, principal=principal, request_id=request_id)
    if principal.role != Role.coordinator and not is_requester(principal, request):
        raise Forbidden("whoever posted the request or the coordinator cancels it")
    withdrawn = session.execute(
        update(CareRequest)
        .where(CareRequest.id == request.id, CareRequest.status == OPEN, CareRequest.deadline > now)
        .values(status=CareRequestStatus.cancelled.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if withdrawn.rowcount != 1:  # type: ignore[attr-defined]
        _refuse(request, now)
    _audit(session, principal, "cancel", request)
    notices.closed(session, request)
    return request


def any_past_deadline(session: Session, now: datetime) -> bool:
    """Whether some open request is past its deadline (a read: the sweep writes only then)."""
    due = select(CareRequest.id).where(CareRequest.status == OPEN, CareRequest.deadline <= now)
    return session.scalar(due.limit(1)) is not None


def expire_open_requests(session: Session, now: datetime) -> int:
    """Mark every open request past its deadline expired and tell each requester once;
    returns how many. Safe to run from several processes at once: each row changes status
    in one conditional update, and its notice is keyed by the request."""
    expired = session.scalars(
        update(CareRequest)
        .where(CareRequest.status == OPEN, CareRequest.deadline <= now)
        .values(status=CareRequestStatus.expired.value, closed_at=now)
        .returning(CareRequest.id)
    ).all()
    for request in session.scalars(select(CareRequest).where(CareRequest.id.in_(expired))):
        _audit(session, None, "expire", request)
        notices.expired(session, request)
    session.flush()
    return len(expired)


def purge_identities(
    session: Session, *, now: datetime, cpts_id: int | None = None, actor: Principal | None = None
) -> int:
    """Blank the identity fields of requests whose deadline is older than the retention
    period of their CPTS; the anonymous record stays. Returns how many."""
    purged = blank_identities(
        session,
        model=CareRequest,
        reference=CareRequest.deadline,
        subject_type="care_request",
        now=now,
        cpts_id=cpts_id,
        actor=actor,
    )
    return len(purged)
