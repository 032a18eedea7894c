"""The hot paths under load from wrk: slot search, booking and a busy year's calendar feed
(full and 304), side by side with a bare FastAPI endpoint, at 1 to 256 connections.

    .venv/bin/python -m bench.hot_paths [--seconds 8] [--connections 1 4 16 64 256]
                                   [--postgres URL | --postgres ''] [--wrk-timeout 5]

Every HTTP figure comes from ``wrk`` (one thread; installed with apt-get when missing), a
compiled client that does not share the server's interpreter. Three set-ups, one after the
other: SQLite with one process, then PostgreSQL (default: the local test server; ``''``
skips it) with one and with two processes (``cpts-snp serve --workers N``); the bare
endpoint (``bench/bare_app.py``) runs under uvicorn with the same number of workers.

The data: the demo territory with its rotation published from today (the search, as one
of its pharmacists, 48 hours ahead, 20 offers a page); a second CPTS with fresh open slots
that one pharmacist books one after the other (a new Idempotency-Key each; once every slot
is taken, bookings answer 409); a third with a GP on call two afternoons a week for a
year, two referred patients per afternoon (the feed, then the same with If-None-Match).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine, make_session_factory
from app.demo import demo_today, seed_demo
from app.schema import upgrade
from app.users.models import Role
from bench.databases import bench_database, drop_bench_schema
from bench.year_feed import busy_year_feed
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

HOST = "127.0.0.1"
API_PORT = 8791
BARE_PORT = 8792
METRICS_PORT = 8790
SEARCH = "/v1/slots?within_hours=48&limit=20"
UNREACHABLE = str(10**9)
MEASURED_ONLY = {
    "METRICS_PORT": str(METRICS_PORT),
    "RATE_LIMIT_SEARCH_PER_TOKEN": UNREACHABLE,
    "RATE_LIMIT_BOOKING_PER_TOKEN": UNREACHABLE,
    "RATE_LIMIT_FEEDS_PER_IP": UNREACHABLE,
}
"""Metrics on, and the rate limits counted but out of reach: wrk's connections share one
token and one address, and the bench measures the cost of counting, not the refusals."""
BOOKING_SLOTS = 2000
"""Open slots per practitioner, one minute apart: all within the 48 h booking window."""
BOOKING_PRACTITIONERS = 3
"""Practitioners with fresh slots per booking point: 6,000 bookings, more than a point of
8 s takes (2,000 ran out, and the cheap 409s that followed flattered the figures)."""
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ENDPOINTS = frozenset({"search", "booking", "feed"})


@dataclass(frozen=True)
class Targets:
    """What the bench asks for in one database."""

    search_headers: dict[str, str]
    booking_headers: dict[str, str]
    booking_cpts_id: int
    feed_path: str


@dataclass(frozen=True)
class Point:
    """One wrk run: throughput, latencies and answers."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    socket_errors: int
    timeouts: int

    @property
    def rps(self) -> float:
        """Answers per second."""
        return self.requests / self.seconds

    def answers(self) -> str:
        """Answers by status, e.g. ``120 x 201, 3 x 409``."""
        return ", ".join(f"{n:,} x {code}" for code, n in sorted(self.statuses.items()))


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def prepare(url: str) -> Targets:
    """Migrate, seed the demo territory, the booking CPTS and the busy year's feed."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    with make_session_factory(engine)() as session:
        tokens = seed_demo(session, today=demo_today())
        session.commit()
        booking = make_territory(session, name="CPTS Bench Orientations").cpts.id
        pharmacy = make_pharmacy(session, cpts_id=booking)
        booking_headers = make_user_headers(
            session, cpts_id=booking, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        feed_path = busy_year_feed(session, now=datetime.now(UTC))
        session.commit()
    engine.dispose()
    return Targets(
        search_headers={"Authorization": f"Bearer {tokens.pharmacist}"},
        booking_headers=booking_headers,
        booking_cpts_id=booking,
        feed_path=feed_path,
    )


def fresh_slots(url: str, cpts_id: int, directory: Path) -> Path:
    """Open slots bookable now, one minute apart, listed in a file for wrk."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        first = datetime.now(UTC) + timedelta(hours=1)
        ids = [
            slot_id
            for _ in range(BOOKING_PRACTITIONERS)
            for slot_id in make_open_slots(
                session, cpts_id=cpts_id, count=BOOKING_SLOTS, first_start=first
            )
        ]
    engine.dispose()
    path = directory / f"slots-{uuid.uuid4().hex[:8]}.txt"
    path.write_text("\n".join(map(str, ids)) + "\n")
    return path


def start(command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen[bytes]:
    """Start a server and wait until ``probe`` answers 200."""
    process = subprocess.Popen(command, env={**os.environ, **env})
    for _ in range(600):
        try:
            if httpx.get(probe).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`start`."""
    process.terminate()
    process.wait(timeout=30)


def serve_api(url: str, workers: int) -> subprocess.Popen[bytes]:
    """`cpts-snp serve` with ``workers`` processes, background work off."""
    cli = Path(sys.executable).with_name("cpts-snp")
    env = {"DATABASE_URL": url, "RUN_JOBS": "false", "LOG_LEVEL": "warning", **MEASURED_ONLY}
    command = [str(cli), "serve", "--host", HOST, "--port", str(API_PORT)]
    return start([*command, "--workers", str(workers)], env, f"http://{HOST}:{API_PORT}/readyz")


def serve_bare(workers: int, base_port: int = BARE_PORT) -> subprocess.Popen[bytes]:
    """The bare endpoint under uvicorn, ``workers`` processes, on port ``base_port + workers``."""
    port = str(base_port + workers)
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", HOST]
    command += ["--port", port, "--workers", str(workers), "--log-level", "warning"]
    return start(command, {}, f"http://{HOST}:{port}/bare")


def wrk(
    binary: str,
    url: str,
    *,
    connections: int,
    seconds: float,
    timeout: float,
    headers: dict[str, str],
    env: dict[str, str] | None = None,
) -> Point:
    """One wrk run of ``seconds`` with ``connections`` keep-alive connections."""
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s"]
    command += ["-s", str(WRK_SCRIPT), url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    return Point(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        statuses=raw["statuses"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"],
        timeouts=raw["timeout"],
    )


def row(connections: int, name: str, point: Point, bare: Point | None) -> str:
    """One line of a result table."""
    versus = (
        f"{point.rps / bare.rps:.2f} / {point.p99_ms / bare.p99_ms:.1f}" if bare is not None else ""
    )
    return (
        f"| {connections} | {name} | {point.rps:,.0f} | {point.p50_ms:.1f} | {point.p99_ms:.1f} "
        f"| {versus} | {point.answers()} | {point.socket_errors} / {point.timeouts} |"
    )


@dataclass
class Run:
    """The settings of the whole bench run and the bare endpoint's points, by workers."""

    binary: str
    seconds: float
    timeout: float
    connections: list[int]
    scratch: Path
    bare: dict[tuple[int, int], Point]
    endpoints: frozenset[str] = ENDPOINTS

    def point(self, url: str, connections: int, headers: dict[str, str], **env: str) -> Point:
        """wrk against ``url`` with this run's settings."""
        return wrk(
            self.binary,
            url,
            connections=connections,
            seconds=self.seconds,
            timeout=self.timeout,
            headers=headers,
            env=env,
        )

    def bare_point(self, workers: int, connections: int) -> Point:
        """The bare endpoint with ``workers`` processes, measured once per run."""
        if (workers, connections) not in self.bare:
            url = f"http://{HOST}:{BARE_PORT + workers}/bare"
            self.bare[workers, connections] = self.point(url, connections, {})
        return self.bare[workers, connections]


def measure(run: Run, url: str, targets: Targets, workers: int) -> list[str]:
    """Every endpoint at every connection count, on one database with ``workers``."""
    api = f"http://{HOST}:{API_PORT}"
    lines = []
    servers = [serve_api(url, workers), serve_bare(workers)]
    try:
        feed = httpx.get(api + targets.feed_path)
        feed.raise_for_status()
        etag = {"If-None-Match": feed.headers["etag"]}
        for connections in run.connections:
            bare = run.bare_point(workers, connections)
            points: list[tuple[str, Point, Point | None]] = [("bare", bare, None)]
            if "search" in run.endpoints:
                search = run.point(api + SEARCH, connections, targets.search_headers)
                points.append(("search", search, bare))
            if "booking" in run.endpoints:
                slots = fresh_slots(url, targets.booking_cpts_id, run.scratch)
                booking = run.point(
                    api + "/v1/referrals",
                    connections,
                    targets.booking_headers,
                    BOOKING_SLOTS=str(slots),
                    BOOKING_RUN=uuid.uuid4().hex[:12],
                )
                points.append(("booking", booking, bare))
            if "feed" in run.endpoints:
                points.append(
                    ("feed 200", run.point(api + targets.feed_path, connections, {}), bare)
                )
                points.append(
                    ("feed 304", run.point(api + targets.feed_path, connections, etag), bare)
                )
            lines += [row(connections, name, point, versus) for name, point, versus in points]
    finally:
        for server in servers:
            stop(server)
    return lines


def table(title: str, lines: list[str]) -> None:
    """Print one set-up's table."""
    print(f"\n{title}\n")
    print(
        "| connections | endpoint | req/s | p50 ms | p99 ms | vs bare: req/s, p99 "
        "| answers | socket errors / timeouts |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for line in lines:
        print(line)


def main() -> None:
    """Prepare each database, serve, load every endpoint, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per point")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4, 16, 64, 256])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="'' skips PostgreSQL")
    parser.add_argument("--wrk-timeout", type=float, default=5.0, help="wrk's --timeout")
    parser.add_argument(
        "--endpoints", nargs="+", choices=sorted(ENDPOINTS), default=sorted(ENDPOINTS)
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="PostgreSQL's process counts"
    )
    args = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch:
        run = Run(
            ensure_wrk(),
            args.seconds,
            args.wrk_timeout,
            args.connections,
            Path(scratch),
            {},
            frozenset(args.endpoints),
        )
        setups: list[tuple[str, str | None, list[int]]] = [("SQLite", None, [1])]
        if args.postgres:
            setups.append(("PostgreSQL", args.postgres, args.workers))
        for name, database, worker_counts in setups:
            url, schema = bench_database(database, "bench-http-")
            try:
                targets = prepare(url)
                for workers in worker_counts:
                    lines = measure(run, url, targets, workers)
                    table(f"{name}, {workers} process(es), load average {load()}", lines)
            finally:
                drop_bench_schema(database, schema)
    print(
        f"\nwrk -t1, {args.seconds:g} s per point, --timeout {args.wrk_timeout:g}s; "
        f"load average {' '.join(f'{x:.1f}' for x in load_before)} at the start, {load()} at "
        f"the end; {time.monotonic() - started:.0f} s in all"
    )


def load() -> str:
    """The 1, 5 and 15-minute load averages."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
