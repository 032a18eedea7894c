"""Slot search under concurrent load, side by side with a bare FastAPI endpoint.

Seeds the demo territory (120 practitioners, 12 pharmacies, 3 sectors), which publishes a
four-week rotation starting today (so its slots are bookable now), then serves
the API and a bare FastAPI app with one uvicorn worker each and hits both in turn:

    .venv/bin/python bench/slots.py [--seconds 10] [--concurrency 1 4 16] [--database-url URL]

The default database is a fresh SQLite file; pass a PostgreSQL URL to measure that instead
(the bench works in a schema of its own and drops it afterwards).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from app.db import make_engine, make_session_factory
from app.demo import demo_today, seed_demo
from app.schema import upgrade
from bench.databases import bench_database, drop_bench_schema
from bench.load import LoadResult, run_load

HOST = "127.0.0.1"
SEARCH = "/v1/slots?within_hours=48&limit=20"


def prepare(url: str) -> str:
    """Seed the demo territory (published from today on); return a pharmacist token."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    factory = make_session_factory(engine)
    with factory() as session:
        tokens = seed_demo(session, today=demo_today())
        session.commit()
    engine.dispose()
    return tokens.pharmacist


def serve(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start one uvicorn worker for ``target`` and wait until it answers."""
    command = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    if target.endswith("create_app"):
        command.append("--factory")
    process = subprocess.Popen(command, env={**os.environ, **env})
    for _ in range(200):
        try:
            httpx.get(
                f"http://{HOST}:{port}/healthz"
                if "main" in target
                else f"http://{HOST}:{port}/bare"
            )
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def row(concurrency: int, name: str, result: LoadResult) -> str:
    """One line of the results table."""
    return (
        f"| {concurrency} | {name} | {len(result.latencies)} | {result.failures} "
        f"| {result.rps:,.0f} | {result.median_ms:.1f} | {result.percentile(99):.1f} |"
    )


def main() -> None:
    """Prepare, serve, load both endpoints, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url, schema = bench_database(args.database_url, "bench-slots-")
    token = prepare(url)
    env = {"DATABASE_URL": url, "RUN_JOBS": "false", "LOG_LEVEL": "warning"}
    api = serve("app.main:create_app", 8771, env)
    bare = serve("bench.bare_app:app", 8772, {})
    try:
        headers = {"Authorization": f"Bearer {token}"}
        offers = httpx.get(f"http://{HOST}:8771{SEARCH}", headers=headers).json()["items"]
        rows = []
        for concurrency in args.concurrency:
            search = run_load(
                HOST, 8771, SEARCH, headers=headers, concurrency=concurrency, seconds=args.seconds
            )
            bare_run = run_load(
                HOST, 8772, "/bare", headers={}, concurrency=concurrency, seconds=args.seconds
            )
            rows.append((concurrency, search, bare_run))
    finally:
        api.terminate()
        bare.terminate()
        drop_bench_schema(args.database_url, schema)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"slot search on {backend}: {len(offers)} offers per query (demo territory, "
        f"published 4-week rotation), {args.seconds:.0f} s per run, one uvicorn worker each"
    )
    print("| connections | endpoint | requests | failures | req/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for concurrency, search, bare_run in rows:
        print(row(concurrency, "GET /v1/slots (pharmacist)", search))
        print(row(concurrency, "bare FastAPI GET /bare", bare_run))
        print(f"| {concurrency} | ratio search/bare | | | {search.rps / bare_run.rps:.2f} | | |")
    print("targets: ratio >= 0.33, search p99 < 25 ms")


if __name__ == "__main__":
    main()
