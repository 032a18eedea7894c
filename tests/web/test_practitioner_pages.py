"""The practitioner's day through the test client: patients of the day, the outcome once the
slot has begun, block and reopen a slot, next on-call afternoons, role and tenant checks."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.referrals.models import Referral
from app.rotations.jobs import JobRunner
from app.slots.models import Slot
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock
from tests.web.pages import csrf_of, signed_in_practitioner


def _booked_today(client: TestClient, booking: BookingScenario) -> tuple[int, dict]:
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    referral = book(client, booking, offer["slot_id"], note="Toux")
    assert referral.status_code == 201
    return referral.json()["id"], offer


def test_practitioner_records_the_outcome_once_the_slot_has_begun(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral_id, offer = _booked_today(client, booking)
    signed_in_practitioner(client, session, booking, offer["practitioner"]["id"])
    before = client.get("/praticien")
    assert before.status_code == 200 and "M. D." in before.text and "Toux" in before.text
    assert f"/praticien/orientations/{referral_id}/seen" not in before.text
    early = client.post(
        f"/praticien/orientations/{referral_id}/no_show", data={"csrf": csrf_of(before.text)}
    )
    assert early.status_code == 409
    clock.now = datetime(2027, 1, 12, 13, 5, tzinfo=UTC)  # 14:05 in Paris
    during = client.get("/praticien")
    assert f"/praticien/orientations/{referral_id}/seen" in during.text
    seen = client.post(
        f"/praticien/orientations/{referral_id}/seen",
        data={"csrf": csrf_of(during.text)},
        follow_redirects=False,
    )
    assert seen.status_code == 303
    assert session.get(Referral, referral_id).status == "seen"  # type: ignore[union-attr]
    assert "patient vu" in client.get("/praticien").text


def test_practitioner_blocks_and_reopens_a_slot(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    signed_in_practitioner(client, session, booking, offer["practitioner"]["id"])
    page = client.get("/praticien")
    assert "Mes prochaines astreintes" in page.text and "mardi 12 janvier 2027" in page.text
    slot_id = offer["slot_id"]
    blocked = client.post(
        f"/praticien/creneaux/{slot_id}/bloquer",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert blocked.status_code == 303
    assert session.get(Slot, slot_id).status == "blocked"  # type: ignore[union-attr]
    search = client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    assert slot_id not in [o["slot_id"] for o in search]
    page = client.get("/praticien")
    assert f"/praticien/creneaux/{slot_id}/rouvrir" in page.text
    reopened = client.post(
        f"/praticien/creneaux/{slot_id}/rouvrir", data={"csrf": csrf_of(page.text)}
    )
    assert reopened.status_code == 200
    session.expire_all()
    assert session.get(Slot, slot_id).status == "open"  # type: ignore[union-attr]


def test_practitioner_cannot_touch_a_colleagues_slot_but_may_refer_from_the_counter(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    colleague = next(g for g in booking.scenario.gps if g.id != offer["practitioner"]["id"])
    signed_in_practitioner(client, session, booking, colleague.id)
    page = client.get("/praticien")
    refused = client.post(
        f"/praticien/creneaux/{offer['slot_id']}/bloquer", data={"csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 403 and "Accès refusé" in refused.text
    counter = client.get("/orienter")  # a practitioner refers too (a GP to a physio)
    assert counter.status_code == 200 and "Orientations du jour" in counter.text
    assert session.scalars(select(Slot.status).where(Slot.id == offer["slot_id"])).one() == "open"
