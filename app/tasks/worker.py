"""``cpts-snp worker``: one procrastinate worker process running every task of the queue."""

import logging

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.rotations.jobs import SolveFunction
from app.tasks.app import RUNTIME, connector_for, queue
from app.tasks.runtime import WorkerRuntime

logger = logging.getLogger(__name__)

EXTRA_CONNECTIONS = 3
"""Queue connections besides one per task slot: notifications, heartbeat, periodic defers."""


def run_worker(settings: Settings, *, solve: SolveFunction | None = None) -> None:
    """Run tasks until SIGINT/SIGTERM (the running ones end first); ``solve`` replaces
    ``solver.solve`` (experiments and tests)."""
    engine = make_engine(settings.database_url)
    runtime = WorkerRuntime(settings, make_session_factory(engine))
    if solve is not None:
        runtime.solve = solve
    connector = connector_for(
        settings.database_url, pool_size=settings.worker_concurrency + EXTRA_CONNECTIONS
    )
    try:
        with queue.replace_connector(connector):
            queue.run_worker(
                concurrency=settings.worker_concurrency,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.worker_stalled_seconds,
                delete_jobs="successful",
                additional_context={RUNTIME: runtime},
            )
    finally:
        runtime.close()
        engine.dispose()
