"""The request middleware: request id, body size limit, access log line and metrics.

A pure ASGI middleware (no per-request objects beyond a few closures): a request's added
cost is a clock read, a context variable and, when enabled, one log line and two counters.
"""

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from app.errors import ErrorBody, ErrorResponse
from app.observability.context import accepted_request_id, begin_request
from app.observability.metrics import REQUEST_SECONDS, REQUESTS
from app.openapi import TOO_LARGE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_logger = logging.getLogger("app.access")

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED_ROUTE = "unmatched"
"""The route label of a request no route matched (its path is never a label: a feed's
token is in its path, and labels must stay few)."""


class BodyTooLarge(Exception):
    """The request's body went past the limit while the app read it."""


def _too_large_body(limit: int) -> bytes:
    body = ErrorBody(code=TOO_LARGE, message=f"the request body exceeds {limit} bytes")
    return ErrorResponse(error=body).model_dump_json().encode()


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/slots/{slot_id}``), never the path itself."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE


class _Exchange:
    """What the middleware learns of one request while it is served."""

    __slots__ = ("read", "started", "status", "too_large")

    def __init__(self) -> None:
        self.status = 500
        self.started = False
        self.too_large = False
        self.read = 0


@dataclass(frozen=True)
class RequestOptions:
    """How the middleware treats requests: set on ``app.state.request_options`` by
    ``configure`` (read per request, so a reconfigured app takes new options)."""

    max_body_bytes: int
    metrics: bool


class RequestMiddleware:
    """Gives each HTTP request an id (``X-Request-ID``, echoed), refuses bodies over
    ``max_body_bytes`` with 413 (by ``Content-Length`` or while a chunked body is read),
    and after the answer writes its access line and counts it in the metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (other scopes pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        options: RequestOptions = scope["app"].state.request_options
        incoming = None
        declared = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        info = begin_request(accepted_request_id(incoming))
        request_id = info.request_id.encode()
        state = _Exchange()
        limit = options.max_body_bytes

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                if state.too_large:
                    return  # the app's answer to a cut-off body is replaced by the 413
                state.status = message["status"]
                state.started = True
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            elif state.too_large:
                return
            await send(message)

        async def receive_limited() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state.read += len(message.get("body", b""))
                if state.read > limit:
                    state.too_large = True
                    raise BodyTooLarge
            return message

        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                state.too_large = True
            else:
                await self.app(scope, receive_limited, send_with_id)
        except BodyTooLarge:
            pass
        except Exception:
            if not state.too_large:
                raise
        finally:
            if state.too_large and not state.started:
                state.too_large = False
                await _refuse(send_with_id, limit)
            _record(scope, info.cpts_id, state.status, started, metrics=options.metrics)


class _Series:
    """The labelled children of one (route, method, status), looked up once."""

    __slots__ = ("count", "seconds")

    def __init__(self, route: str, method: str, status: int) -> None:
        self.seconds = REQUEST_SECONDS.labels(route, method)
        self.count = REQUESTS.labels(route, method, str(status))

    def observe(self, elapsed: float) -> None:
        self.seconds.observe(elapsed)
        self.count.inc()


_SERIES: dict[tuple[str, str, int], _Series] = {}


def _series(route: str, method: str, status: int) -> _Series:
    """The series of one kind of answer (few: the route templates by methods by statuses)."""
    key = (route, method, status)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = _Series(route, method, status)
    return found


async def _refuse(send: Send, limit: int) -> None:
    body = _too_large_body(limit)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _record(
    scope: Scope, cpts_id: int | None, status: int, started: float, *, metrics: bool
) -> None:
    """The request's access line and metrics (route template, method, status, duration)."""
    elapsed = time.perf_counter() - started
    route = route_template(scope)
    method = scope["method"]
    if metrics:
        _series(route, method, status).observe(elapsed)
    if access_logger.isEnabledFor(logging.INFO):
        extra = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "cpts_id": cpts_id,
        }
        access_logger.info("request", extra=extra)
