"""Domain errors carrying their HTTP status, and the one place that renders errors."""

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = {429: 3600, 503: 1}
"""How long a client should wait before retrying, by status (sent as ``Retry-After``)."""
UNAVAILABLE_SQLSTATES = frozenset({"42P01", "3F000", "3D000"})
"""PostgreSQL: undefined table, schema or database (the schema or the base is gone)."""


class DomainError(Exception):
    """An expected failure with a status, a stable code and a human message."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None
    """Seconds sent as ``Retry-After`` instead of the status's default, when set."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    """The database is busy, saturated or unreachable: retry shortly (with ``Retry-After``)."""

    status = 503
    code = "unavailable"


class TooManyRequests(DomainError):
    """Too many requests of one kind from one caller: retry after ``retry_after`` seconds
    (by default the status's ``Retry-After``)."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class HardRuleBroken(Conflict):
    """A roster change that breaks a hard on-call rule (unless forced with a reason)."""

    code = "hard_rule_violated"


class RuleViolation(DomainError):
    """A request that is well-formed but breaks a business rule."""

    status = 422
    code = "rule_violation"


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorResponse(BaseModel):
    """Shape of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "rpps: check key (last digit) does not match",
                        "fields": [
                            {"field": "rpps", "message": "check key (last digit) does not match"}
                        ],
                    }
                }
            ]
        }
    )

    error: ErrorBody


def error_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the domain errors a route may raise."""
    return {err.status: {"model": ErrorResponse, "description": err.code} for err in errors}


DependencyT = TypeVar("DependencyT", bound=Callable[..., Any])
DEPENDENCY_ERRORS: dict[Callable[..., Any], tuple[type[DomainError], ...]] = {}


def raises(*errors: type[DomainError]) -> Callable[[DependencyT], DependencyT]:
    """Declare the errors a dependency may raise: every route using it documents them."""

    def register(dependency: DependencyT) -> DependencyT:
        DEPENDENCY_ERRORS[dependency] = errors
        return dependency

    return register


def retry_after(status: int) -> dict[str, str]:
    """The ``Retry-After`` header an answer of this status carries (none for most)."""
    seconds = RETRY_AFTER_SECONDS.get(status)
    return {} if seconds is None else {"Retry-After": str(seconds)}


def _render(status: int, body: ErrorBody, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content=ErrorResponse(error=body).model_dump(),
        headers={**retry_after(status), **(headers or {})},
    )


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means busy, saturated or unreachable (503), not a bug."""
    if isinstance(exc, PoolTimeout | OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, ProgrammingError):
        return getattr(exc.orig, "sqlstate", None) in UNAVAILABLE_SQLSTATES
    return False


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ")


def _page(request: Request, status: int, code: str) -> Response | None:
    """Routes that serve HTML pages render their own error page (``render_error``)."""
    render = getattr(request.scope.get("route"), "render_error", None)
    return None if render is None else render(request, status, code)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    page = _page(request, exc.status, exc.code)
    if page is not None:
        return page
    fields = [FieldError(field=exc.field, message=exc.message)] if exc.field else []
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    body = ErrorBody(code=exc.code, message=exc.message, fields=fields)
    return _render(exc.status, body, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    page = _page(request, 422, "validation_error")
    if page is not None:
        return page
    fields = [
        FieldError(field=_field_path(tuple(e["loc"])), message=_clean_message(e["msg"]))
        for e in exc.errors()
    ]
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields)
    return _render(422, ErrorBody(code="validation_error", message=summary, fields=fields))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors the framework raises itself: unknown route (404), method (405), unreadable body."""
    assert isinstance(exc, HTTPException)
    status = HTTPStatus(exc.status_code)
    if status == HTTPStatus.NOT_FOUND:
        message = f"no route {request.url.path}"
    elif status == HTTPStatus.METHOD_NOT_ALLOWED:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    return _render(exc.status_code, ErrorBody(code=code, message=message), exc.headers)


async def _integrity_error(request: Request, exc: Exception) -> Response:
    logger.warning("integrity error reached the handler: %s", exc)
    page = _page(request, 409, "conflict")
    if page is not None:
        return page
    return _render(
        409, ErrorBody(code="conflict", message="the request conflicts with existing data")
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    if not is_unavailable(exc):
        return await _unexpected_error(request, exc)
    logger.warning("database unavailable: %s", (str(exc).splitlines() or [""])[0])
    page = _page(request, Unavailable.status, Unavailable.code)
    if page is not None:
        return page
    message = "the database is busy or unreachable; retry shortly"
    return _render(Unavailable.status, ErrorBody(code=Unavailable.code, message=message))


async def _stale_data_error(_request: Request, exc: Exception) -> JSONResponse:
    """A row this request updates or deletes was removed by a concurrent request meanwhile."""
    logger.warning("concurrent change reached the handler: %s", exc)
    message = "the data changed while this request ran (another request changed it): retry"
    return _render(409, ErrorBody(code="conflict", message=message))


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error", exc_info=exc)
    page = _page(request, 500, "internal_error")
    if page is not None:
        return page
    return _render(500, ErrorBody(code="internal_error", message="internal error"))


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one JSON error shape; clients never see a traceback."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_data_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
