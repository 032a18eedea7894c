"""HTTP routes for practitioners."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth import Coordinator, CoordinatorOrPractitioner
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.practitioners import service
from app.practitioners.schemas import (
    PractitionerCreate,
    PractitionerFilters,
    PractitionerPublic,
    PractitionerUpdate,
)
from app.types import EntityId

router = APIRouter(prefix="/v1", tags=["practitioners"])


@router.post(
    "/practitioners",
    summary="Register a practitioner",
    response_model=PractitionerPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation, Conflict),
)
def create_practitioner(
    session: SessionDep, user: Coordinator, data: PractitionerCreate
) -> PractitionerPublic:
    """Register a practitioner (coordinator); 409 if the RPPS is already registered."""
    row = service.create_practitioner(session, cpts_id=user.cpts_id, data=data)
    return PractitionerPublic.model_validate(row)


@router.get("/practitioners", summary="List practitioners", response_model=Page[PractitionerPublic])
def list_practitioners(
    session: SessionDep,
    user: Coordinator,
    page: PageDep,
    filters: Annotated[PractitionerFilters, Query()],
) -> Page[PractitionerPublic]:
    """The territory's practitioners by name, filtered (coordinator)."""
    rows, total = service.list_practitioners(
        session, cpts_id=user.cpts_id, filters=filters, page=page
    )
    items = [PractitionerPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/practitioners/{practitioner_id}",
    summary="Read a practitioner",
    response_model=PractitionerPublic,
    responses=error_responses(NotFound, Forbidden),
)
def read_practitioner(
    session: SessionDep, user: CoordinatorOrPractitioner, practitioner_id: EntityId
) -> PractitionerPublic:
    """One practitioner: the coordinator any, a practitioner only themself."""
    row = service.get_practitioner_for(session, principal=user, practitioner_id=practitioner_id)
    return PractitionerPublic.model_validate(row)


@router.patch(
    "/practitioners/{practitioner_id}",
    summary="Change a practitioner",
    response_model=PractitionerPublic,
    responses=error_responses(NotFound, Forbidden, Conflict, RuleViolation),
)
def update_practitioner(
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    practitioner_id: EntityId,
    data: PractitionerUpdate,
) -> PractitionerPublic:
    """Change a practitioner: the coordinator any field; a practitioner only their own
    phone, practice address, coordinates, home visits and teleconsultation (403 otherwise)."""
    row = service.update_practitioner(
        session, principal=user, practitioner_id=practitioner_id, data=data
    )
    return PractitionerPublic.model_validate(row)


@router.delete(
    "/practitioners/{practitioner_id}",
    summary="Deactivate a practitioner",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def deactivate_practitioner(
    session: SessionDep, user: Coordinator, practitioner_id: EntityId
) -> None:
    """Deactivate a practitioner (coordinator): ``active`` becomes false and they leave
    future rotations; the record stays because rotations and referrals reference it."""
    service.deactivate_practitioner(session, cpts_id=user.cpts_id, practitioner_id=practitioner_id)
