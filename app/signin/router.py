"""HTTP route for invitations (the coordinator invites a user to the web pages)."""

from fastapi import APIRouter, Request, status

from app.auth import Coordinator
from app.clock import NowDep
from app.db import SessionDep
from app.errors import NotFound, RuleViolation, error_responses
from app.signin import service
from app.signin.schemas import InvitationCreate, InvitationPublic
from app.types import EntityId

router = APIRouter(prefix="/v1", tags=["users and tokens"])


@router.post(
    "/users/{user_id}/invitations",
    summary="Invite a user to the web pages",
    response_model=InvitationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, RuleViolation),
)
def invite_user(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    now: NowDep,
    user_id: EntityId,
    data: InvitationCreate,
) -> InvitationPublic:
    """E-mail a user a single-use link to the web pages, valid 72 h (coordinator)."""
    link = service.invite(
        session,
        principal=user,
        user_id=user_id,
        email=data.email,
        now=now,
        settings=request.app.state.settings,
    )
    return InvitationPublic.model_validate(link)
