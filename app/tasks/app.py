"""The procrastinate App shared by the API processes (which defer) and the workers (which run).

Its tasks are registered when their modules are imported (``TASK_MODULES``, imported by the
worker). The API defers by task name inside its own database transaction, so it needs no
connection pool of the queue's; a worker gives the App a connector of its own
(:func:`connector_for`).
"""

from typing import Any

from procrastinate import App, PsycopgConnector
from sqlalchemy.engine import make_url

TASK_MODULES = ("app.tasks.solve", "app.tasks.notifications", "app.tasks.maintenance")
SOLVE_TASK = "solve_job"
SOLVE_QUEUE = "solve"
RUNTIME = "runtime"
"""Key of the :class:`~app.tasks.runtime.WorkerRuntime` in a task's ``additional_context``."""

queue = App(connector=PsycopgConnector(), import_paths=TASK_MODULES)


def conninfo(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy PostgreSQL URL (driver name dropped, query kept)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def connector_for(database_url: str, *, pool_size: int) -> PsycopgConnector:
    """A connector of the worker's own, holding at most ``pool_size`` connections."""
    options: dict[str, Any] = {"min_size": 1, "max_size": pool_size}
    return PsycopgConnector(conninfo=conninfo(database_url), **options)
