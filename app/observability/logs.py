"""Log lines as one JSON object each (or plain text for development), with the request id.

Every line carries ``ts``, ``level``, ``logger``, ``message`` and, inside a request, its
``request_id``; the access line of each request adds the fields of :data:`ACCESS_FIELDS`.
Nothing here logs a URL, a header or a body: a token, a patient field or a message text
never reaches a log line through this module.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Literal

from app.observability.context import current_request_id

ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "cpts_id")
"""Fields an access line carries (given as ``extra=``)."""

QUIET_LOGGERS = ("httpx", "httpcore")
"""Libraries whose lines go out at warning and above only."""

LogFormat = Literal["json", "text"]


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as compact JSON; an exception's traceback under ``exc``."""
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None:
            line["request_id"] = request_id
        for field in ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value…`` for a developer's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        """The record on one line, access fields appended."""
        request_id = getattr(record, "request_id", None) or current_request_id()
        fields = " ".join(
            f"{field}={getattr(record, field)}"
            for field in ACCESS_FIELDS
            if getattr(record, field, None) is not None
        )
        text = f"{self.formatTime(record)} {record.levelname} {record.name}"
        if request_id:
            text += f" [{request_id}]"
        text += f" {record.getMessage()}" + (f" {fields}" if fields else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(*, level: str, log_format: LogFormat) -> None:
    """Send every logger's lines to stderr in ``log_format`` at ``level`` (uvicorn's too:
    the server is started without a logging configuration of its own)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "cpts_snp", False):
            root.removeHandler(existing)
    handler.cpts_snp = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # the access line is ours
    for chatty in QUIET_LOGGERS:  # their info lines name URLs: a webhook's may hold a secret
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
