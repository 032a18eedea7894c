"""This process's open streams and the fan-out of committed events to them.

Deliveries come from any thread (a request's commit, a job's thread, the PostgreSQL
listener); each stream's queue lives on its event loop and is fed thread-safely. A stream
that falls too far behind is ended: its client reconnects with ``Last-Event-ID`` and
replays from the database.
"""

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.errors import DomainError, Unavailable

QUEUE_SIZE = 1000


class TooManyStreams(DomainError):
    """The user already holds as many open streams as allowed."""

    status = 429
    code = "too_many_streams"
    retry_after = 5


class StreamsFull(Unavailable):
    """This process holds as many open streams as it can."""

    retry_after = 5


@dataclass(frozen=True)
class Delivery:
    """One committed event, as its recipient's streams send it."""

    id: int
    user_id: int
    kind: str
    data: dict[str, Any]


@dataclass(eq=False)
class Stream:
    """One open stream of one user: its queue on its event loop."""

    user_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    behind: bool = False

    def push(self, delivery: Delivery) -> None:
        """Queue one event (on the stream's loop); past the queue's size, end the stream."""
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self.behind = True


class Broadcaster:
    """The open streams of this process, by user, within a per-user and a per-process cap."""

    def __init__(self) -> None:
        self._streams: dict[int, set[Stream]] = {}
        self._lock = threading.Lock()

    def open(self, user_id: int, *, per_user: int, per_process: int) -> Stream:
        """Register a stream of ``user_id`` on the running loop, or refuse: 429 past the
        user's limit, 503 past the process's."""
        with self._lock:
            if self.count() >= per_process:
                raise StreamsFull(
                    "this server holds as many event streams as it can; retry shortly"
                )
            if len(self._streams.get(user_id, ())) >= per_user:
                raise TooManyStreams(
                    f"at most {per_user} open event streams per user; close one first"
                )
            stream = Stream(user_id, asyncio.get_running_loop())
            self._streams.setdefault(user_id, set()).add(stream)
            return stream

    def close(self, stream: Stream) -> None:
        """Forget a stream that ended."""
        with self._lock:
            streams = self._streams.get(stream.user_id, set())
            streams.discard(stream)
            if not streams:
                self._streams.pop(stream.user_id, None)

    def count(self) -> int:
        """How many streams are open in this process."""
        return sum(len(streams) for streams in self._streams.values())

    def deliver(self, deliveries: Iterable[Delivery]) -> None:
        """Push committed events to their recipients' open streams (from any thread)."""
        for delivery in sorted(deliveries, key=lambda d: d.id):
            with self._lock:
                streams = list(self._streams.get(delivery.user_id, ()))
            for stream in streams:
                try:
                    stream.loop.call_soon_threadsafe(stream.push, delivery)
                except RuntimeError:  # the stream's loop has closed meanwhile
                    self.close(stream)


BROADCASTER = Broadcaster()
"""The process's one broadcaster: commits and the PostgreSQL listener feed it."""
