"""The live event stream through real server processes (two of them on PostgreSQL)."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import httpx
from sqlalchemy import update

from app.auth import hash_token
from app.base import utcnow
from app.signin.models import WebSession
from app.slots.models import Slot
from app.users.models import Role, User
from app.web.deps import SESSION_COOKIE
from tests.app.live import LiveDatabase, served, served_many
from tests.app.slot_scenarios import PATIENT
from tests.app.sse import SseClient
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

LIMITS = {"EVENTS_KEEPALIVE_SECONDS": "0.3", "EVENTS_STREAMS_PER_USER": "2"}
_keys = count(1)


@dataclass(frozen=True)
class Booking:
    """Open slots of one practitioner, their user and a pharmacist who books them."""

    slot_ids: list[int]
    practitioner: dict[str, str]
    pharmacist: dict[str, str]
    coordinator: dict[str, str]


def _booking(live: LiveDatabase, slots: int) -> Booking:
    with live.sessions() as session:
        territory = make_territory(session)
        cpts_id = territory.cpts.id
        slot_ids = make_open_slots(
            session, cpts_id=cpts_id, count=slots, first_start=utcnow() + timedelta(hours=2)
        )
        practitioner_id = session.get_one(Slot, slot_ids[0]).practitioner_id
        practitioner = make_user_headers(
            session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=practitioner_id
        )
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        pharmacist = make_user_headers(
            session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        session.commit()
    return Booking(slot_ids, practitioner, pharmacist, territory.headers)


def _book(base: str, booking: Booking, slot_id: int) -> int:
    body = {"slot_id": slot_id, "patient": PATIENT, "reason_category": "infection"}
    headers = {**booking.pharmacist, "Idempotency-Key": f"k{next(_keys)}"}
    booked = httpx.post(f"{base}/v1/referrals", headers=headers, json=body)
    assert booked.status_code == 201, booked.text
    return int(booked.json()["id"])


@contextmanager
def _stream(base: str, headers: dict[str, str]) -> Iterator[SseClient]:
    client = SseClient(f"{base}/v1/events", headers=headers)
    try:
        yield client
    finally:
        client.close()


def _servers(live: LiveDatabase) -> Iterator[list[str]]:
    """Two processes on PostgreSQL; SQLite (one process per database) serves both roles."""
    if live.engine.dialect.name == "postgresql":
        return served_many(live, 2, **LIMITS)
    return _twice(live)


@contextmanager
def _twice(live: LiveDatabase) -> Iterator[list[str]]:
    with served(live, **LIMITS) as base:
        yield [base, base]


def test_an_event_written_by_one_process_reaches_the_streams_of_another(
    live: LiveDatabase,
) -> None:
    booking = _booking(live, slots=4)
    with _servers(live) as (writer, reader):
        with (
            _stream(reader, booking.practitioner) as doctor,
            _stream(reader, booking.pharmacist) as pharmacist,
            _stream(reader, booking.coordinator) as coordinator,
        ):
            assert doctor.status == 200
            assert doctor.headers["content-type"].startswith("text/event-stream")
            referral_id = _book(writer, booking, booking.slot_ids[0])
            answered = time.monotonic()
            booked = doctor.next()
            assert booked.at - answered < 1.0  # the commit came before the answer
            assert booked.kind == "referral.booked"
            assert json.loads(booked.data) == {
                "referral_id": referral_id,
                "slot_id": booking.slot_ids[0],
            }
            taken = pharmacist.next()
            assert (taken.kind, json.loads(taken.data)) == (
                "slot.taken",
                {"slot_id": booking.slot_ids[0]},
            )
            assert coordinator.pending(0.3) == []  # not a recipient
        missed = [_book(writer, booking, slot_id) for slot_id in booking.slot_ids[1:3]]
        resumed = SseClient(
            f"{reader}/v1/events", headers={**booking.practitioner, "Last-Event-ID": str(booked.id)}
        )
        try:
            replayed = [resumed.next(), resumed.next()]
            assert [json.loads(e.data)["referral_id"] for e in replayed] == missed
            last = _book(writer, booking, booking.slot_ids[3])
            assert [json.loads(e.data)["referral_id"] for e in resumed.pending(0.8)] == [last]
        finally:
            resumed.close()


def test_a_stream_is_refused_without_credential_or_past_its_limit_and_ends_when_revoked(
    live: LiveDatabase,
) -> None:
    # One server for the three checks: starting one costs seconds on a busy machine.
    with live.sessions() as session:
        territory = make_territory(session)
    headers = territory.headers
    with served(live, **LIMITS) as base:
        assert httpx.get(f"{base}/v1/events").status_code == 401
        unknown = httpx.get(f"{base}/v1/events", headers={"Authorization": "Bearer snp_nope"})
        assert unknown.status_code == 401
        with _stream(base, headers), _stream(base, headers):
            third = httpx.get(f"{base}/v1/events", headers=headers)
            assert third.status_code == 429
            assert third.headers["Retry-After"] == "5"
            assert third.json()["error"]["code"] == "too_many_streams"
        time.sleep(0.5)  # a closed stream is let go once the server sees the hang-up
        with _stream(base, headers) as stream:
            assert stream.status == 200
            tokens = httpx.get(
                f"{base}/v1/users/{territory.coordinator.id}/tokens", headers=headers
            )
            token_id = tokens.json()["items"][0]["id"]
            revoked = httpx.delete(f"{base}/v1/tokens/{token_id}", headers=headers)
            assert revoked.status_code == 200, revoked.text
            assert stream.ended.wait(3), "the stream outlived its token"
            assert stream.comments, "keep-alives came before the revocation"
        cookie = _web_session(live, territory.coordinator.id)
        with _stream(base, {"Cookie": f"{SESSION_COOKIE}={cookie}"}) as page_stream:
            assert page_stream.status == 200
            with live.sessions() as session:
                session.execute(update(WebSession).values(ended_at=utcnow()))
                session.commit()
            assert page_stream.ended.wait(3), "the stream outlived its session"


def _web_session(live: LiveDatabase, user_id: int) -> str:
    """A signed-in web session of the user (as the sign-in link opens one); its cookie."""
    secret = "cookie-secret-of-the-test"
    with live.sessions() as session:
        user = session.get_one(User, user_id)
        now = utcnow()
        session.add(
            WebSession(
                cpts_id=user.cpts_id,
                user_id=user_id,
                token_hash=hash_token(secret),
                csrf_token="csrf",
                user_agent="test",
                ip="127.0.0.1",
                created_at=now,
                last_seen_at=now,
            )
        )
        session.commit()
    return secret
