"""HTTP routes for who is on call (and next), and replacement suggestions for a shift."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth import Coordinator, CurrentUser
from app.clock import NowDep
from app.db import SessionDep
from app.errors import Conflict, NotFound, RuleViolation, error_responses
from app.professions import Profession
from app.rotations import oncall
from app.rotations.oncall_schemas import OnCallPublic, SuggestionsPublic
from app.types import EntityId, Instant

router = APIRouter(prefix="/v1")


@router.get(
    "/on-call",
    summary="Who is on call now, and next",
    response_model=OnCallPublic,
    responses=error_responses(RuleViolation),
    tags=["on-call"],
)
def on_call(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    at: Annotated[
        Instant | None,
        Query(description="Instant with its UTC offset, e.g. 2027-01-12T15:00:00+01:00"),
    ] = None,
    profession: Profession | None = None,
    sector_id: Annotated[
        EntityId | None, Query(description="Shifts of this sector and territory-wide ones")
    ] = None,
) -> OnCallPublic:
    """Who is on call at ``at`` (default now) and who is next, per profession and sector;
    times in the CPTS's timezone."""
    return oncall.on_call(
        session,
        cpts_id=user.cpts_id,
        at=at or now,
        profession=profession.value if profession else None,
        sector_id=sector_id,
    )


@router.get(
    "/rotations/{rotation_id}/suggest",
    summary="Suggest colleagues who could take a shift",
    response_model=SuggestionsPublic,
    responses=error_responses(NotFound, Conflict),
    tags=["rotations"],
)
def suggest(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    shift: Annotated[EntityId, Query(description="Id of the shift to replace")],
) -> SuggestionsPublic:
    """Colleagues who could take the shift without breaking a hard rule (coordinator):
    most rest around the day first, then least loaded, then name; the others excluded
    with the rules they would break."""
    return oncall.suggest(session, principal=user, rotation_id=rotation_id, shift_id=shift)
