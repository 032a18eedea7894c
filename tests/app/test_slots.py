"""Slots: cut from published shifts, searched by pharmacists within the rules, blocked."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from app.slots.models import Slot
from app.slots.service import slot_starts
from tests.app.slot_scenarios import make_booking_scenario
from tests.conftest import FrozenClock


def test_slots_spread_evenly_on_a_five_minute_grid() -> None:
    start = datetime(2027, 1, 12, 13, 0, tzinfo=UTC)
    end = start + timedelta(hours=6)
    assert slot_starts(start, end, slot_minutes=15, count=2) == [start, start + timedelta(hours=3)]
    four = slot_starts(start, end, slot_minutes=30, count=4)
    assert [s - start for s in four] == [timedelta(minutes=m) for m in (0, 90, 180, 270)]
    assert len(slot_starts(start, end, slot_minutes=120, count=5)) == 3


def test_publish_creates_slots_per_profession_settings(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    shifts = client.get(
        f"/v1/rotations/{booking.rotation_id}/shifts?limit=200", headers=booking.coordinator
    ).json()
    slots = session.scalars(
        select(Slot).where(Slot.cpts_id == booking.scenario.territory.cpts.id)
    ).all()
    assert len(slots) == 2 * shifts["total"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=15) for s in slots)


def test_search_offers_the_next_24_hours_after_notice(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offers = client.get("/v1/slots?profession=gp", headers=booking.pharmacist).json()["items"]
    starts = [o["starts_at"] for o in offers]
    assert starts == ["2027-01-12T14:00:00+01:00", "2027-01-12T17:00:00+01:00"]
    assert offers[0]["practitioner"]["name"].startswith("Claire Docteur")
    assert offers[0]["modes"] == ["in_practice"]
    clock.now = datetime(2027, 1, 12, 12, 40, tzinfo=UTC)
    later = client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    assert [o["starts_at"] for o in later] == ["2027-01-12T17:00:00+01:00"]
    wide = client.get("/v1/slots?within_hours=26", headers=booking.pharmacist).json()["items"]
    assert [o["starts_at"] for o in wide][-1] == "2027-01-13T14:00:00+01:00"


def test_search_is_paginated_like_every_list(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    everything = client.get("/v1/slots?within_hours=48", headers=booking.pharmacist).json()
    assert everything["limit"] == 50 and everything["offset"] == 0
    assert everything["total"] == len(everything["items"]) >= 3
    pages = [
        client.get(
            f"/v1/slots?within_hours=48&limit=2&offset={offset}", headers=booking.pharmacist
        ).json()
        for offset in range(0, everything["total"], 2)
    ]
    assert all(page["total"] == everything["total"] and page["limit"] == 2 for page in pages)
    assert [o for page in pages for o in page["items"]] == everything["items"]
    too_many = client.get("/v1/slots?limit=201", headers=booking.pharmacist)
    assert too_many.status_code == 422


def test_same_day_ends_at_local_midnight(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    clock.now = datetime(2027, 1, 12, 23, 30, tzinfo=UTC)  # 00:30 on the 13th in Paris
    same_day = client.get("/v1/slots?same_day=true", headers=booking.pharmacist).json()["items"]
    assert {o["starts_at"][:10] for o in same_day} == {"2027-01-13"}


def test_nothing_in_the_past_and_filters(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    clock.now = datetime(2027, 2, 10, 11, 0, tzinfo=UTC)
    assert client.get("/v1/slots", headers=booking.pharmacist).json()["items"] == []
    clock.now = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
    assert (
        client.get("/v1/slots?profession=nurse", headers=booking.pharmacist).json()["items"] == []
    )
    assert client.get("/v1/slots?mode=home_visit", headers=booking.pharmacist).json()["items"] == []
    bad = client.get("/v1/slots?near=north", headers=booking.pharmacist)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "near"
    too_far = client.get("/v1/slots?within_hours=200", headers=booking.pharmacist)
    assert too_far.status_code == 422
    assert too_far.json()["error"]["fields"][0]["field"] == "within_hours"


def test_practitioner_blocks_and_reopens_own_slot(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    owner = booking.practitioner_headers(session, offer["practitioner"]["id"])
    someone_else = next(gp for gp in booking.scenario.gps if gp.id != offer["practitioner"]["id"])
    colleague = booking.practitioner_headers(session, someone_else.id)
    assert client.post(f"/v1/slots/{offer['slot_id']}/block", headers=colleague).status_code == 403
    assert (
        client.post(f"/v1/slots/{offer['slot_id']}/block", headers=booking.pharmacist).status_code
        == 403
    )
    blocked = client.post(f"/v1/slots/{offer['slot_id']}/block", headers=owner)
    assert blocked.status_code == 200 and blocked.json()["status"] == "blocked"
    ids = [
        o["slot_id"] for o in client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    ]
    assert offer["slot_id"] not in ids
    assert client.post(f"/v1/slots/{offer['slot_id']}/reopen", headers=owner).status_code == 200
    ids = [
        o["slot_id"] for o in client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    ]
    assert offer["slot_id"] in ids
    mine = client.get(
        f"/v1/practitioners/{offer['practitioner']['id']}/slots?from=2027-01-12&to=2027-01-12",
        headers=owner,
    ).json()
    assert [s["status"] for s in mine["items"]] == ["open", "open"] and mine["total"] == 2
