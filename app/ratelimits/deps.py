"""The rate-limit dependencies of the routes: per token, or per IP address for anonymous
routes. Each declares its 429 for the OpenAPI document (``app.errors.raises``)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from app.auth import CurrentUser, Principal, bearer_scheme, current_principal, ensure_role
from app.errors import Forbidden, TooManyRequests, Unauthorized, Unavailable, raises
from app.observability.metrics import RATE_LIMITED
from app.ratelimits.limiter import Family, RateLimiter
from app.users.models import Role
from app.web.deps import client_ip


def _check(request: Request, family: Family, caller: str) -> None:
    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.hit(family, caller)
    if wait is not None:
        RATE_LIMITED.labels(family.value).inc()
        raise TooManyRequests(
            f"too many {family.value} requests; retry in {wait} s", retry_after=wait
        )


def per_token(family: Family) -> Callable[..., Awaitable[None]]:
    """A dependency counting the request against its bearer token's ``family`` budget
    (after authentication: an unknown token gets 401, not 429)."""

    @raises(TooManyRequests)
    async def limit(
        request: Request,
        _principal: CurrentUser,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> None:
        if credentials is not None:
            _check(request, family, credentials.credentials)

    return limit


def budgeted_caller(family: Family, *roles: Role) -> Callable[..., Awaitable[Principal]]:
    """For a busy route, one dependency in place of three (authentication, role check and
    :func:`per_token`): the caller's principal, if it has one of ``roles``, once its request
    is counted against its token's ``family`` budget. FastAPI resolves every dependency
    anew at each request, a large part of a cached search's cost."""

    @raises(Unauthorized, Unavailable, Forbidden, TooManyRequests)
    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> Principal:
        principal = ensure_role(await current_principal(request, credentials), roles)
        if credentials is not None:
            _check(request, family, credentials.credentials)
        return principal

    return caller


def per_ip(family: Family) -> Callable[..., Awaitable[None]]:
    """A dependency counting the request against its client address's ``family`` budget."""

    @raises(TooManyRequests)
    async def limit(request: Request) -> None:
        _check(request, family, client_ip(request))

    return limit
