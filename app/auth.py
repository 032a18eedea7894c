"""Bearer-token authentication, the current principal and role checks."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.users.models import ApiToken, Role

TOKEN_PREFIX = "snp_"

_bearer = HTTPBearer(auto_error=False, description="API token issued by the coordinator")


def new_token() -> str:
    """A fresh random token (256 bits); shown once, never stored in clear."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token: enough, since tokens cannot be guessed."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: their user, CPTS, role and the practitioner/pharmacy they act for."""

    user_id: int
    cpts_id: int
    role: Role
    practitioner_id: int | None
    pharmacy_id: int | None


def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Resolve the bearer token to an active user, or answer 401."""
    if credentials is None:
        raise Unauthorized("missing bearer token in the Authorization header")
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(credentials.credentials),
            ApiToken.revoked_at.is_(None),
        )
    )
    if token is None or not token.user.active:
        raise Unauthorized("unknown, revoked or inactive token")
    user = token.user
    return Principal(
        user_id=user.id,
        cpts_id=user.cpts_id,
        role=Role(user.role),
        practitioner_id=user.practitioner_id,
        pharmacy_id=user.pharmacy_id,
    )


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through (403 otherwise)."""

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs the role: {allowed}")
        return principal

    return check


Coordinator = Annotated[Principal, Depends(require_roles(Role.coordinator))]
CoordinatorOrPractitioner = Annotated[
    Principal, Depends(require_roles(Role.coordinator, Role.practitioner))
]
