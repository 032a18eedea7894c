"""The pharmacist's counter page through the test client: search, book, slot taken with
three alternatives and the form kept, French field errors, cancel, other CPTS's ids."""

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.referrals.models import Referral
from app.rotations.jobs import JobRunner
from app.users.models import Role, User
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock
from tests.factories import make_pharmacy, make_territory
from tests.web.pages import csrf_of, invited_and_signed_in, signed_in_user

SLOT_LINK = re.compile(r'href="/orienter/creneaux/(\d+)\?')
IDEM = re.compile(r'name="idem" value="([^"]+)"')
PATIENT_FORM = {
    "display_name": "M. D.",
    "birth_year": "1984",
    "phone": "06 12 34 56 78",
    "reason_category": "infection",
    "note": "Fièvre depuis deux jours",
}


def _signed_in_pharmacist(
    client: TestClient, session: Session, booking: BookingScenario, *, email: str = "p@ph.example"
) -> User:
    user = session.scalars(
        select(User).where(User.pharmacy_id == booking.pharmacy_id).order_by(User.id)
    ).first()
    assert user is not None
    invited_and_signed_in(
        client, session, coordinator=booking.coordinator, user_id=user.id, email=email
    )
    return user


def _search(client: TestClient, **params: str) -> tuple[str, list[int]]:
    page = client.get("/orienter", params={"profession": "gp", "quand": "24h", **params})
    assert page.status_code == 200
    return page.text, [int(s) for s in SLOT_LINK.findall(page.text)]


def _submit(client: TestClient, slot_id: int, **fields: str) -> Response:
    form = client.get(f"/orienter/creneaux/{slot_id}?mode=&profession=gp&quand=24h")
    assert form.status_code == 200
    data = {
        "csrf": csrf_of(form.text),
        "idem": IDEM.search(form.text).group(1),  # type: ignore[union-attr]
        "slot_id": str(slot_id),
        "mode": "in_practice",
        **PATIENT_FORM,
        **fields,
    }
    return client.post("/orienter/reserver", data=data, follow_redirects=False)


def test_search_lists_slots_in_words_soonest_first(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    empty = client.get("/orienter")
    assert "Rechercher" in empty.text and "Créneaux libres" not in empty.text
    text, slot_ids = _search(client)
    api = client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    assert slot_ids == [o["slot_id"] for o in api[: len(slot_ids)]] and slot_ids
    assert "aujourd&#39;hui 14 h" in text and "Claire Docteur" in text
    tomorrow_only = client.get("/orienter", params={"profession": "physio", "quand": "aujourdhui"})
    assert "Aucun créneau libre aujourd&#39;hui" in tomorrow_only.text


def test_pharmacist_books_and_sees_the_confirmation(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    _, slot_ids = _search(client)
    answer = _submit(client, slot_ids[0])
    assert answer.status_code == 303
    location = answer.headers["location"]
    referral = session.scalars(select(Referral).where(Referral.slot_id == slot_ids[0])).one()
    assert location == f"/orientations/{referral.id}"
    confirmation = client.get(location).text
    assert "Orientation confirmée" in confirmation
    assert "mardi 12 janvier 2027 à 14 h" in confirmation
    assert f"n° {referral.id}" in confirmation and "M. D." in confirmation
    counter = client.get("/orienter").text
    assert f"Orientation n° {referral.id}" in counter and "réservé" in counter


def test_taken_slot_keeps_the_form_and_offers_the_next_three(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    _, slot_ids = _search(client)
    assert book(client, booking, slot_ids[0], key="rival").status_code == 201
    lost = _submit(client, slot_ids[0], display_name="J. P.")
    assert lost.status_code == 409
    text = lost.text
    assert "Ce créneau vient d&#39;être pris par quelqu&#39;un d&#39;autre." in text
    offered = [int(s) for s in re.findall(r'name="slot_id" value="(\d+)" required', text)]
    assert offered == slot_ids[1:4]
    assert 'value="J. P."' in text and 'value="06 12 34 56 78"' in text
    assert '<option value="infection" selected>' in text and "Fièvre depuis deux jours" in text


def test_patient_form_errors_are_french_and_name_the_field(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    _, slot_ids = _search(client)
    refused = _submit(client, slot_ids[0], phone="12", birth_year="1850", reason_category="")
    assert refused.status_code == 422
    text = refused.text
    assert 'id="phone-error">Indiquez un numéro de rappel' in text
    assert 'id="birth_year-error">' in text and 'id="reason_category-error">' in text
    assert 'value="M. D."' in text
    assert session.scalars(select(Referral)).all() == []


def test_cancel_from_the_list_of_the_day(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    _, slot_ids = _search(client)
    booked = _submit(client, slot_ids[0])
    referral_id = int(booked.headers["location"].rsplit("/", 1)[1])
    counter = client.get("/orienter")
    cancelled = client.post(
        f"/orientations/{referral_id}/annuler",
        data={"csrf": csrf_of(counter.text)},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert "annulé" in client.get("/orienter").text
    assert slot_ids[0] in _search(client)[1]


def test_another_cpts_ids_answer_404_in_pages_as_in_the_api(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    slot_id = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]["slot_id"]
    referral_id = book(client, booking, slot_id).json()["id"]
    other = make_territory(session, name="CPTS Ailleurs")
    pharmacy = make_pharmacy(session, cpts_id=other.cpts.id)
    signed_in_user(
        client,
        session,
        coordinator=other.headers,
        cpts_id=other.cpts.id,
        role=Role.pharmacist,
        email="x@ailleurs.example",
        pharmacy_id=pharmacy.id,
    )
    for path in (f"/orientations/{referral_id}", f"/orienter/creneaux/{slot_id}"):
        page = client.get(path)
        assert page.status_code == 404 and "Page introuvable" in page.text
    counter = client.get("/orienter")
    cancel = client.post(
        f"/orientations/{referral_id}/annuler", data={"csrf": csrf_of(counter.text)}
    )
    assert cancel.status_code == 404
    stolen = _submit_raw(client, counter.text, slot_id)
    assert stolen.status_code == 404
    assert session.get(Referral, referral_id).status == "booked"  # type: ignore[union-attr]


def _submit_raw(client: TestClient, page: str, slot_id: int) -> Response:
    data = {"csrf": csrf_of(page), "idem": "k" * 16, "slot_id": str(slot_id), **PATIENT_FORM}
    return client.post("/orienter/reserver", data=data)


def test_ids_beyond_the_databases_range_are_refused_not_500(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    huge = 2**63
    for path in (f"/orientations/{huge}", f"/orienter/creneaux/{huge}"):
        page = client.get(path)
        assert page.status_code in (404, 422), (path, page.status_code)
    page = client.get("/orienter", params={"profession": "gp", "secteur": str(huge)})
    assert page.status_code < 500
