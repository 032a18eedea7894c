"""The request being served, as a context variable set by the request middleware."""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
"""An incoming ``X-Request-ID`` is kept when it is this sane; else a new id is made."""


@dataclass
class RequestInfo:
    """What the request's log line says besides the HTTP facts; mutable, so a dependency
    running in a worker thread (a copy of the context) still fills in the CPTS."""

    request_id: str
    cpts_id: int | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("request_info", default=None)


def new_request_id() -> str:
    """A fresh random request id (96 bits, 24 hex digits)."""
    return secrets.token_hex(12)


def accepted_request_id(incoming: str | None) -> str:
    """The caller's ``X-Request-ID`` when sane (1 to 128 letters, digits, ``._:/+=-``),
    else a new one: a request id never carries spaces, quotes or control characters into logs."""
    if incoming is not None and REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return new_request_id()


def begin_request(request_id: str) -> RequestInfo:
    """Make ``request_id`` the current request's id (in this context and its copies)."""
    info = RequestInfo(request_id)
    _current.set(info)
    return info


@contextmanager
def carried_request(request_id: str | None) -> Iterator[None]:
    """Within the block, ``request_id`` (that of the request which enqueued the work being
    done, if any) is the current one: a worker's log lines carry it."""
    if request_id is None:
        yield
        return
    token = _current.set(RequestInfo(request_id))
    try:
        yield
    finally:
        _current.reset(token)


def current_request() -> RequestInfo | None:
    """The request being served, if any."""
    return _current.get()


def current_request_id() -> str | None:
    """The id of the request being served (echoed in its ``X-Request-ID``), or ``None``."""
    info = _current.get()
    return None if info is None else info.request_id


def note_cpts(cpts_id: int) -> None:
    """Record the CPTS the current request acts for, for its log line."""
    info = _current.get()
    if info is not None:
        info.cpts_id = cpts_id
