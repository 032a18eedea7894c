"""Slot search and booking under load while a worker solves, on the demo and on the
national-size dataset, side by side with a bare endpoint: one run, one table.

    .venv/bin/python -m bench.load [--postgres URL] [--national URL] [--seconds 8]
                                   [--connections 16] [--wrk-timeout 5]

Needs PostgreSQL (default: the local test server, in a schema of its own) and the national
dataset of ``bench/national.py`` (default: the ``national`` database; ``''`` skips it).
The HTTP machinery (wrk, its Lua script, servers, the bare endpoint, the demo data) is
``bench/hot_paths.py``'s.

Set-ups, one after the other, each with 1 then 2 API processes (``cpts-snp serve
--workers N``) and the bare endpoint under uvicorn with as many workers:

- *demo*: the demo territory (search as its pharmacist, 48 hours, 20 a page) and a CPTS of
  fresh open slots booked one after the other, as in ``bench/hot_paths.py``;
- *national*: the same search as a pharmacist of the national dataset's middle CPTS, and
  bookings of fresh open slots of a CPTS of the run's own added to that database (its
  tables and indexes national-size; the generated CPTS stay as they are).

Throughout, the Vénissieux month (the demo territory's month after next) is solved again and
again: with ``JOB_BACKEND=procrastinate`` (when this build has it) by one ``cpts-snp worker``
process, the API processes never solving; otherwise by one more API process, the only one
with ``RUN_JOBS=true``, which takes the solve requests. The table counts the solves finished
during each point.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import build_parser
from app.config import Settings
from app.cpts.models import Cpts
from app.db import make_engine, make_session_factory
from app.demo import DEMO_NAME
from app.schema import upgrade
from app.users.models import Role, User
from app.users.service import issue_token
from bench.databases import bench_database, drop_bench_schema
from bench.hot_paths import (
    DEFAULT_POSTGRES,
    HOST,
    SEARCH,
    UNREACHABLE,
    Point,
    Run,
    ensure_wrk,
    fresh_slots,
    load,
    prepare,
    serve_bare,
    start,
    stop,
)
from bench.national import DEFAULT_URL as DEFAULT_NATIONAL
from bench.national import middle_cpts
from tests.factories import make_pharmacy, make_territory, make_user_headers

BARE_PORT = 8850  # + workers; ports of their own, apart from bench/hot_paths.py's
DEMO_PORT = 8860
SOLVER_PORT = 8861
NATIONAL_PORT = 8862
SOLVE_SECONDS = 10.0


@dataclass(frozen=True)
class Dataset:
    """Where one set-up's searches and bookings go."""

    name: str
    url: str
    search_headers: dict[str, str]
    booking_headers: dict[str, str]
    booking_cpts_id: int


def has_procrastinate() -> bool:
    """Whether this build has the procrastinate job backend and its `cpts-snp worker`."""
    commands = build_parser().format_usage()
    return "job_backend" in Settings.model_fields and "worker" in commands


def ensure_free(port: int) -> None:
    """Refuse to start when something already listens on ``port`` (another bench run):
    its answers would be taken for this run's server's."""
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise SystemExit(f"port {port} is taken: is another bench.load running?")


def cli() -> str:
    """The `cpts-snp` command of this virtualenv."""
    return str(Path(sys.executable).with_name("cpts-snp"))


def serve(url: str, workers: int, port: int, *, backend: str, solves: bool) -> subprocess.Popen:
    """`cpts-snp serve` on ``port``; it runs solves in-process only when ``solves``."""
    env = {
        "DATABASE_URL": url,
        "LOG_LEVEL": "warning",
        "RUN_NOTIFIER": "false",
        # wrk's connections share one token: the limits stay out of reach, as in hot_paths
        "RATE_LIMIT_SEARCH_PER_TOKEN": UNREACHABLE,
        "RATE_LIMIT_BOOKING_PER_TOKEN": UNREACHABLE,
    }
    if backend == "procrastinate":
        env["JOB_BACKEND"] = "procrastinate"
    else:
        env["RUN_JOBS"] = "true" if solves else "false"
    ensure_free(port)
    command = [cli(), "serve", "--no-migrate", "--host", HOST, "--port", str(port)]
    # liveness, not readiness: no worker heart-beats in the national database
    return start([*command, "--workers", str(workers)], env, f"http://{HOST}:{port}/healthz")


class Solving:
    """Solves the demo's month after next over and over through the API, in a thread."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.headers = headers
        self.done = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self, today: date) -> None:
        """Create the month's draft and start solving it."""
        first = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        period = {"period_start": first.isoformat(), "period_end": last.isoformat()}
        created = httpx.post(f"{self.base}/v1/rotations", json=period, headers=self.headers)
        created.raise_for_status()
        self.rotation = created.json()["id"]
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._solve_once()
            except httpx.HTTPError:
                self._stop.wait(0.5)

    def _solve_once(self) -> None:
        job = httpx.post(
            f"{self.base}/v1/rotations/{self.rotation}/solve",
            json={"time_limit_s": SOLVE_SECONDS, "seed": self.done % 5},
            headers=self.headers,
            timeout=10,
        )
        if job.status_code != 202:
            self._stop.wait(0.5)
            return
        while not self._stop.is_set():
            status = httpx.get(
                f"{self.base}/v1/jobs/{job.json()['id']}", headers=self.headers, timeout=10
            ).json()["status"]
            if status in ("done", "failed"):
                self.done += status == "done"
                self.failed += status == "failed"
                return
            self._stop.wait(0.2)

    def stop(self) -> None:
        """Stop after the current solve's poll."""
        self._stop.set()
        self._thread.join(timeout=30)


def demo_dataset(url: str) -> tuple[Dataset, dict[str, str]]:
    """Seed the demo data (``bench/hot_paths.py``); the dataset and a coordinator's headers."""
    targets = prepare(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        cpts_id = session.scalars(select(Cpts.id).where(Cpts.name == DEMO_NAME)).one()
        coordinator = make_user_headers(session, cpts_id=cpts_id, role=Role.coordinator)
        session.commit()
    engine.dispose()
    dataset = Dataset(
        "demo", url, targets.search_headers, targets.booking_headers, targets.booking_cpts_id
    )
    return dataset, coordinator


def national_dataset(url: str) -> Dataset:
    """A pharmacist of the national dataset's middle CPTS, and a CPTS of this run's own in
    that database to book into (the dataset must exist: ``python -m bench.national``)."""
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        cpts_id = middle_cpts(session)
        pharmacist = session.scalars(
            select(User).where(User.cpts_id == cpts_id, User.role == Role.pharmacist.value)
        ).first()
        assert pharmacist is not None
        secret = issue_token(session, user=pharmacist, label="bench-load")[1]
        booking_cpts = make_territory(session, name=f"CPTS Bench {time.time_ns()}").cpts.id
        pharmacy = make_pharmacy(session, cpts_id=booking_cpts)
        booking = make_user_headers(
            session, cpts_id=booking_cpts, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        session.commit()
    engine.dispose()
    return Dataset("national", url, {"Authorization": f"Bearer {secret}"}, booking, booking_cpts)


@contextmanager
def servers(*processes: subprocess.Popen) -> Iterator[None]:
    """Stop ``processes`` when the block ends."""
    try:
        yield
    finally:
        for process in processes:
            stop(process)


def measure(
    run: Run, dataset: Dataset, workers: int, *, backend: str, solving: Solving
) -> list[str]:
    """Bare, search and booking at each connection count on ``dataset`` with ``workers``."""
    port = DEMO_PORT if dataset.name == "demo" else NATIONAL_PORT
    api = f"http://{HOST}:{port}"
    lines = []
    ensure_free(BARE_PORT + workers)
    api_server = serve(dataset.url, workers, port, backend=backend, solves=False)
    with servers(api_server), servers(serve_bare(workers, BARE_PORT)):
        # Warm up: each process's first search reads its snapshot, the first answers import.
        for _ in range(4 * workers):
            httpx.get(api + SEARCH, headers=dataset.search_headers, timeout=60).raise_for_status()
        for connections in run.connections:
            slots = fresh_slots(dataset.url, dataset.booking_cpts_id, run.scratch)
            before = solving.done
            bare = run.point(f"http://{HOST}:{BARE_PORT + workers}/bare", connections, {})
            search = run.point(api + SEARCH, connections, dataset.search_headers)
            booking = run.point(
                api + "/v1/referrals",
                connections,
                dataset.booking_headers,
                BOOKING_SLOTS=str(slots),
                BOOKING_RUN=f"{dataset.name}{workers}{connections}{time.time_ns()}",
            )
            solved = solving.done - before
            for name, point in (("bare", bare), ("search", search), ("booking", booking)):
                lines.append(row(dataset.name, workers, connections, name, point, bare, solved))
    return lines


def row(
    dataset: str, workers: int, connections: int, name: str, point: Point, bare: Point, solved: int
) -> str:
    """One line of the table."""
    versus = (
        "" if point is bare else f"{point.rps / bare.rps:.2f} / {point.p99_ms / bare.p99_ms:.1f}"
    )
    return (
        f"| {dataset} | {workers} | {connections} | {name} | {point.rps:,.0f} | "
        f"{point.p50_ms:.1f} | {point.p99_ms:.1f} | {versus} | {point.answers()} | "
        f"{point.socket_errors} / {point.timeouts} | {solved} |"
    )


def p99_ratios(lines: list[str]) -> list[str]:
    """National search p99 over the demo's, per process count and connection count."""
    searches = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[3] == "search":
            searches[cells[0], cells[1], cells[2]] = float(cells[6])
    verdicts = []
    for (dataset, workers, connections), p99 in sorted(searches.items()):
        demo = searches.get(("demo", workers, connections))
        if dataset == "national" and demo:
            ratio = p99 / demo
            verdict = "within" if ratio <= 1.5 else "OVER"
            verdicts.append(
                f"search p99, {workers} process(es), {connections} connections: national "
                f"{p99:.1f} ms / demo {demo:.1f} ms = {ratio:.2f} ({verdict} the 1.5 bound)"
            )
    return verdicts


def main() -> None:
    """Prepare both datasets, start the solving worker, measure every set-up, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server of the demo data")
    parser.add_argument("--national", default=DEFAULT_NATIONAL, help="'' skips it")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per point")
    parser.add_argument("--connections", type=int, nargs="+", default=[16])
    parser.add_argument("--wrk-timeout", type=float, default=5.0, help="wrk's --timeout")
    args = parser.parse_args()
    started = time.monotonic()
    load_before = load()
    backend = "procrastinate" if has_procrastinate() else "inprocess"
    url, schema = bench_database(args.postgres, "bench-load-")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
            run = Run(
                ensure_wrk(), args.seconds, args.wrk_timeout, args.connections, Path(scratch), {}
            )
            demo, coordinator = demo_dataset(url)
            datasets = [demo] + ([national_dataset(args.national)] if args.national else [])
            if backend == "procrastinate":
                solver = subprocess.Popen(
                    [cli(), "worker"],
                    env={
                        **os.environ,
                        "DATABASE_URL": url,
                        "JOB_BACKEND": "procrastinate",
                        "LOG_LEVEL": "warning",
                    },
                )
                solver_api = serve(url, 1, SOLVER_PORT, backend=backend, solves=False)
            else:
                solver_api = serve(url, 1, SOLVER_PORT, backend=backend, solves=True)
                solver = solver_api
            solving = Solving(f"http://{HOST}:{SOLVER_PORT}", coordinator)
            lines: list[str] = []
            with servers(*{solver, solver_api}):
                solving.start(datetime.now(UTC).date())
                try:
                    for dataset in datasets:
                        for workers in (1, 2):
                            lines += measure(
                                run, dataset, workers, backend=backend, solving=solving
                            )
                finally:
                    solving.stop()
    finally:
        drop_bench_schema(args.postgres, schema)
    print(
        f"\nSolving the Vénissieux month throughout: {solving.done} solves done, "
        f"{solving.failed} failed; solved by "
        + (
            "one `cpts-snp worker` (JOB_BACKEND=procrastinate)"
            if backend == "procrastinate"
            else "one extra API process with RUN_JOBS=true (JOB_BACKEND=procrastinate not in "
            "this build); the measured API processes run no solve"
        )
        + "\n"
    )
    print(
        "| dataset | API processes | connections | endpoint | req/s | p50 ms | p99 ms "
        "| vs bare: req/s, p99 | answers | socket errors / timeouts | solves during the point |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for line in lines:
        print(line)
    print()
    for verdict in p99_ratios(lines):
        print(verdict)
    print(
        f"\nwrk -t1, {args.seconds:g} s per point, --timeout {args.wrk_timeout:g}s; load average "
        f"{load_before} at the start, {load()} at the end; {time.monotonic() - started:.0f} s "
        "in all"
    )


if __name__ == "__main__":
    main()
