"""Bearer-token authentication, the current principal and role checks."""

import hashlib
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import read
from app.errors import Forbidden, Unauthorized, Unavailable, raises
from app.observability.context import note_cpts
from app.revocation import NOTICE, Freshness
from app.users.models import ApiToken, Role, User

TOKEN_PREFIX = "snp_"
PRINCIPAL_CACHE_SIZE = 10_000

bearer_scheme = HTTPBearer(auto_error=False, description="API token issued by the coordinator")


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
    """Tokens this process resolved, trusted while the process's freshness stamp is unchanged.

    Every committed change to users or tokens changes the stamp of every process before the
    change is answered (see ``app.revocation``), so a revoked token or a deactivated user is
    refused everywhere from then on, while a valid token costs no database round trip.
    """

    def __init__(self, freshness: Freshness | None = None) -> None:
        self.freshness = freshness or Freshness()
        self._entries: dict[str, tuple[Principal, object]] = {}
        self._lock = threading.Lock()

    def stamp(self) -> object | None:
        """Read before resolving a token from the database, then given to :meth:`put`."""
        return self.freshness.stamp()

    def get(self, token_hash: str) -> Principal | None:
        """The cached principal of a token, if nothing changed since it was resolved."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        stamp = self.freshness.stamp()
        return entry[0] if stamp is not None and entry[1] == stamp else None

    def put(self, token_hash: str, principal: Principal, stamp: object | None) -> None:
        """Remember a token resolved from the database after ``stamp`` was read."""
        if stamp is None:
            return
        with self._lock:
            if len(self._entries) >= PRINCIPAL_CACHE_SIZE:
                self._entries.clear()
            self._entries[token_hash] = (principal, stamp)

    async def after_commit(self, session: Session) -> None:
        """Hold a write's answer until every process has heard of its auth change."""
        if NOTICE in session.info:
            await run_in_threadpool(self.freshness.after_commit, session)


def _resolve(factory: sessionmaker[Session], token_hash: str) -> Principal:
    """Read a token's principal in a short transaction of its own: the connection goes back
    to the pool at once, whatever the request does next (a search needs none)."""
    return read(factory, partial(_principal_of, token_hash=token_hash))


def _principal_of(session: Session, token_hash: str) -> Principal:
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


def token_principal(
    cache: PrincipalCache, factory: sessionmaker[Session], token_hash: str
) -> Principal:
    """The principal of a token: from the cache while fresh, else read in a short
    transaction of its own (so neither a search nor a long-lived event stream holds a
    connection for it)."""
    principal = cache.get(token_hash)
    if principal is None:
        stamp = cache.stamp()
        principal = _resolve(factory, token_hash)
        cache.put(token_hash, principal, stamp)
    return principal


@raises(Unauthorized, Unavailable)
async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Resolve the bearer token to an active user, or answer 401."""
    if credentials is None:
        raise Unauthorized("missing bearer token in the Authorization header")
    cache: PrincipalCache = request.app.state.principals
    token_hash = hash_token(credentials.credentials)
    principal = cache.get(token_hash)
    if principal is None:  # a cached token costs no thread hop
        factory = request.app.state.session_factory
        principal = await run_in_threadpool(token_principal, cache, factory, token_hash)
    note_cpts(principal.cpts_id)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def ensure_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    """The principal if it has one of ``roles``; 403 otherwise."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this action needs the role: {allowed}")
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through (403 otherwise)."""

    @raises(Forbidden)
    async def check(principal: CurrentUser) -> Principal:
        return ensure_role(principal, roles)

    return check


Coordinator = Annotated[Principal, Depends(require_roles(Role.coordinator))]
CoordinatorOrPractitioner = Annotated[
    Principal, Depends(require_roles(Role.coordinator, Role.practitioner))
]
