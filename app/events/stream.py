"""One open event stream: missed events replayed from the database, then live ones, with
keep-alives and a fresh check of the stream's credential, until the client leaves or its
token or session ends.

The stream holds no database connection while it waits: the replay and each check take a
pooled connection for one short query and give it back.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.types import Message

from app.auth import Principal
from app.events.broadcast import BROADCASTER, Delivery, Stream
from app.events.service import events_after

RETRY_MILLISECONDS = 3000
"""How long a browser waits before reconnecting a dropped stream."""

Check = Callable[[], Awaitable[Principal | None]]
"""Resolves the stream's credential again: its principal, or ``None`` once it has ended."""


@dataclass(frozen=True)
class Limits:
    """How often a stream checks its credential (and sends a keep-alive), and its caps."""

    keepalive_seconds: float
    per_user: int
    per_process: int


def frame(delivery: Delivery) -> str:
    """One event in the ``text/event-stream`` format."""
    data = json.dumps(delivery.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {delivery.id}\nevent: {delivery.kind}\ndata: {data}\n\n"


def open_stream(principal: Principal, limits: Limits) -> Stream:
    """Register a stream before anything is replayed, so no event falls between the two."""
    return BROADCASTER.open(
        principal.user_id, per_user=limits.per_user, per_process=limits.per_process
    )


async def events(
    request: Request, stream: Stream, after_id: int | None, check: Check, limits: Limits
) -> AsyncIterator[str]:
    """The body of a stream; it always releases its place in the broadcaster."""
    left = asyncio.create_task(_disconnected(request))
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        last = after_id or 0
        if after_id is not None:
            factory = request.app.state.session_factory
            for delivery in await run_in_threadpool(_replay, factory, stream.user_id, after_id):
                yield frame(delivery)
                last = delivery.id
        async for chunk in _live(stream, last, check, limits, left):
            yield chunk
    finally:
        left.cancel()
        BROADCASTER.close(stream)


async def _live(
    stream: Stream, last: int, check: Check, limits: Limits, left: "asyncio.Task[None]"
) -> AsyncIterator[str]:
    next_check = time.monotonic() + limits.keepalive_seconds
    waiting: asyncio.Task[Delivery] | None = None
    try:
        while not left.done() and not stream.behind:
            waiting = waiting or asyncio.create_task(stream.queue.get())
            timeout = max(0.0, next_check - time.monotonic())
            done, _ = await asyncio.wait(
                {waiting, left}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if waiting in done:
                delivery = waiting.result()
                waiting = None
                if delivery.id > last:  # a live event the replay already sent is skipped
                    last = delivery.id
                    yield frame(delivery)
            if time.monotonic() >= next_check:
                if await check() is None:
                    return
                next_check = time.monotonic() + limits.keepalive_seconds
                yield ": keep-alive\n\n"
    finally:
        if waiting is not None:
            waiting.cancel()


async def _disconnected(request: Request) -> None:
    while True:
        message: Message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _replay(factory: sessionmaker[Session], user_id: int, after_id: int) -> list[Delivery]:
    with factory() as session:
        return events_after(session, user_id, after_id)
