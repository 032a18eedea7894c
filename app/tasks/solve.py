"""Solve and repair jobs: a row of the ``jobs`` table run by a worker, as the API's own
runner does with ``JOB_BACKEND=inprocess`` (same progress, heartbeat and outcome)."""

from procrastinate import JobContext

from app.observability.context import carried_request
from app.tasks.app import SOLVE_QUEUE, SOLVE_TASK, queue
from app.tasks.runtime import runtime_of

MAX_ATTEMPTS = 3
"""A job whose worker died this many times is failed instead of being tried again."""


@queue.task(name=SOLVE_TASK, queue=SOLVE_QUEUE, pass_context=True)
def solve_job(context: JobContext, *, job_id: int, request_id: str | None = None) -> None:
    """Run job ``job_id`` (solve or repair) if it is still queued; a retry (the worker of
    an earlier attempt died: see ``app.tasks.maintenance``) takes over a job left running.
    Its log lines carry ``request_id``, that of the request which queued it."""
    runtime = runtime_of(context)
    with carried_request(request_id), runtime.runner() as runner:
        if context.job.attempts >= MAX_ATTEMPTS:
            runner.give_up(
                job_id,
                error=f"interrupted: the worker running it stopped {MAX_ATTEMPTS} times",
            )
            return
        runner.run_job(job_id, resume=context.job.attempts > 0)
