"""The nightly identity purge and the stale-job sweep, as periodic tasks.

The sweep is what keeps a job from staying "running" when its worker dies (killed, out of
memory, machine lost): procrastinate's tasks of workers whose heartbeat stopped are retried
(another worker takes the solve over; ``app.tasks.solve`` fails it after ``MAX_ATTEMPTS``),
and any solve whose own heartbeat went stale is failed.
"""

import asyncio
import logging
from datetime import timedelta

from procrastinate import App, JobContext
from procrastinate.exceptions import ConnectorException
from sqlalchemy.orm import Session, sessionmaker

from app.base import utcnow
from app.config import Settings
from app.db import declare_write_intent
from app.retention import purge_expired
from app.rotations.jobs import JobRunner
from app.tasks.app import queue
from app.tasks.notifications import at
from app.tasks.runtime import runtime_of

logger = logging.getLogger(__name__)

PURGE_CRON = "0 3 * * *"
SWEEP_CRON = "* * * * * */15"


@queue.periodic(cron=PURGE_CRON)
@queue.task(name="purge", pass_context=True)
def purge(context: JobContext, timestamp: int) -> int:
    """Blank patient identities past their retention and drop old live events, as
    ``cpts-snp purge`` does; returns how many referrals were purged."""
    with runtime_of(context).sessions() as session, session.begin():
        declare_write_intent(session)
        purged, _requests, _events = purge_expired(session, now=at(timestamp))
    return purged


@queue.periodic(cron=SWEEP_CRON)
@queue.task(name="sweep_stale_jobs", pass_context=True)
async def sweep_stale_jobs(context: JobContext, timestamp: int) -> int:
    """Retry the tasks of dead workers and fail stale solves; returns how many retried."""
    runtime = runtime_of(context)
    return await sweep(context.app, runtime.sessions, runtime.settings)


async def sweep(app: App, sessions: sessionmaker[Session], settings: Settings) -> int:
    """The sweep itself, on ``app``'s queue: tasks of workers silent for longer than
    ``WORKER_STALLED_SECONDS`` are retried, then solves whose heartbeat is older than
    ``JOB_STALE_SECONDS`` are failed. Returns how many tasks this sweep retried."""
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.worker_stalled_seconds
    )
    retried = 0
    for task in stalled:
        try:
            await app.job_manager.retry_job(task)
        except ConnectorException:  # another worker's sweep retried it first
            continue
        logger.warning("task %s (%s) of a dead worker is retried", task.id, task.task_name)
        retried += 1
    runner = JobRunner(sessions, stale_after=timedelta(seconds=settings.job_stale_seconds))
    failed = await asyncio.to_thread(runner.fail_stale)
    if failed:
        logger.warning("%s job(s) with a stale heartbeat failed at %s", failed, utcnow())
    return retried
