"""Application factory: settings, database, routers and error handling."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from app import health
from app.auth import PrincipalCache
from app.availability.router import router as availability_router
from app.care_requests.router import router as care_requests_router
from app.checkpoints import WalCheckpointer
from app.competences.router import router as competences_router
from app.config import Settings, get_settings
from app.coverage.router import router as coverage_router
from app.cpts.router import router as cpts_router
from app.db import (
    PoolLimits,
    background_limits,
    make_engine,
    make_session_factory,
    normalise_url,
    write_gate,
    writer_sessions,
)
from app.docs import install_docs
from app.errors import install_error_handlers
from app.events.router import router as events_router
from app.events.service import channel_name, relay_notice
from app.feeds.cache import FeedCache
from app.feeds.router import router as feeds_router
from app.messaging.router import router as messaging_router
from app.notifications.router import router as notifications_router
from app.notifications.worker import NotificationWorker
from app.observability.logs import setup_logging
from app.observability.middleware import RequestMiddleware, RequestOptions
from app.openapi import install_openapi
from app.pharmacies.router import router as pharmacies_router
from app.practitioners.router import router as practitioners_router
from app.ratelimits.limiter import LimitSync, RateLimiter
from app.referrals.router import router as referrals_router
from app.revocation import EpochFile, Freshness, NotifyListener, epoch_path
from app.rotations.jobs import JobRunner
from app.rotations.oncall_router import router as oncall_router
from app.rotations.router import router as rotations_router
from app.rotations.swap_router import router as swap_router
from app.signin.router import router as signin_router
from app.slots.router import router as slots_router
from app.slots.search import OpenSlotCache
from app.stats.router import router as stats_router
from app.tasks.dispatch import send_jobs_to_workers
from app.users.router import router as users_router
from app.web import (
    competence_pages,
    coordination_build_pages,
    coordination_change_pages,
    coordination_month_pages,
    directory_pages,
    indicator_pages,
    map_pages,
    message_pages,
    pharmacy_pages,
    planning_pages,
    practitioner_admin_pages,
    practitioner_pages,
    request_pages,
    signin_pages,
    territory_pages,
    user_admin_pages,
)
from app.web.templating import STATIC_DIR

LISTENER_START_SECONDS = 5.0

DESCRIPTION = """Unscheduled-care (SNP) on-call service for a French CPTS.

Every route but `/healthz`, `/readyz` and the `/ical/…` calendar feeds (whose URL carries a
secret token) needs `Authorization: Bearer <token>`.
Errors always come as `{"error": {"code", "message", "fields": [{"field", "message"}]}}`.
"""


def _notifier(settings: Settings, factory: sessionmaker[Session]) -> NotificationWorker | None:
    """The in-process delivery worker, unless background work or the notifier is off here
    (or workers deliver: ``JOB_BACKEND=procrastinate``)."""
    if not (settings.run_jobs and settings.run_notifier) or settings.uses_queue:
        return None
    return NotificationWorker(factory, settings)


def _runner(settings: Settings, factory: sessionmaker[Session]) -> JobRunner | None:
    """The in-process solve runner, unless background work is off here or workers solve."""
    if not settings.run_jobs or settings.uses_queue:
        return None
    return JobRunner(
        factory,
        grace_seconds=settings.solver_grace_seconds,
        stale_after=timedelta(seconds=settings.job_stale_seconds),
    )


def _use_database(
    app: FastAPI, factory: sessionmaker[Session], limits: PoolLimits, settings: Settings
) -> None:
    if settings.uses_queue:
        send_jobs_to_workers(factory)
    app.state.session_factory = factory
    app.state.writer_sessions = writer_sessions(factory)
    app.state.write_gate = write_gate(factory, limits)


def freshness_of(engine: Engine) -> Freshness:
    """How this process hears that users or tokens changed (see ``app.revocation``); on
    PostgreSQL its listener also relays the live events written by every process."""
    if engine.dialect.name == "postgresql":
        listener = NotifyListener(engine.url, relays=[(channel_name, relay_notice)])
        listener.wait_connected(timeout=LISTENER_START_SECONDS)
        return listener
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return EpochFile(epoch_path(database))
    return Freshness()


def _checkpointer(url: str) -> WalCheckpointer | None:
    """For a SQLite file, the thread that checkpoints its log off the requests' path (see
    ``app.checkpoints``); nothing for PostgreSQL or an in-memory database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return WalCheckpointer(parsed.database)


def _background_engine(engine: Engine, url: str, limits: PoolLimits) -> Engine:
    """The engine of solve jobs and deliveries: on SQLite one of its own that waits longer
    for the write lock (see ``background_limits``); elsewhere the requests' engine."""
    if engine.dialect.name != "sqlite":
        return engine
    return make_engine(url, limits=background_limits(limits))


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the API; tests pass their own session factory, the server builds one."""
    app = build_app()
    configure(app, settings or get_settings(), session_factory)
    return app


def configure(
    app: FastAPI, settings: Settings, session_factory: sessionmaker[Session] | None = None
) -> None:
    """Give ``app`` its settings and fresh state: empty caches, and the database (built from
    the settings at startup unless ``session_factory`` is given). Configuring an app again
    forgets all it held, so the tests configure one built app afresh for each test."""
    setup_logging(level=settings.log_level, log_format=settings.log_format)
    app.state = State()
    app.state.settings = settings
    app.state.request_options = RequestOptions(
        max_body_bytes=settings.max_body_bytes, metrics=settings.metrics_port is not None
    )
    app.state.own_database = session_factory is None
    app.state.open_slots = OpenSlotCache()
    app.state.feeds = FeedCache()
    app.state.principals = PrincipalCache()
    app.state.limiter = RateLimiter.from_settings(settings)
    if session_factory is not None:
        _use_database(app, session_factory, PoolLimits.from_settings(settings), settings)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database the app owns and start its background work; stop them after."""
    settings: Settings = app.state.settings
    engine = background_engine = checkpointer = None
    if app.state.own_database:
        limits = PoolLimits.from_settings(settings)
        checkpointer = _checkpointer(settings.database_url)
        engine = make_engine(
            settings.database_url, limits=limits, checkpoint_in_background=checkpointer is not None
        )
        _use_database(app, make_session_factory(engine), limits, settings)
        if checkpointer is not None:
            checkpointer.start()
        app.state.checkpointer = checkpointer
        app.state.principals = PrincipalCache(freshness_of(engine))
        background_engine = _background_engine(engine, settings.database_url, limits)
        background_factory = make_session_factory(background_engine)
    else:
        background_factory = app.state.session_factory
    runner = _runner(settings, background_factory)
    if runner is not None:
        runner.start()
    notifier = _notifier(settings, background_factory)
    if notifier is not None:
        notifier.start()
    limit_sync = None
    if app.state.own_database:  # tests sync the limits themselves, on their transaction
        interval = settings.rate_limit_sync_seconds
        limit_sync = LimitSync(app.state.limiter, background_factory, interval=interval)
        limit_sync.start()
    yield
    if limit_sync is not None:
        limit_sync.stop()
    if notifier is not None:
        notifier.stop()
    if runner is not None:
        runner.stop()
    app.state.principals.freshness.stop()
    if checkpointer is not None:
        checkpointer.stop()
    if background_engine is not None and background_engine is not engine:
        background_engine.dispose()
    if engine is not None:
        engine.dispose()


def build_app() -> FastAPI:
    """The API's routes, error handlers and documentation, to :func:`configure` before use.
    FastAPI analyses an app's routes on their first requests: one built app saves that."""
    app = FastAPI(
        title="cpts-snp",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(RequestMiddleware)
    install_docs(app)
    install_openapi(app)
    for router in (  # the hot paths first: a request is matched against the routes in order
        slots_router,
        referrals_router,
        feeds_router,
        health.router,
        cpts_router,
        users_router,
        signin_router,
        practitioners_router,
        competences_router,
        pharmacies_router,
        availability_router,
        coverage_router,
        rotations_router,
        swap_router,
        oncall_router,
        messaging_router,
        care_requests_router,
        notifications_router,
        events_router,
        stats_router,
        signin_pages.router,
        pharmacy_pages.router,
        practitioner_pages.router,
        message_pages.router,
        request_pages.router,
        planning_pages.router,
        coordination_month_pages.router,
        coordination_build_pages.router,
        coordination_change_pages.router,
        competence_pages.router,
        practitioner_admin_pages.router,
        territory_pages.router,
        user_admin_pages.router,
        indicator_pages.router,
        map_pages.router,
        directory_pages.router,
    ):
        app.include_router(router)
    app.mount("/static/web", StaticFiles(directory=STATIC_DIR), name="web-static")
    return app
