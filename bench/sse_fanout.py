"""Fan-out of one live event to many open streams of one `cpts-snp serve` process.

    .venv/bin/python bench/sse_fanout.py [--clients 200] [--rounds 5] [--database-url …]

The clients are pharmacists of one CPTS, each with one open ``GET /v1/events`` stream
(httpx, asyncio, in this process; the server is a separate process). Each round books one
slot through the API: its ``slot.taken`` event goes to every pharmacist. The latency of a
client is the time from sending the booking request to that client's receipt of the event
(so it includes the booking itself, whose round trip is reported too).
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine, make_session_factory
from app.schema import upgrade
from app.users.models import Role
from bench.databases import bench_database, drop_bench_schema
from bench.hot_paths import API_PORT, HOST, serve_api, stop
from tests.app.slot_scenarios import PATIENT
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

BASE = f"http://{HOST}:{API_PORT}"


def prepare(url: str, clients: int, rounds: int) -> tuple[list[dict[str, str]], list[int]]:
    """``clients`` pharmacists (the first books) and ``rounds`` open slots."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    with make_session_factory(engine)() as session:
        cpts_id = make_territory(session).cpts.id
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        headers = [
            make_user_headers(
                session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
            )
            for _ in range(clients)
        ]
        first = datetime.now(UTC) + timedelta(hours=2)
        slots = make_open_slots(session, cpts_id=cpts_id, count=rounds, first_start=first)
        session.commit()
    engine.dispose()
    return headers, slots


async def _listen(
    client: httpx.AsyncClient, headers: dict[str, str], ready: asyncio.Event, inbox: asyncio.Queue
) -> None:
    async with client.stream("GET", f"{BASE}/v1/events", headers=headers) as response:
        assert response.status_code == 200, response.status_code
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: slot.taken"):
                inbox.put_nowait(time.perf_counter())


async def run(headers: list[dict[str, str]], slots: list[int]) -> list[tuple[float, list[float]]]:
    """Open every stream, then book each slot in turn; per round, (booking s, latencies s)."""
    limits = httpx.Limits(max_connections=len(headers) + 10)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        inbox: asyncio.Queue[float] = asyncio.Queue()
        readies = [asyncio.Event() for _ in headers]
        tasks = [
            asyncio.create_task(_listen(client, h, ready, inbox))
            for h, ready in zip(headers, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        rounds = []
        for n, slot_id in enumerate(slots):
            body = {"slot_id": slot_id, "patient": PATIENT, "reason_category": "infection"}
            sent = time.perf_counter()
            booked = await client.post(
                f"{BASE}/v1/referrals",
                headers={**headers[0], "Idempotency-Key": f"fanout-{n}"},
                json=body,
            )
            answered = time.perf_counter()
            assert booked.status_code == 201, booked.text
            arrivals = [await asyncio.wait_for(inbox.get(), 30) for _ in headers]
            rounds.append((answered - sent, [at - sent for at in arrivals]))
            await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return rounds


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main() -> None:
    """Prepare, serve, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url, schema = bench_database(args.database_url, "bench-fanout-")
    headers, slots = prepare(url, args.clients, args.rounds)
    server = serve_api(url, 1)
    try:
        rounds = asyncio.run(run(headers, slots))
    finally:
        stop(server)
        drop_bench_schema(args.database_url, schema)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.clients} open streams on one process ({backend}), one event per round, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print("| round | booking ms | fan-out p50 ms | p99 ms | max ms |")
    print("| --- | --- | --- | --- | --- |")
    for n, (booking, latencies) in enumerate(rounds, 1):
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        row = [_ms(booking), _ms(statistics.median(ordered)), _ms(p99), _ms(ordered[-1])]
        print(f"| {n} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
