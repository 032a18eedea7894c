"""Handing a queued solve to the workers, in the transaction that queues it.

A session factory marked by :func:`send_jobs_to_workers` defers each new job to the
procrastinate queue on the session's own connection: the queue entry and the ``jobs`` row
are committed together or not at all. The task carries the id of the request that queued
it, which the worker's log lines of the solve repeat. Unmarked (``JOB_BACKEND=inprocess``),
the API's :class:`~app.rotations.jobs.JobRunner` claims the row itself.
"""

from sqlalchemy.orm import Session, sessionmaker

from app.observability import current_request_id
from app.tasks.app import SOLVE_TASK, queue

TO_WORKERS = "jobs_to_workers"


def send_jobs_to_workers(factory: sessionmaker[Session]) -> None:
    """Make the sessions of ``factory`` defer their new jobs to the workers."""
    factory.configure(info={**(factory.kw.get("info") or {}), TO_WORKERS: True})


def dispatch_job(session: Session, job_id: int) -> None:
    """Defer job ``job_id`` to the workers if ``session`` sends jobs there."""
    if not session.info.get(TO_WORKERS):
        return
    connection = session.connection().connection.driver_connection
    task = queue.configure_task(SOLVE_TASK, connection=connection)
    task.defer(job_id=job_id, request_id=current_request_id())
