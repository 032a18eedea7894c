"""HTTP routes for a practitioner's absences and preferences (themself or the coordinator)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth import CoordinatorOrPractitioner
from app.availability import service
from app.availability.schemas import (
    AbsenceCreate,
    AbsencePublic,
    AbsenceUpdate,
    PreferenceCreate,
    PreferencePublic,
)
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses, raises
from app.pagination import Page, PageDep
from app.practitioners.models import Practitioner
from app.types import CalendarDate, EntityId


@raises(NotFound, Forbidden)
def practitioner_in_reach(
    session: SessionDep, user: CoordinatorOrPractitioner, practitioner_id: EntityId
) -> Practitioner:
    """The practitioner in the path, once the caller is allowed to manage their availability."""
    return service.reachable_practitioner(session, principal=user, practitioner_id=practitioner_id)


PractitionerInReach = Annotated[Practitioner, Depends(practitioner_in_reach)]

router = APIRouter(
    prefix="/v1/practitioners/{practitioner_id}",
    tags=["availability"],
    responses=error_responses(Forbidden, NotFound),
)


@router.post(
    "/absences",
    summary="Declare an absence",
    response_model=AbsencePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation, Conflict),
)
def create_absence(
    session: SessionDep, practitioner: PractitionerInReach, data: AbsenceCreate
) -> AbsencePublic:
    """Declare days the practitioner cannot be on call; overlapping absences are refused."""
    absence = service.create_absence(session, practitioner=practitioner, data=data)
    return AbsencePublic.model_validate(absence)


@router.get(
    "/absences",
    summary="List a practitioner's absences",
    response_model=Page[AbsencePublic],
    responses=error_responses(RuleViolation),
)
def list_absences(
    session: SessionDep,
    practitioner: PractitionerInReach,
    page: PageDep,
    start: Annotated[
        CalendarDate | None, Query(alias="from", description="Only absences ending on or after")
    ] = None,
    end: Annotated[
        CalendarDate | None, Query(alias="to", description="Only absences starting on or before")
    ] = None,
) -> Page[AbsencePublic]:
    """The practitioner's absences by start date, optionally those overlapping [from, to]."""
    rows, total = service.list_absences(
        session, practitioner=practitioner, start=start, end=end, page=page
    )
    items = [AbsencePublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/absences/{absence_id}", summary="Read an absence", response_model=AbsencePublic)
def read_absence(
    session: SessionDep, practitioner: PractitionerInReach, absence_id: EntityId
) -> AbsencePublic:
    """One absence."""
    absence = service.get_absence(session, practitioner=practitioner, absence_id=absence_id)
    return AbsencePublic.model_validate(absence)


@router.patch(
    "/absences/{absence_id}",
    summary="Change an absence",
    response_model=AbsencePublic,
    responses=error_responses(RuleViolation, Conflict),
)
def update_absence(
    session: SessionDep,
    practitioner: PractitionerInReach,
    absence_id: EntityId,
    data: AbsenceUpdate,
) -> AbsencePublic:
    """Move, shorten, extend or re-word an absence."""
    absence = service.update_absence(
        session, practitioner=practitioner, absence_id=absence_id, data=data
    )
    return AbsencePublic.model_validate(absence)


@router.delete(
    "/absences/{absence_id}", summary="Withdraw an absence", status_code=status.HTTP_204_NO_CONTENT
)
def delete_absence(
    session: SessionDep, practitioner: PractitionerInReach, absence_id: EntityId
) -> None:
    """Withdraw an absence."""
    service.delete_absence(session, practitioner=practitioner, absence_id=absence_id)


@router.post(
    "/preferences",
    summary="Prefer or avoid a weekday or a date",
    response_model=PreferencePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict),
)
def create_preference(
    session: SessionDep, practitioner: PractitionerInReach, data: PreferenceCreate
) -> PreferencePublic:
    """Prefer or avoid a weekday or a date; one preference per weekday or date."""
    preference = service.create_preference(session, practitioner=practitioner, data=data)
    return PreferencePublic.model_validate(preference)


@router.get(
    "/preferences",
    summary="List a practitioner's preferences",
    response_model=Page[PreferencePublic],
)
def list_preferences(
    session: SessionDep, practitioner: PractitionerInReach, page: PageDep
) -> Page[PreferencePublic]:
    """The practitioner's preferences: weekdays first, then dates."""
    rows, total = service.list_preferences(session, practitioner=practitioner, page=page)
    items = [PreferencePublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/preferences/{preference_id}", summary="Read a preference", response_model=PreferencePublic
)
def read_preference(
    session: SessionDep, practitioner: PractitionerInReach, preference_id: EntityId
) -> PreferencePublic:
    """One preference."""
    preference = service.get_preference(
        session, practitioner=practitioner, preference_id=preference_id
    )
    return PreferencePublic.model_validate(preference)


@router.delete(
    "/preferences/{preference_id}",
    summary="Withdraw a preference",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_preference(
    session: SessionDep, practitioner: PractitionerInReach, preference_id: EntityId
) -> None:
    """Withdraw a preference."""
    service.delete_preference(session, practitioner=practitioner, preference_id=preference_id)
