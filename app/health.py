"""Liveness and readiness probes (no authentication)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness probe")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness probe (database reachable)",
    responses={503: {"description": "database unreachable or not migrated"}},
)
def readyz(request: Request) -> JSONResponse:
    """The process can reach its database, and the database has its schema."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    try:
        with factory() as session:
            session.execute(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError:
        return JSONResponse(status_code=503, content={"status": "database unreachable"})
    return JSONResponse(content={"status": "ok"})
