"""Liveness and readiness probes (no authentication)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

router = APIRouter(tags=["health"])

RETRY_AFTER_SECONDS = 5
LIVE_WORKERS = text(
    "SELECT count(*) FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
)


@router.get("/healthz", summary="Liveness probe")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness probe (database reachable, a worker alive)",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ok"}}}},
        503: {
            "description": "database unreachable or not migrated, or (with "
            "`JOB_BACKEND=procrastinate`) no worker alive; comes with `Retry-After`",
            "content": {"application/json": {"example": {"status": "no worker alive"}}},
        },
    },
)
def readyz(request: Request) -> JSONResponse:
    """The process can reach its database, the database has its schema and, when jobs run
    on workers, at least one worker sent its heartbeat within ``WORKER_STALLED_SECONDS``."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    settings: Settings = request.app.state.settings
    try:
        with factory() as session:
            session.execute(text("SELECT version_num FROM alembic_version"))
            workers = (
                session.scalar(LIVE_WORKERS, {"seconds": settings.worker_stalled_seconds})
                if settings.uses_queue
                else None
            )
    except SQLAlchemyError:
        return _unready("database unreachable")
    if workers == 0:
        return _unready("no worker alive")
    return JSONResponse(content={"status": "ok"})


def _unready(status: str) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={"status": status},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
