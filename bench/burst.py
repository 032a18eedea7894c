"""Bursts of simultaneous bookings against `cpts-snp serve`: one winner per slot, every
other request answered fast and honestly (409, or 503 with Retry-After), never a 500 or
a hang.

    .venv/bin/python bench/burst.py [--bookings 1000] [--slots 1 50] [--processes 1]
                                    [--database-url postgresql://…]

The default database is a fresh SQLite file; pass a PostgreSQL URL to measure that instead
(the bench works in a schema of its own and drops it afterwards). The load comes from a
separate client process (httpx, asyncio) that opens every connection and sends every
booking at once, so the client never shares the server's interpreter.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine, make_session_factory
from app.schema import upgrade
from app.users.models import Role
from bench.databases import bench_database, drop_bench_schema
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

HOST = "127.0.0.1"
PORT = 8781
HANG_SECONDS = 60.0
PATIENT = {"display_name": "M. D.", "birth_year": 1984, "phone": "06 12 34 56 78"}


def prepare(url: str, slot_counts: list[int]) -> tuple[dict[str, str], list[list[int]]]:
    """A territory, a pharmacist and, per burst, its own open slots two hours from now."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    with make_session_factory(engine)() as session:
        cpts_id = make_territory(session).cpts.id
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        headers = make_user_headers(
            session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        first = datetime.now(UTC) + timedelta(hours=2)
        slots = [
            make_open_slots(session, cpts_id=cpts_id, count=count, first_start=first)
            for count in slot_counts
        ]
        session.commit()
    engine.dispose()
    return headers, slots


def serve(url: str, processes: int) -> subprocess.Popen[bytes]:
    """`cpts-snp serve` with ``processes`` uvicorn workers, once it answers."""
    cli = Path(sys.executable).with_name("cpts-snp")
    env = {**os.environ, "DATABASE_URL": url, "RUN_JOBS": "false", "LOG_LEVEL": "error"}
    command = [str(cli), "serve", "--host", HOST, "--port", str(PORT)]
    process = subprocess.Popen([*command, "--workers", str(processes)], env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://{HOST}:{PORT}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("cpts-snp serve did not start")


async def _burst(headers: dict[str, str], slot_ids: list[int], bookings: int) -> list[dict]:
    limits = httpx.Limits(max_connections=bookings, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{PORT}", limits=limits, timeout=HANG_SECONDS
    ) as client:
        burst = uuid.uuid4().hex[:8]

        async def book(n: int) -> dict:
            slot = slot_ids[n % len(slot_ids)]
            body = {"slot_id": slot, "patient": PATIENT, "reason_category": "infection"}
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/v1/referrals",
                    headers={**headers, "Idempotency-Key": f"{burst}-{n}"},
                    json=body,
                )
            except httpx.TimeoutException:
                return {"status": "hang", "slot": slot, "ms": HANG_SECONDS * 1000}
            except httpx.TransportError as exc:
                return {"status": type(exc).__name__, "slot": slot, "ms": 0.0}
            return {
                "status": response.status_code,
                "slot": slot,
                "ms": (time.perf_counter() - started) * 1000,
                "retry_after": response.headers.get("Retry-After"),
            }

        return list(await asyncio.gather(*(book(n) for n in range(bookings))))


def client_main(spec: str) -> None:
    """The load client's own process: read the burst, fire it, print the outcomes as JSON."""
    burst = json.loads(spec)
    outcomes = asyncio.run(_burst(burst["headers"], burst["slots"], burst["bookings"]))
    sys.stdout.write(json.dumps(outcomes))


def fire(headers: dict[str, str], slot_ids: list[int], bookings: int) -> list[dict]:
    """Run one burst from a separate client process."""
    spec = json.dumps({"headers": headers, "slots": slot_ids, "bookings": bookings})
    done = subprocess.run(
        [sys.executable, __file__, "--client", spec], capture_output=True, check=True
    )
    return list(json.loads(done.stdout))


def summary(outcomes: list[dict], slot_ids: list[int]) -> dict[str, object]:
    """Counts by status, latency percentiles and the one-winner-per-slot check."""
    statuses = Counter(str(o["status"]) for o in outcomes)
    latencies = sorted(o["ms"] for o in outcomes)
    winners = Counter(o["slot"] for o in outcomes if o["status"] == 201)
    no_retry_after = sum(1 for o in outcomes if o["status"] == 503 and not o["retry_after"])
    return {
        "statuses": dict(sorted(statuses.items())),
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "max": latencies[-1],
        "slots_won_twice": sum(1 for n in winners.values() if n > 1),
        "slots_won": len(winners),
        "slots": len(slot_ids),
        "503_without_retry_after": no_retry_after,
    }


def main() -> None:
    """Prepare, serve, fire each burst, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client)
        return
    url, schema = bench_database(args.database_url, "bench-burst-")
    headers, bursts = prepare(url, args.slots)
    server = serve(url, args.processes)
    results = []
    try:
        for slot_ids in bursts:
            results.append((slot_ids, summary(fire(headers, slot_ids, args.bookings), slot_ids)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_bench_schema(args.database_url, schema)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    load = os.getloadavg()[0]
    print(
        f"{args.bookings} simultaneous bookings on {backend}, {args.processes} process(es), "
        f"load average {load:.1f} before the last burst"
    )
    print("| slots | answers by status | p50 ms | p99 ms | max ms | slots won | won twice |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for slot_ids, s in results:
        counts: dict[str, int] = s["statuses"]  # type: ignore[assignment]
        statuses = ", ".join(f"{n} x {code}" for code, n in counts.items())
        print(
            f"| {len(slot_ids)} | {statuses} | {s['p50']:.0f} | {s['p99']:.0f} | {s['max']:.0f} "
            f"| {s['slots_won']} of {s['slots']} | {s['slots_won_twice']} |"
        )


if __name__ == "__main__":
    main()
