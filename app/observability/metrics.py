"""Prometheus metrics: what requests, bookings and deliveries count in each process, and
the jobs table read at scrape time.

``cpts-snp serve`` serves them on ``METRICS_PORT`` (off when unset), a port of its own
that is not the API's. With several worker processes (``--workers N``) it runs Prometheus's
multiprocess mode: each process writes its counters to files in a directory made for the
run, and the server adds them up at scrape time; with one process the server reads the
process's own counters. Queue depth, jobs by state and job durations are read from the
``jobs`` table at each scrape, so every process (and any worker machine) is counted once.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from threading import Thread
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.rotations.models import Job, JobStatus

logger = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where Prometheus's multiprocess mode keeps each process's counters."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

REQUEST_SECONDS = Histogram(
    "cpts_snp_http_request_duration_seconds",
    "Time to answer a request, by route template and method.",
    ("route", "method"),
    buckets=LATENCY_BUCKETS,
    registry=None,
)
REQUESTS = Counter(
    "cpts_snp_http_requests",
    "Requests answered, by route template, method and status (409: lost races and conflicts).",
    ("route", "method", "status"),
    registry=None,
)
BOOKINGS = Counter(
    "cpts_snp_bookings",
    "Slots booked for a patient (a replayed Idempotency-Key is not counted again).",
    registry=None,
)
RATE_LIMITED = Counter(
    "cpts_snp_rate_limited",
    "Requests refused with 429, by limit family.",
    ("family",),
    registry=None,
)
DELIVERIES = Counter(
    "cpts_snp_notification_deliveries",
    "Notification delivery attempts, by channel kind and outcome (sent, retry, failed).",
    ("channel", "outcome"),
    registry=None,
)
PROCESS_METRICS = (REQUEST_SECONDS, REQUESTS, BOOKINGS, RATE_LIMITED, DELIVERIES)


def _seconds_between(dialect: str) -> ColumnElement[float]:
    """A finished job's duration in seconds, in SQL (each backend its own date arithmetic)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", Job.finished_at - Job.started_at), Float)
    return (func.julianday(Job.finished_at) - func.julianday(Job.started_at)) * 86400.0


class JobsCollector(Collector):
    """Jobs by state, queue depth and finished jobs' durations, read from the database at
    each scrape (a failed read is logged and leaves these series out of that scrape)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def collect(self) -> Iterable[Metric]:
        """The jobs series, from one short read-only transaction."""
        try:
            with self._factory() as session, session.begin():
                return list(self._read(session))
        except SQLAlchemyError as exc:
            logger.warning("metrics: jobs table unreadable: %s", (str(exc).splitlines() or [""])[0])
            return []

    def _read(self, session: Session) -> Iterator[Metric]:
        counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        by_state = GaugeMetricFamily(
            "cpts_snp_jobs", "Solve and repair jobs in the table, by state.", labels=("state",)
        )
        for state in JobStatus:
            by_state.add_metric((state.value,), counts.get(state.value, 0))
        yield by_state
        yield GaugeMetricFamily(
            "cpts_snp_job_queue_depth",
            "Jobs waiting for a worker (state queued).",
            value=counts.get(JobStatus.queued.value, 0),
        )
        seconds = _seconds_between(session.get_bind().dialect.name)
        columns: list[ColumnElement[Any]] = [func.count(), func.coalesce(func.sum(seconds), 0.0)]
        columns += [func.count().filter(seconds <= bound) for bound in JOB_BUCKETS]
        finished = session.execute(
            select(*columns).where(Job.finished_at.is_not(None), Job.started_at.is_not(None))
        ).one()
        total, total_seconds, *within = finished
        histogram = HistogramMetricFamily(
            "cpts_snp_job_duration_seconds", "Run time of the finished jobs in the table."
        )
        buckets = [(str(bound), count) for bound, count in zip(JOB_BUCKETS, within, strict=True)]
        histogram.add_metric([], [*buckets, ("+Inf", total)], sum_value=float(total_seconds))
        yield histogram


def build_registry(
    session_factory: sessionmaker[Session], *, multiprocess: bool
) -> CollectorRegistry:
    """What ``/metrics`` exposes: every process's counters (from the multiprocess directory,
    or this process's own) and the jobs table."""
    registry = CollectorRegistry()
    if multiprocess:
        MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(JobsCollector(session_factory))
    return registry


@contextmanager
def multiprocess_directory() -> Iterator[str]:
    """A fresh directory for the processes' counters, named in the environment that the
    worker processes inherit, and removed afterwards. It must be set before the worker
    processes import ``prometheus_client``: uvicorn spawns them afresh, so they do."""
    directory = tempfile.mkdtemp(prefix="cpts-snp-metrics-")
    os.environ[MULTIPROCESS_ENV] = directory
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def serve_metrics(
    registry: CollectorRegistry, *, host: str, port: int
) -> tuple[WSGIServer, Thread]:
    """Serve ``registry`` on ``host:port`` (any path) from a daemon thread."""
    return start_http_server(port, addr=host, registry=registry)
