"""A Server-Sent Events client for tests: reads a stream in a thread, events in a queue."""

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    """One event as the stream sent it, and when it arrived (``time.monotonic()``)."""

    id: int
    kind: str
    data: str
    at: float


class SseClient:
    """``GET`` a stream until closed; ``status`` once the answer's head has arrived."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._events: queue.Queue[SseEvent] = queue.Queue()
        self.status: int | None = None
        self.headers: httpx.Headers = httpx.Headers()
        self.comments: list[str] = []
        self.ended = threading.Event()
        self._closing = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, kwargs), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the stream did not answer"

    def next(self, timeout: float = 2.0) -> SseEvent:
        """The next event (fails the test when none comes in time)."""
        return self._events.get(timeout=timeout)

    def pending(self, wait: float) -> list[SseEvent]:
        """Every event that arrives within ``wait`` seconds."""
        time.sleep(wait)
        got = []
        while not self._events.empty():
            got.append(self._events.get_nowait())
        return got

    def close(self) -> None:
        """Hang up (at the next line the server sends: keep streams' keep-alives short)."""
        self._closing.set()
        self._thread.join(timeout=5)
        self._client.close()

    def _run(self, url: str, kwargs: dict[str, Any]) -> None:
        try:
            with self._client.stream("GET", url, **kwargs) as response:
                self.status, self.headers = response.status_code, response.headers
                self._opened.set()
                if response.status_code == 200:
                    self._read(response)
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test, or by the server
        finally:
            self._opened.set()
            self.ended.set()

    def _read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if self._closing.is_set():
                return
            if line.startswith(":"):
                self.comments.append(line)
            elif line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif "event" in fields:
                self._events.put(
                    SseEvent(int(fields["id"]), fields["event"], fields["data"], time.monotonic())
                )
                fields = {}
            else:
                fields = {}
