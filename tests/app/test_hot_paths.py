"""The hot paths hold without the database: a search answered from a fresh snapshot and a
cached token, one snapshot refresh at a time while searches go on from the previous one,
and a feed answered from its rendered copy until something it shows changes."""

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth import Principal, PrincipalCache
from app.base import utcnow
from app.clock import get_now
from app.config import Settings
from app.db import make_session_factory
from app.feeds.service import issue_practitioner_feed
from app.main import create_app, freshness_of
from app.slots import search
from app.slots.models import Slot
from app.users.models import Role
from tests.app.slot_scenarios import PATIENT
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

SEARCH = "/v1/slots?within_hours=48"
SEARCHES_AT_ONCE = 10


@dataclass
class Served:
    """An app on a one-connection pool, with the real freshness of its database."""

    app: FastAPI
    engine: Engine
    coordinator: dict[str, str]
    pharmacist: dict[str, str]
    slots: list[int]
    now: list[datetime]


@pytest.fixture
def served(tight_engine: Engine) -> Iterator[Served]:
    """A CPTS with three open slots two hours ahead and its pharmacist; the API's clock
    is frozen (moved through ``now``), so snapshots age only when a test says so."""
    factory = make_session_factory(tight_engine)
    with factory() as session:
        territory = make_territory(session)
        cpts_id = territory.cpts.id
        slots = make_open_slots(
            session, cpts_id=cpts_id, count=3, first_start=utcnow() + timedelta(hours=2)
        )
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        pharmacist = make_user_headers(
            session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        session.commit()
    app = create_app(Settings(run_jobs=False), session_factory=factory)
    app.state.principals = PrincipalCache(freshness_of(tight_engine))
    now = [utcnow()]

    async def frozen() -> datetime:
        return now[0]

    app.dependency_overrides[get_now] = frozen
    try:
        yield Served(app, tight_engine, territory.headers, pharmacist, slots, now)
    finally:
        app.state.principals.freshness.stop()


def _offered(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [offer["slot_id"] for offer in response.json()["items"]]


def test_a_fresh_snapshot_answers_the_search_while_the_database_is_unavailable(
    served: Served,
) -> None:
    with TestClient(served.app, raise_server_exceptions=False) as client:
        assert _offered(client.get(SEARCH, headers=served.pharmacist)) == served.slots
        with served.engine.connect():  # the pool's only connection: none left for requests
            assert client.get("/v1/sectors", headers=served.coordinator).status_code == 503
            again = client.get(SEARCH, headers=served.pharmacist)
        assert _offered(again) == served.slots


def test_a_stale_snapshot_is_refreshed_once_while_searches_answer_from_it(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshes: list[datetime] = []
    release = threading.Event()
    read = search.take_snapshot

    def held_refresh(session: Session, **kwargs: Any) -> search.Snapshot:
        refreshes.append(kwargs["now"])
        assert release.wait(timeout=30), "the refresh was never released"
        return read(session, **kwargs)

    async def searches() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=served.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            first = await client.get(SEARCH, headers=served.pharmacist)
            with Session(served.engine) as session:
                session.get_one(Slot, served.slots[0]).status = "blocked"
                session.commit()
            monkeypatch.setattr(search, "take_snapshot", held_refresh)
            served.now[0] += search.SNAPSHOT_TTL + timedelta(seconds=1)
            stale = await asyncio.gather(
                *(client.get(SEARCH, headers=served.pharmacist) for _ in range(SEARCHES_AT_ONCE))
            )
            for _ in range(1000):  # the refresh runs on a thread of its own: let it start
                if refreshes:
                    break
                await asyncio.sleep(0.01)
            release.set()
            while search.take_snapshot is held_refresh and len(refreshes) == 1:
                fresh = await client.get(SEARCH, headers=served.pharmacist)
                if _offered(fresh) == served.slots[1:]:
                    return [first, *stale, fresh]
                await asyncio.sleep(0)
            raise AssertionError(f"{len(refreshes)} refreshes ran")

    first, *stale, fresh = asyncio.run(searches())
    assert _offered(first) == served.slots
    assert [_offered(r) for r in stale] == [served.slots] * SEARCHES_AT_ONCE
    assert refreshes == [served.now[0]]
    assert _offered(fresh) == served.slots[1:]


def _feed_url(served: Served) -> str:
    """Issue the practitioner's feed before any request: the issue changes the freshness
    stamp, which empties the token caches."""
    with Session(served.engine) as session:
        slot = session.get_one(Slot, served.slots[0])
        coordinator = Principal(
            user_id=0,
            cpts_id=slot.cpts_id,
            role=Role.coordinator,
            practitioner_id=None,
            pharmacy_id=None,
        )
        _, secret = issue_practitioner_feed(
            session, principal=coordinator, practitioner_id=slot.practitioner_id, now=utcnow()
        )
        session.commit()
    return f"/ical/practitioners/{secret}.ics"


def test_a_feed_is_served_from_its_rendered_copy_until_this_process_changes_it(
    served: Served,
) -> None:
    url = _feed_url(served)
    with TestClient(served.app, raise_server_exceptions=False) as client:
        assert _offered(client.get(SEARCH, headers=served.pharmacist)) == served.slots
        before = client.get(url)
        assert before.status_code == 200, before.text
        with served.engine.connect():  # no connection left: only the copy can answer
            copy = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert copy.status_code == 304
        booked = client.post(
            "/v1/referrals",
            headers={**served.pharmacist, "Idempotency-Key": "feed-change"},
            json={"slot_id": served.slots[0], "patient": PATIENT, "reason_category": "infection"},
        )
        assert booked.status_code == 201, booked.text
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert f"réf. {booked.json()['id']}" in after.text
    assert "Patient orienté" not in before.text


def test_a_booking_whose_token_is_not_cached_needs_one_connection_at_a_time(
    served: Served,
) -> None:
    # The pool holds one connection: the token must be read before the booking's
    # transaction takes it, not from a second connection while the write lock is held.
    body = {"slot_id": served.slots[0], "patient": PATIENT, "reason_category": "acute_pain"}
    with TestClient(served.app, raise_server_exceptions=False) as client:
        headers = {**served.pharmacist, "Idempotency-Key": "first"}
        response = client.post("/v1/referrals", headers=headers, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["slot_id"] == served.slots[0]
