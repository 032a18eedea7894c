"""Rate limits: 429 with Retry-After for each family, one budget shared by every process."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import get_now
from app.config import Settings
from app.main import create_app
from app.ratelimits.limiter import Family, RateLimiter, caller_key
from app.ratelimits.models import RateCount
from app.users.models import Role
from tests.app.slot_scenarios import PATIENT
from tests.conftest import configured_client
from tests.factories import (
    make_open_slots,
    make_pharmacy_with_headers,
    make_territory,
    make_user_headers,
)

NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
WINDOW = 60
BUDGET = 2
START = 1_800_000_000.0 + 15  # 15 s into a window (the epoch's minutes are windows)
LIMITED = Settings(
    run_jobs=False,
    rate_limit_window_seconds=WINDOW,
    rate_limit_search_per_token=BUDGET,
    rate_limit_booking_per_token=BUDGET,
    rate_limit_messages_per_token=BUDGET,
    rate_limit_feeds_per_ip=BUDGET,
)


class Clock:
    """The limiter's clock (seconds since the epoch), moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def limited_app(app: FastAPI, clock: Clock) -> None:
    """Give ``app`` tiny budgets on ``clock``, and the API clock at ``NOW``."""
    app.state.limiter = RateLimiter.from_settings(LIMITED, clock=clock)
    app.dependency_overrides[get_now] = lambda: NOW


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(
    built_app: FastAPI, session_factory: sessionmaker[Session], clock: Clock
) -> Iterator[TestClient]:
    """The API with budgets of two requests per window."""
    with configured_client(built_app, LIMITED, session_factory) as client:
        limited_app(built_app, clock)
        yield client


def assert_refused(response: httpx.Response, wait: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "too_many_requests"
    assert response.headers["Retry-After"] == str(wait)


def test_search_is_limited_per_token_until_the_window_ends(
    limited: TestClient, session: Session, clock: Clock
) -> None:
    territory = make_territory(session)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    _, colleague = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id, name="Autre")
    for _ in range(BUDGET):
        assert limited.get("/v1/slots", headers=pharmacist).status_code == 200
    assert_refused(limited.get("/v1/slots", headers=pharmacist), WINDOW - 15)
    assert limited.get("/v1/slots", headers=colleague).status_code == 200
    assert limited.get("/v1/slots", headers={"Authorization": "Bearer nope"}).status_code == 401
    clock.now += 40
    assert_refused(limited.get("/v1/slots", headers=pharmacist), WINDOW - 15 - 40)
    clock.now += 5  # the next window
    assert limited.get("/v1/slots", headers=pharmacist).status_code == 200


def test_booking_is_limited_per_token(limited: TestClient, session: Session) -> None:
    territory = make_territory(session)
    slots = make_open_slots(
        session, cpts_id=territory.cpts.id, count=3, first_start=NOW + timedelta(hours=2)
    )
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    for n, slot_id in enumerate(slots):
        response = limited.post(
            "/v1/referrals",
            headers={**pharmacist, "Idempotency-Key": f"k{n}"},
            json={"slot_id": slot_id, "patient": PATIENT, "reason_category": "infection"},
        )
        if n < BUDGET:
            assert response.status_code == 201, response.text
        else:
            assert_refused(response, WINDOW - 15)
    assert session.scalar(select(func.count()).select_from(RateCount)) == 0  # not synced yet


def test_message_routes_are_limited_per_token(limited: TestClient, session: Session) -> None:
    territory = make_territory(session)
    for _ in range(BUDGET):
        assert limited.get("/v1/messages/unread", headers=territory.headers).status_code == 200
    assert_refused(limited.get("/v1/messages/unread", headers=territory.headers), WINDOW - 15)
    other = make_user_headers(session, cpts_id=territory.cpts.id, role=Role.coordinator)
    assert limited.get("/v1/messages/unread", headers=other).status_code == 200


def test_feeds_are_limited_per_ip(limited: TestClient, session: Session) -> None:
    territory = make_territory(session)
    token = limited.post("/v1/feed-tokens/cpts", headers=territory.headers, json={}).json()["token"]
    for _ in range(BUDGET):
        assert limited.get(f"/ical/cpts/{token}.ics").status_code == 200
    assert_refused(limited.get(f"/ical/cpts/{token}.ics"), WINDOW - 15)
    assert_refused(limited.get("/ical/cpts/any-other-token.ics"), WINDOW - 15)


def test_two_processes_share_one_budget_through_the_database(
    limited: TestClient,
    built_app: FastAPI,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    territory = make_territory(session)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    other_app = create_app(LIMITED, session_factory=session_factory)
    limited_app(other_app, clock)
    first, second = built_app.state.limiter, other_app.state.limiter
    with TestClient(other_app) as other:
        assert limited.get("/v1/slots", headers=pharmacist).status_code == 200
        first.sync(session_factory)
        # The second process learns of the key at its first sync: one request over budget.
        assert other.get("/v1/slots", headers=pharmacist).status_code == 200
        second.sync(session_factory)
        assert_refused(other.get("/v1/slots", headers=pharmacist), WINDOW - 15)
        first.sync(session_factory)
        assert_refused(limited.get("/v1/slots", headers=pharmacist), WINDOW - 15)
    token = pharmacist["Authorization"].removeprefix("Bearer ")
    stored = session.scalars(select(RateCount)).all()
    assert [(row.family, row.key, row.count) for row in stored] == [
        (Family.search.value, caller_key(Family.search, token), 2)
    ]
    assert token not in stored[0].key


def test_counts_of_past_windows_are_purged_and_a_failed_sync_keeps_them(
    session: Session, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    limiter = RateLimiter({Family.feeds: 5}, window_seconds=WINDOW, clock=clock)
    assert limiter.hit(Family.feeds, "10.0.0.1") is None
    limiter.sync(session_factory)
    clock.now += 2 * WINDOW
    assert limiter.hit(Family.feeds, "10.0.0.1") is None
    limiter.sync(session_factory)
    windows = session.scalars(select(RateCount.window_start)).all()
    assert windows == [int(clock.now // WINDOW) * WINDOW]

    assert limiter.hit(Family.feeds, "10.0.0.1") is None
    with pytest.raises(SQLAlchemyError):
        limiter.sync(sessionmaker())  # no database: the counts are kept for the next sync
    limiter.sync(session_factory)
    assert session.scalars(select(RateCount.count)).all() == [2]


def test_a_budget_of_zero_turns_a_limit_off(clock: Clock) -> None:
    limiter = RateLimiter({Family.search: 0}, window_seconds=WINDOW, clock=clock)
    assert all(limiter.hit(Family.search, "token") is None for _ in range(1000))


def test_openapi_documents_429_on_limited_routes_and_413_on_bodies(
    limited: TestClient,
) -> None:
    paths = limited.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/v1/slots", "get"),
        ("/v1/referrals", "post"),
        ("/v1/messages/unread", "get"),
        ("/v1/referrals/{referral_id}/messages", "post"),
        ("/ical/cpts/{token}.ics", "get"),
        ("/ical/practitioners/{token}.ics", "head"),
    ):
        assert "429" in paths[path][method]["responses"], (path, method)
    assert "429" not in paths["/v1/sectors"]["get"]["responses"]
    assert "413" in paths["/v1/referrals"]["post"]["responses"]
    assert "413" not in paths["/v1/slots"]["get"]["responses"]
