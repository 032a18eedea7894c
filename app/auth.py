"""Bearer-token authentication, the current principal and role checks."""

import hashlib
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.users.models import ApiToken, Role, User

TOKEN_PREFIX = "snp_"
PRINCIPAL_TTL_SECONDS = 2.0
PRINCIPAL_CACHE_SIZE = 10_000

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


class PrincipalCache:
    """Tokens this process resolved in the last ``PRINCIPAL_TTL_SECONDS``.

    Any write request this process commits clears it (see ``app.db.get_session``), so here
    a revoked token or deactivated user stops working at once; another process notices
    within the TTL.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Principal | None:
        """The cached principal of a token, if still fresh."""
        entry = self._entries.get(token_hash)
        if entry is None or time.monotonic() - entry[1] > PRINCIPAL_TTL_SECONDS:
            return None
        return entry[0]

    def put(self, token_hash: str, principal: Principal) -> None:
        """Remember a resolved token."""
        with self._lock:
            if len(self._entries) >= PRINCIPAL_CACHE_SIZE:
                self._entries.clear()
            self._entries[token_hash] = (principal, time.monotonic())

    def clear(self) -> None:
        """Forget everything: users or tokens may have changed."""
        with self._lock:
            self._entries.clear()


def _resolve(session: Session, token_hash: str) -> Principal:
    row = session.execute(
        select(User.id, User.cpts_id, User.role, User.practitioner_id, User.pharmacy_id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("unknown, revoked or inactive token")
    return Principal(
        user_id=row.id,
        cpts_id=row.cpts_id,
        role=Role(row.role),
        practitioner_id=row.practitioner_id,
        pharmacy_id=row.pharmacy_id,
    )


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Resolve the bearer token to an active user, or answer 401."""
    if credentials is None:
        raise Unauthorized("missing bearer token in the Authorization header")
    cache: PrincipalCache = request.app.state.principals
    token_hash = hash_token(credentials.credentials)
    principal = cache.get(token_hash)
    if principal is None:
        principal = await run_in_threadpool(_resolve, session, token_hash)
        cache.put(token_hash, principal)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through (403 otherwise)."""

    async def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs the role: {allowed}")
        return principal

    return check


Coordinator = Annotated[Principal, Depends(require_roles(Role.coordinator))]
CoordinatorOrPractitioner = Annotated[
    Principal, Depends(require_roles(Role.coordinator, Role.practitioner))
]
