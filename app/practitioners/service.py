"""Practitioners: registration, the sectors they serve, who may read and edit them."""

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.auth import Principal
from app.base import utcnow
from app.cpts.models import Sector
from app.cpts.service import get_sectors
from app.crud import apply_changes, ensure_paired, ensure_unique, matches_words
from app.errors import Forbidden
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.practitioners.schemas import (
    PractitionerCreate,
    PractitionerFilters,
    PractitionerSelfUpdate,
    PractitionerUpdate,
)
from app.signin.service import end_user_sessions
from app.tenancy import get_owned, owned
from app.users.models import Role, User

SELF_EDITABLE = frozenset(PractitionerSelfUpdate.model_fields)


def _sectors(session: Session, *, cpts_id: int, sector_ids: list[int]) -> list[Sector]:
    found = get_sectors(session, cpts_id=cpts_id, sector_ids=sector_ids, field="sector_ids")
    return sorted(found, key=lambda sector: sector.id)


def create_practitioner(
    session: Session, *, cpts_id: int, data: PractitionerCreate
) -> Practitioner:
    """Register a practitioner; RPPS is unique in a territory, sectors must be its own."""
    ensure_unique(session, Practitioner, cpts_id=cpts_id, field="rpps", value=data.rpps)
    practitioner = Practitioner(
        cpts_id=cpts_id,
        sectors=_sectors(session, cpts_id=cpts_id, sector_ids=data.sector_ids),
        **data.model_dump(mode="json", exclude={"sector_ids"}),
    )
    ensure_paired(practitioner, "latitude", "longitude")
    session.add(practitioner)
    session.flush()
    return practitioner


def _filtered(query: Select[Practitioner], filters: PractitionerFilters) -> Select[Practitioner]:
    if filters.profession is not None:
        query = query.where(Practitioner.profession == filters.profession.value)
    if filters.sector_id is not None:
        query = query.where(Practitioner.sectors.any(Sector.id == filters.sector_id))
    if filters.active is not None:
        query = query.where(Practitioner.active.is_(filters.active))
    if filters.q is not None:
        query = query.where(
            matches_words(filters.q, Practitioner.first_name, Practitioner.last_name)
        )
    return query


def list_practitioners(
    session: Session, *, cpts_id: int, filters: PractitionerFilters, page: PageParams
) -> tuple[list[Practitioner], int]:
    """A page of the territory's practitioners matching ``filters``, by name."""
    query = owned(Practitioner, cpts_id).order_by(
        Practitioner.last_name, Practitioner.first_name, Practitioner.id
    )
    return paginate(session, _filtered(query, filters), page)


def get_practitioner(session: Session, *, cpts_id: int, practitioner_id: int) -> Practitioner:
    """One practitioner of the territory (404 if they belong to another)."""
    return get_owned(session, Practitioner, practitioner_id, cpts_id=cpts_id)


def get_practitioner_for(
    session: Session,
    *,
    principal: Principal,
    practitioner_id: int,
    refusal: str = "practitioners may only see and edit their own record",
) -> Practitioner:
    """A practitioner as ``principal`` may reach them: the coordinator any, a practitioner
    only themself (403 with ``refusal`` for a colleague, 404 for another territory's)."""
    practitioner = get_practitioner(
        session, cpts_id=principal.cpts_id, practitioner_id=practitioner_id
    )
    if principal.role != Role.coordinator and principal.practitioner_id != practitioner.id:
        raise Forbidden(refusal)
    return practitioner


def _check_self_editable(data: PractitionerUpdate) -> None:
    refused = sorted(data.model_fields_set - SELF_EDITABLE)
    if refused:
        allowed = ", ".join(sorted(SELF_EDITABLE))
        raise Forbidden(
            f"only the coordinator may change {', '.join(refused)}; you may change: {allowed}",
            field=refused[0],
        )


def update_practitioner(
    session: Session, *, principal: Principal, practitioner_id: int, data: PractitionerUpdate
) -> Practitioner:
    """Change a practitioner: the coordinator any field, practitioners their own contact
    details and capabilities only (:class:`PractitionerSelfUpdate`)."""
    practitioner = get_practitioner_for(
        session, principal=principal, practitioner_id=practitioner_id
    )
    if principal.role != Role.coordinator:
        _check_self_editable(data)
    if data.rpps is not None:
        ensure_unique(
            session,
            Practitioner,
            cpts_id=principal.cpts_id,
            field="rpps",
            value=data.rpps,
            exclude_id=practitioner.id,
        )
    if data.sector_ids is not None:
        practitioner.sectors = _sectors(
            session, cpts_id=principal.cpts_id, sector_ids=data.sector_ids
        )
    apply_changes(practitioner, data, skip=frozenset({"sector_ids"}))
    ensure_paired(practitioner, "latitude", "longitude")
    session.flush()
    return practitioner


def deactivate_practitioner(session: Session, *, cpts_id: int, practitioner_id: int) -> None:
    """Take a practitioner off future rotations and disable their users' access. They are
    kept, not deleted, because rotations, shifts and referrals reference them."""
    practitioner = get_practitioner(session, cpts_id=cpts_id, practitioner_id=practitioner_id)
    practitioner.active = False
    session.execute(
        update(User).where(User.practitioner_id == practitioner.id).values(active=False)
    )
    users = session.scalars(select(User.id).where(User.practitioner_id == practitioner.id))
    end_user_sessions(session, user_ids=list(users), now=utcnow())
    session.flush()
