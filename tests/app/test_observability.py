"""Request ids, JSON access logs without secrets, the 413 body limit and /metrics."""

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from app.clock import get_now
from app.config import Settings
from app.observability import current_request_id
from app.observability.context import carried_request
from app.observability.logs import JsonFormatter
from app.observability.metrics import build_registry, serve_metrics
from tests.app.slot_scenarios import PATIENT
from tests.conftest import configured_client
from tests.databases import BACKENDS
from tests.factories import make_open_slots, make_pharmacy_with_headers, make_territory
from tests.live import cli_env, database_url, free_port, serving

MESSAGE_TEXT = "Le patient Dupont-Lagarde arrive avec son carnet"


NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)


@pytest.fixture
def observed(built_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API with metrics on and a small body limit, its clock at ``NOW``."""
    settings = Settings(run_jobs=False, metrics_port=free_port(), max_body_bytes=2048)
    with configured_client(built_app, settings, session_factory) as client:
        built_app.dependency_overrides[get_now] = lambda: NOW
        yield client


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line written meanwhile, formatted as in production."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield captured
    root.removeHandler(handler)
    root.setLevel(level)


def test_request_id_is_echoed_when_sane_and_generated_otherwise(observed: TestClient) -> None:
    given = observed.get("/healthz", headers={"X-Request-ID": "abc-123.def"})
    assert given.headers["X-Request-ID"] == "abc-123.def"
    generated = observed.get("/healthz")
    other = observed.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 24
    assert generated.headers["X-Request-ID"] != other.headers["X-Request-ID"]
    insane = observed.get("/healthz", headers={"X-Request-ID": 'x" injected\tline'})
    assert insane.headers["X-Request-ID"] != 'x" injected\tline'
    assert len(insane.headers["X-Request-ID"]) == 24
    errors = observed.get("/v1/slots", headers={"X-Request-ID": "on-error"})
    assert errors.status_code == 401 and errors.headers["X-Request-ID"] == "on-error"
    assert current_request_id() is None  # outside a request


def test_work_done_for_a_request_logs_its_id(log_lines: io.StringIO) -> None:
    worker_log = logging.getLogger("app.tasks.solve")
    with carried_request("queued-by-1"):
        worker_log.warning("solving")
        assert current_request_id() == "queued-by-1"
    with carried_request(None):
        worker_log.warning("ticking")
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [line.get("request_id") for line in lines] == ["queued-by-1", None]
    assert current_request_id() is None


def test_logs_carry_route_status_request_id_and_no_secret(
    observed: TestClient, session: Session, log_lines: io.StringIO
) -> None:
    territory = make_territory(session)
    slots = make_open_slots(
        session, cpts_id=territory.cpts.id, count=2, first_start=NOW + timedelta(hours=2)
    )
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    booked = observed.post(
        "/v1/referrals",
        headers={**pharmacist, "Idempotency-Key": "k1", "X-Request-ID": "booking-1"},
        json={"slot_id": slots[0], "patient": PATIENT, "reason_category": "infection"},
    )
    assert booked.status_code == 201, booked.text
    referral_id = booked.json()["id"]
    posted = observed.post(
        f"/v1/referrals/{referral_id}/messages", headers=pharmacist, json={"body": MESSAGE_TEXT}
    )
    assert posted.status_code == 201, posted.text
    feed = observed.post("/v1/feed-tokens/cpts", headers=territory.headers, json={})
    assert feed.status_code == 201, feed.text
    feed_token = feed.json()["token"]
    assert observed.get(f"/ical/cpts/{feed_token}.ics").status_code == 200
    assert observed.get("/v1/slots", headers=pharmacist).status_code == 200

    text = log_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line["logger"] == "app.access"]
    booking = next(line for line in access if line["request_id"] == "booking-1")
    assert booking["route"] == "/v1/referrals" and booking["method"] == "POST"
    assert booking["status"] == 201 and booking["duration_ms"] >= 0
    assert booking["cpts_id"] == territory.cpts.id
    assert any(line["route"] == "/ical/cpts/{token}.ics" for line in access)
    secrets = [
        pharmacist["Authorization"].removeprefix("Bearer "),
        territory.headers["Authorization"].removeprefix("Bearer "),
        feed_token,
        PATIENT["display_name"],
        PATIENT["phone"],
        str(PATIENT["birth_year"]),
        MESSAGE_TEXT,
        "Dupont",
    ]
    for secret in secrets:
        assert secret not in text, secret


def test_body_over_the_limit_gets_413_by_length_and_chunked(
    observed: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    big = json.dumps({"name": "x" * 4000}).encode()
    declared = observed.post("/v1/sectors", headers=territory.headers, content=big)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "content_too_large"
    assert "X-Request-ID" in declared.headers

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    chunked = observed.post(
        "/v1/sectors",
        headers={**territory.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"]["code"] == "content_too_large"
    small = observed.post("/v1/sectors", headers=territory.headers, json={"name": "Nord"})
    assert small.status_code == 201, small.text


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(session_factory: sessionmaker[Session]) -> Samples:
    """Every sample of ``/metrics``, fetched over HTTP from a metrics server of this process."""
    port = free_port()
    registry = build_registry(session_factory, multiprocess=False)
    server, _thread = serve_metrics(registry, host="127.0.0.1", port=port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        server.shutdown()
        server.server_close()
    return samples_of(text)


def samples_of(text: str) -> Samples:
    """The samples of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_expose_the_named_series_after_requests(
    observed: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    territory = make_territory(session)
    slots = make_open_slots(
        session, cpts_id=territory.cpts.id, count=2, first_start=NOW + timedelta(hours=2)
    )
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    before = scrape(session_factory)
    body = {"slot_id": slots[0], "patient": PATIENT, "reason_category": "infection"}
    first = observed.post(
        "/v1/referrals", headers={**pharmacist, "Idempotency-Key": "a"}, json=body
    )
    lost = observed.post("/v1/referrals", headers={**pharmacist, "Idempotency-Key": "b"}, json=body)
    assert (first.status_code, lost.status_code) == (201, 409)
    assert observed.get("/v1/slots", headers=pharmacist).status_code == 200
    after = scrape(session_factory)

    def added(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after[key] - before.get(key, 0.0)

    assert (
        added("cpts_snp_http_request_duration_seconds_count", route="/v1/slots", method="GET") == 1
    )
    requests = "cpts_snp_http_requests_total"
    assert added(requests, route="/v1/referrals", method="POST", status="409") == 1
    assert added(requests, route="/v1/referrals", method="POST", status="201") == 1
    assert added("cpts_snp_bookings_total") == 1
    assert after["cpts_snp_jobs", frozenset({("state", "queued")})] == 0
    assert after["cpts_snp_job_queue_depth", frozenset()] == 0
    assert after["cpts_snp_job_duration_seconds_count", frozenset()] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_with_two_workers_adds_up_their_metrics_and_logs_json(
    backend: str, tmp_path: Path
) -> None:
    port, metrics_port = free_port(), free_port()
    with database_url(backend, tmp_path) as url:
        env = {**cli_env(url, port), "METRICS_PORT": str(metrics_port), "LOG_LEVEL": "info"}
        with serving(env, tmp_path, "--workers", "2") as base, httpx.Client() as client:
            for _ in range(20):  # new connections: the kernel spreads them over both workers
                answer = client.get(f"{base}/healthz", headers={"Connection": "close"})
                assert answer.headers["X-Request-ID"]
            client.get(f"{base}/healthz", headers={"X-Request-ID": "live-check"})
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        log = (tmp_path / "server.log").read_text()
    samples = samples_of(scraped)
    labels = frozenset({("route", "/healthz"), ("method", "GET"), ("status", "200")})
    assert samples["cpts_snp_http_requests_total", labels] == 21
    assert samples["cpts_snp_job_queue_depth", frozenset()] == 0
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    health = [line for line in lines if line.get("route") == "/healthz"]
    assert len({line["request_id"] for line in health}) == 21
    assert any(line.get("request_id") == "live-check" for line in lines)
    assert not any(line.startswith("INFO:") for line in log.splitlines())  # uvicorn's own format
