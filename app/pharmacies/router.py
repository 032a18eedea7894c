"""HTTP routes for pharmacies."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth import Coordinator, Principal, require_roles
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.pharmacies import service
from app.pharmacies.schemas import (
    PharmacyCreate,
    PharmacyFilters,
    PharmacyPublic,
    PharmacyUpdate,
)
from app.types import EntityId
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["pharmacies"])

CoordinatorOrPharmacist = Annotated[
    Principal, Depends(require_roles(Role.coordinator, Role.pharmacist))
]


@router.post(
    "/pharmacies",
    summary="Register a pharmacy",
    response_model=PharmacyPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation, Conflict),
)
def create_pharmacy(session: SessionDep, user: Coordinator, data: PharmacyCreate) -> PharmacyPublic:
    """Register a pharmacy (coordinator); 409 if the FINESS is already registered."""
    row = service.create_pharmacy(session, cpts_id=user.cpts_id, data=data)
    return PharmacyPublic.model_validate(row)


@router.get("/pharmacies", summary="List pharmacies", response_model=Page[PharmacyPublic])
def list_pharmacies(
    session: SessionDep,
    user: Coordinator,
    page: PageDep,
    filters: Annotated[PharmacyFilters, Query()],
) -> Page[PharmacyPublic]:
    """The territory's pharmacies by name, filtered (coordinator)."""
    rows, total = service.list_pharmacies(session, cpts_id=user.cpts_id, filters=filters, page=page)
    items = [PharmacyPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/pharmacies/{pharmacy_id}",
    summary="Read a pharmacy",
    response_model=PharmacyPublic,
    responses=error_responses(NotFound, Forbidden),
)
def read_pharmacy(
    session: SessionDep, user: CoordinatorOrPharmacist, pharmacy_id: EntityId
) -> PharmacyPublic:
    """One pharmacy: the coordinator any, a pharmacist only their own."""
    row = service.get_pharmacy_for(session, principal=user, pharmacy_id=pharmacy_id)
    return PharmacyPublic.model_validate(row)


@router.patch(
    "/pharmacies/{pharmacy_id}",
    summary="Change a pharmacy",
    response_model=PharmacyPublic,
    responses=error_responses(NotFound, Conflict, RuleViolation),
)
def update_pharmacy(
    session: SessionDep, user: Coordinator, pharmacy_id: EntityId, data: PharmacyUpdate
) -> PharmacyPublic:
    """Change a pharmacy (coordinator)."""
    row = service.update_pharmacy(session, cpts_id=user.cpts_id, pharmacy_id=pharmacy_id, data=data)
    return PharmacyPublic.model_validate(row)


@router.delete(
    "/pharmacies/{pharmacy_id}",
    summary="Remove a pharmacy",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def delete_pharmacy(session: SessionDep, user: Coordinator, pharmacy_id: EntityId) -> None:
    """Remove a pharmacy and its pharmacists' accounts (coordinator)."""
    service.delete_pharmacy(session, cpts_id=user.cpts_id, pharmacy_id=pharmacy_id)
