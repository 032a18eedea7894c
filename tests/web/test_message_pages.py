"""Messages in the pages, without JavaScript: the pharmacist writes from the referral view,
the practitioner sees the badge, reads and answers from the patient view; the fragment of
new messages; the channel of the day refuses patient identity in French."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import AuditEntry
from app.rotations.jobs import JobRunner
from app.users.models import Role
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock
from tests.web.pages import csrf_of, signed_in_practitioner, signed_in_user


def _booked(client: TestClient, booking: BookingScenario) -> tuple[int, int]:
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    referral = book(client, booking, offer["slot_id"])
    assert referral.status_code == 201
    return referral.json()["id"], offer["practitioner"]["id"]


def _signed_in_pharmacist(client: TestClient, session: Session, booking: BookingScenario) -> None:
    signed_in_user(
        client,
        session,
        coordinator=booking.coordinator,
        cpts_id=booking.scenario.territory.cpts.id,
        role=Role.pharmacist,
        email="officine@pharma.example",
        pharmacy_id=booking.pharmacy_id,
    )


def test_pharmacist_and_practitioner_exchange_through_plain_forms(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral_id, practitioner_id = _booked(client, booking)
    _signed_in_pharmacist(client, session, booking)
    doctor = booking.practitioner_headers(session, practitioner_id)
    client.post(f"/v1/referrals/{referral_id}/messages", headers=doctor, json={"body": "Bonjour"})
    counter = client.get("/orienter")
    assert f'Orientation n° {referral_id} <span class="badge">1' in counter.text
    view = client.get(f"/orientations/{referral_id}")
    assert "Messages avec le praticien" in view.text and "Bonjour" in view.text
    assert f'Orientation n° {referral_id} <span class="badge">' not in client.get("/orienter").text
    no_csrf = client.post(f"/orientations/{referral_id}/messages", data={"body": "Retard"})
    assert no_csrf.status_code == 403
    empty = client.post(
        f"/orientations/{referral_id}/messages", data={"csrf": csrf_of(view.text), "body": " "}
    )
    assert empty.status_code == 422 and "1 à 2 000 caractères" in empty.text
    sent = client.post(
        f"/orientations/{referral_id}/messages",
        data={"csrf": csrf_of(view.text), "body": "Le patient aura dix minutes de retard."},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "dix minutes de retard" in client.get(f"/orientations/{referral_id}").text

    client.cookies.clear()
    signed_in_practitioner(client, session, booking, practitioner_id)
    day = client.get("/praticien")
    assert f'href="/praticien/patients/{referral_id}"' in day.text
    assert '<span class="badge">2' in day.text  # "Bonjour" came from another of its users
    patient = client.get(f"/praticien/patients/{referral_id}")
    assert "dix minutes de retard" in patient.text and "M. D." in patient.text
    assert '<span class="badge">' not in patient.text  # opening the thread read it
    answered = client.post(
        f"/praticien/patients/{referral_id}/messages",
        data={"csrf": csrf_of(patient.text), "body": "Bien noté, merci."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    last_id = int(patient.text.split('data-message-id="')[-1].split('"')[0])
    fragment = client.get(f"/praticien/patients/{referral_id}/messages?apres={last_id}")
    assert "Bien noté" in fragment.text and "dix minutes" not in fragment.text
    assert "<html" not in fragment.text
    reads = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_id == referral_id, AuditEntry.action == "read_messages"
        )
    ).all()
    assert len(reads) >= 4


def test_channel_page_refuses_patient_identity_in_french(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _signed_in_pharmacist(client, session, booking)
    page = client.get("/canal")
    assert page.status_code == 200 and "Aucune donnée patient sur ce canal" in page.text
    refused = client.post(
        "/canal", data={"csrf": csrf_of(page.text), "body": "Rappelez Mme X au 06 12 34 56 78"}
    )
    assert refused.status_code == 422
    assert "identité de patient sur le canal : ce message contient" in refused.text
    assert "Rappelez Mme X" in refused.text  # the text stays in the form
    posted = client.post(
        "/canal",
        data={"csrf": csrf_of(page.text), "body": "Cabinet Martin fermé à 18 h"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert "Cabinet Martin fermé à 18 h" in client.get("/canal").text
