"""`cpts-snp` command line: migrate, serve, worker, notifier, create-cpts, seed-demo, purge."""

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from app import schema
from app.base import utcnow
from app.config import Settings, get_settings
from app.cpts.schemas import CptsCreate
from app.cpts.service import create_cpts
from app.db import PoolLimits, check_connection_budget, make_engine, make_session_factory
from app.demo import DemoTokens, demo_today, seed_demo
from app.events.service import RETENTION
from app.notifications.worker import NotificationWorker
from app.observability.logs import setup_logging
from app.observability.metrics import build_registry, multiprocess_directory, serve_metrics
from app.retention import purge_expired
from app.rotations.jobs import SolveFunction
from app.serving import EVENT_LOOP, HTTP_PROTOCOL
from app.supervisor import serve
from app.tasks.worker import run_worker
from app.users.models import Role
from app.users.schemas import UserCreate
from app.users.service import create_user, issue_token

ResultT = TypeVar("ResultT")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


SHUTDOWN_GRACE_SECONDS = 5
"""On stop, requests still running after this long (open event streams) are cut."""


def _in_transaction(work: Callable[[Session], ResultT]) -> ResultT:
    """Run ``work`` in one committed transaction on the configured database."""
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            return work(session)
    finally:
        engine.dispose()


def _migrate(_args: argparse.Namespace) -> None:
    schema.upgrade(get_settings().database_url)
    _say("database schema is up to date")


@contextmanager
def _metrics_server(settings: Settings, *, host: str, workers: int) -> Iterator[None]:
    """Serve ``/metrics`` on ``METRICS_PORT`` while the block runs (nothing when unset);
    several worker processes share their counters through Prometheus's multiprocess mode."""
    if settings.metrics_port is None:
        yield
        return
    multiprocess = workers > 1
    engine = make_engine(settings.database_url, limits=PoolLimits(size=1, overflow=0))
    with ExitStack() as stack:
        if multiprocess:
            stack.enter_context(multiprocess_directory())
        registry = build_registry(make_session_factory(engine), multiprocess=multiprocess)
        server, _thread = serve_metrics(registry, host=host, port=settings.metrics_port)
        stack.callback(engine.dispose)
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        yield


def _serve(args: argparse.Namespace) -> None:
    settings = get_settings()
    setup_logging(level=settings.log_level, log_format=settings.log_format)
    if args.migrate:
        schema.upgrade(settings.database_url)
    try:
        check_connection_budget(
            settings.database_url, limits=PoolLimits.from_settings(settings), processes=args.workers
        )
    except ValueError as exc:
        raise SystemExit(f"cpts-snp serve: {exc}") from None
    host = args.host or settings.host
    with _metrics_server(settings, host=host, workers=args.workers):
        serve(
            "app.main:create_app",
            factory=True,
            host=host,
            port=args.port or settings.port,
            log_level=settings.log_level,
            log_config=None,  # the app's JSON logging (app.observability.logs) applies
            access_log=False,  # each request's line is the app's own, with its request id
            workers=args.workers,
            loop=EVENT_LOOP,
            http=HTTP_PROTOCOL,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )


def _notifier(_args: argparse.Namespace) -> None:
    settings = get_settings()
    schema.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    _say("notifier running: delivering notifications until interrupted (Ctrl-C)")
    try:
        NotificationWorker(make_session_factory(engine), settings).run_forever()
    except KeyboardInterrupt:
        _say("notifier stopped")
    finally:
        engine.dispose()


def _worker(args: argparse.Namespace) -> None:
    settings = get_settings()
    if not settings.uses_queue:
        raise SystemExit(
            "cpts-snp worker: set JOB_BACKEND=procrastinate (PostgreSQL) to run jobs on workers"
        )
    setup_logging(level=settings.log_level, log_format=settings.log_format)
    _say("worker running: solves, notifications and periodic tasks until interrupted")
    run_worker(settings, solve=_solve_function(args.solver) if args.solver else None)
    _say("worker stopped")


def _solve_function(path: str) -> SolveFunction:
    """The function named ``module:function`` (``--solver``)."""
    module, _, name = path.partition(":")
    function: SolveFunction = getattr(importlib.import_module(module), name)
    return function


def _create_cpts(args: argparse.Namespace) -> None:
    data = CptsCreate(name=args.name, timezone=args.timezone, holiday_subdivision=args.subdivision)

    def work(session: Session) -> tuple[int, str]:
        cpts = create_cpts(session, data=data)
        user = create_user(
            session,
            cpts_id=cpts.id,
            data=UserCreate(role=Role.coordinator, display_name=args.coordinator),
        )
        return cpts.id, issue_token(session, user=user, label="bootstrap")[1]

    cpts_id, token = _in_transaction(work)
    _say(f"CPTS {cpts_id} created. Coordinator token (shown once): {token}")


def _seed_demo(args: argparse.Namespace) -> None:
    tokens = _in_transaction(lambda session: seed_demo(session, today=demo_today()))
    lines = _token_lines(tokens)
    Path(args.tokens_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    _say(f"Demo territory ready (CPTS {tokens.cpts_id}). Tokens, also in {args.tokens_file}:")
    for line in lines:
        _say("  " + line)


def _purge(_args: argparse.Namespace) -> None:
    purged, requests, events = _in_transaction(lambda session: purge_expired(session, now=utcnow()))
    _say(f"patient identity blanked on {purged} referral(s) past their retention period")
    _say(f"patient identity blanked on {requests} open request(s) past their retention period")
    _say(f"{events} live event(s) older than {RETENTION.days} days deleted")


def _token_lines(tokens: DemoTokens) -> list[str]:
    return [
        f"COORDINATOR_TOKEN={tokens.coordinator}",
        f"PRACTITIONER_TOKEN={tokens.practitioner}",
        f"PHARMACIST_TOKEN={tokens.pharmacist}",
    ]


def build_parser() -> argparse.ArgumentParser:
    """The `cpts-snp` argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="cpts-snp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    serve = commands.add_parser("serve", help="migrate, then serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="leave the schema alone (a release step ran `cpts-snp migrate` once for all replicas)",
    )
    serve.set_defaults(run=_serve)
    worker = commands.add_parser(
        "worker", help="run queued jobs and periodic tasks (JOB_BACKEND=procrastinate)"
    )
    worker.add_argument(
        "--solver", help="module:function solving instead of solver:solve (tests, experiments)"
    )
    worker.set_defaults(run=_worker)
    commands.add_parser(
        "notifier", help="deliver notifications in this process (set RUN_NOTIFIER=false on the API)"
    ).set_defaults(run=_notifier)
    create = commands.add_parser("create-cpts", help="create a CPTS and its first coordinator")
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", default="Europe/Paris")
    create.add_argument("--subdivision", help="holiday subdivision, e.g. 57 for Moselle")
    create.add_argument("--coordinator", default="Coordinator", help="coordinator display name")
    create.set_defaults(run=_create_cpts)
    seed = commands.add_parser("seed-demo", help="create the demo territory and print tokens")
    seed.add_argument("--tokens-file", default="demo-tokens.env")
    seed.set_defaults(run=_seed_demo)
    commands.add_parser(
        "purge", help="blank patient identity on referrals past the retention period"
    ).set_defaults(run=_purge)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `cpts-snp` command."""
    args = build_parser().parse_args(argv)
    args.run(args)
