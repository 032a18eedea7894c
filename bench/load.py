"""A small HTTP/1.1 keep-alive load generator on asyncio streams (bounded in time).

Lighter than a full client library, so on a 2-core machine it leaves the server as much
CPU as possible; it sends the same GET again and again and times each response.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    """Latencies (seconds) of the successful responses, and the count of failures."""

    latencies: list[float]
    failures: int
    seconds: float

    @property
    def rps(self) -> float:
        """Successful responses per second."""
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def median_ms(self) -> float:
        """p50 in milliseconds."""
        return 1000 * statistics.median(self.latencies)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, request: bytes, deadline: float, result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.failures += 1
    finally:
        writer.close()


def run_load(
    host: str, port: int, path: str, *, headers: dict[str, str], concurrency: int, seconds: float
) -> LoadResult:
    """Hit ``path`` with ``concurrency`` keep-alive connections for ``seconds``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    result = LoadResult(latencies=[], failures=0, seconds=seconds)

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(_worker(host, port, request, deadline, result) for _ in range(concurrency))
        )

    asyncio.run(main())
    return result
