"""HTTP routes for users and their API tokens."""

from fastapi import APIRouter, status

from app.auth import Coordinator, CurrentUser
from app.db import SessionDep
from app.errors import Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep, SearchQuery
from app.types import EntityId
from app.users import service
from app.users.models import Role
from app.users.schemas import (
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter(prefix="/v1", tags=["users and tokens"])


@router.get("/me", summary="Who am I", response_model=UserPublic)
def read_me(session: SessionDep, user: CurrentUser) -> UserPublic:
    """The calling user."""
    row = service.get_user(session, cpts_id=user.cpts_id, user_id=user.user_id)
    return UserPublic.model_validate(row)


@router.post(
    "/users",
    summary="Add a user",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation),
)
def create_user(session: SessionDep, user: Coordinator, data: UserCreate) -> UserPublic:
    """Add a coordinator, a practitioner's or a pharmacy's user (coordinator)."""
    row = service.create_user(session, cpts_id=user.cpts_id, data=data)
    return UserPublic.model_validate(row)


@router.get("/users", summary="List users", response_model=Page[UserPublic])
def list_users(
    session: SessionDep,
    user: Coordinator,
    page: PageDep,
    role: Role | None = None,
    q: SearchQuery = None,
) -> Page[UserPublic]:
    """The territory's users, optionally of one role or whose name has the words ``q``
    (coordinator)."""
    rows, total = service.list_users(session, cpts_id=user.cpts_id, role=role, page=page, q=q)
    items = [UserPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/users/{user_id}",
    summary="Read a user",
    response_model=UserPublic,
    responses=error_responses(NotFound),
)
def read_user(session: SessionDep, user: Coordinator, user_id: EntityId) -> UserPublic:
    """One user (coordinator)."""
    return UserPublic.model_validate(
        service.get_user(session, cpts_id=user.cpts_id, user_id=user_id)
    )


@router.patch(
    "/users/{user_id}",
    summary="Rename or (de)activate a user",
    response_model=UserPublic,
    responses=error_responses(NotFound),
)
def update_user(
    session: SessionDep, user: Coordinator, user_id: EntityId, data: UserUpdate
) -> UserPublic:
    """Rename or (de)activate a user (coordinator)."""
    row = service.update_user(session, cpts_id=user.cpts_id, user_id=user_id, data=data)
    return UserPublic.model_validate(row)


@router.post(
    "/users/{user_id}/tokens",
    summary="Issue an API token for a user",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound),
)
def issue_token(
    session: SessionDep, user: Coordinator, user_id: EntityId, data: TokenCreate
) -> TokenIssued:
    """Issue an API token for a user; the secret is in this response only (coordinator)."""
    target = service.get_user(session, cpts_id=user.cpts_id, user_id=user_id)
    token, secret = service.issue_token(session, user=target, label=data.label)
    return TokenIssued(**TokenPublic.model_validate(token).model_dump(), token=secret)


@router.get(
    "/users/{user_id}/tokens",
    summary="List a user's API tokens",
    response_model=Page[TokenPublic],
    responses=error_responses(NotFound),
)
def list_tokens(
    session: SessionDep, user: Coordinator, page: PageDep, user_id: EntityId
) -> Page[TokenPublic]:
    """A user's tokens, newest first, without secrets (coordinator)."""
    rows, total = service.list_tokens(session, cpts_id=user.cpts_id, user_id=user_id, page=page)
    items = [TokenPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke an API token",
    response_model=TokenPublic,
    responses=error_responses(NotFound, Forbidden),
)
def revoke_token(session: SessionDep, user: CurrentUser, token_id: EntityId) -> TokenPublic:
    """Revoke a token: the coordinator any of the CPTS, anyone their own."""
    return TokenPublic.model_validate(
        service.revoke_token(session, principal=user, token_id=token_id)
    )
