"""Request ids, JSON logs, Prometheus metrics and the request-size limit.

``current_request_id()`` names the request being served (or ``None`` outside one): it is
written on every log line and carried into the work a request enqueues.
"""

from app.observability.context import current_request_id, note_cpts

__all__ = ["current_request_id", "note_cpts"]
