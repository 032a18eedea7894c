"""Referrals: booking rules, idempotency, scoping, cancel, outcome, audit, purge."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditEntry
from app.practitioners.models import Practitioner
from app.rotations.jobs import JobRunner
from app.slots.models import Slot
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock


def _first_offer(client: TestClient, booking: BookingScenario) -> dict:
    return client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]


def test_booking_takes_the_slot_and_a_second_gets_409(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    first = book(client, booking, offer["slot_id"], note="Fièvre depuis 2 jours")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "booked" and body["patient_phone"] == "0612345678"
    assert body["practitioner_id"] == offer["practitioner"]["id"]
    second = book(client, booking, offer["slot_id"], key="key-2")
    assert second.status_code == 409 and second.json()["error"]["code"] == "slot_taken"
    remaining = [
        o["slot_id"] for o in client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    ]
    assert offer["slot_id"] not in remaining


def test_idempotent_replay_returns_the_same_referral(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    first = book(client, booking, offer["slot_id"], key="same")
    replay = book(client, booking, offer["slot_id"], key="same")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    other_body = book(client, booking, offer["slot_id"], key="same", note="autre")
    assert other_body.status_code == 422
    assert other_body.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    audited = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "referral", AuditEntry.subject_id == first.json()["id"])
        .order_by(AuditEntry.id)
    ).all()
    assert audited == ["create", "read"], "the replay returned the patient's identity"
    page = client.get("/v1/referrals", headers=booking.pharmacist).json()
    assert page["total"] == 1


def test_booking_rechecks_notice_and_never_trusts_the_search(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    clock.now = datetime(2027, 1, 12, 12, 45, tzinfo=UTC)  # 15 minutes before a 14:00 slot
    late = book(client, booking, offer["slot_id"])
    assert late.status_code == 409 and "booking window" in late.json()["error"]["message"]
    clock.now = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
    owner = booking.practitioner_headers(session, offer["practitioner"]["id"])
    client.post(f"/v1/slots/{offer['slot_id']}/block", headers=owner)
    blocked = book(client, booking, offer["slot_id"])
    assert blocked.status_code == 409
    home = book(client, booking, _first_offer(client, booking)["slot_id"], mode="home_visit")
    assert home.status_code == 422 and home.json()["error"]["fields"][0]["field"] == "mode"


def test_patient_fields_are_validated_and_nothing_else_accepted(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    slot_id = _first_offer(client, booking)["slot_id"]
    bad_phone = book(
        client, booking, slot_id, patient={"display_name": "A", "birth_year": 1990, "phone": "12"}
    )
    assert bad_phone.json()["error"]["fields"][0]["field"] == "patient.phone"
    old = book(
        client,
        booking,
        slot_id,
        patient={"display_name": "A", "birth_year": 1850, "phone": "0612345678"},
    )
    assert old.json()["error"]["fields"][0]["field"] == "patient.birth_year"
    extra = book(
        client,
        booking,
        slot_id,
        patient={"display_name": "A", "birth_year": 1990, "phone": "0612345678", "nir": "1840"},
    )
    assert extra.status_code == 422 and extra.json()["error"]["fields"][0]["field"] == "patient.nir"
    long_note = book(client, booking, slot_id, note="x" * 281)
    assert long_note.json()["error"]["fields"][0]["field"] == "note"
    no_key = client.post(
        "/v1/referrals",
        headers=booking.pharmacist,
        json={
            "slot_id": slot_id,
            "patient": {"display_name": "A", "birth_year": 1990, "phone": "0612345678"},
            "reason_category": "skin",
        },
    )
    assert no_key.status_code == 422
    assert no_key.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    assert (
        session.scalar(select(func.count()).select_from(Slot).where(Slot.status == "booked")) == 0
    )


def test_scoping_other_pharmacy_404_practitioner_own_coordinator_anonymous(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    referral_id = book(client, booking, offer["slot_id"]).json()["id"]
    other = booking.other_pharmacist(session)
    assert client.get(f"/v1/referrals/{referral_id}", headers=other).status_code == 404
    assert client.get("/v1/referrals", headers=other).json()["total"] == 0
    doctor = booking.practitioner_headers(session, offer["practitioner"]["id"])
    assert (
        client.get(f"/v1/referrals/{referral_id}", headers=doctor).json()["patient_display_name"]
        == "M. D."
    )
    colleague_id = next(
        gp.id for gp in booking.scenario.gps if gp.id != offer["practitioner"]["id"]
    )
    colleague = booking.practitioner_headers(session, colleague_id)
    assert client.get(f"/v1/referrals/{referral_id}", headers=colleague).status_code == 404
    anonymous = client.get(f"/v1/referrals/{referral_id}", headers=booking.coordinator).json()
    assert "patient_display_name" not in anonymous and "patient_phone" not in anonymous
    assert anonymous["reason_category"] == "infection"


def test_cancel_reopens_the_slot(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    referral_id = book(client, booking, offer["slot_id"]).json()["id"]
    doctor = booking.practitioner_headers(session, offer["practitioner"]["id"])
    assert client.post(f"/v1/referrals/{referral_id}/cancel", headers=doctor).status_code == 403
    cancelled = client.post(f"/v1/referrals/{referral_id}/cancel", headers=booking.pharmacist)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ids = [
        o["slot_id"] for o in client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
    ]
    assert offer["slot_id"] in ids
    again = book(client, booking, offer["slot_id"], key="after-cancel")
    assert again.status_code == 201


def test_booking_answer_and_reads_tell_where_and_when(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    cpts_id = booking.scenario.territory.cpts.id
    for practitioner in session.scalars(
        select(Practitioner).where(Practitioner.cpts_id == cpts_id)
    ):
        practitioner.practice_address = f"{practitioner.id} avenue Jean Jaurès, Vénissieux"
        practitioner.phone = "04 72 12 34 56"
    session.commit()
    offer = _first_offer(client, booking)
    booked = book(client, booking, offer["slot_id"])
    assert booked.status_code == 201, booked.text
    referral_id = booked.json()["id"]
    doctor = booking.practitioner_headers(session, offer["practitioner"]["id"])
    answers = {
        "booking": booked.json(),
        "pharmacy read": client.get(f"/v1/referrals/{referral_id}", headers=booking.pharmacist),
        "practitioner list": client.get("/v1/referrals", headers=doctor).json()["items"][0],
        "coordinator read": client.get(f"/v1/referrals/{referral_id}", headers=booking.coordinator),
    }
    for who, answer in answers.items():
        body = answer if isinstance(answer, dict) else answer.json()
        assert body["practitioner"] == offer["practitioner"], who
        assert body["practitioner"]["practice_address"] and body["practitioner"]["phone"], who
        assert body["starts_at_local"] == offer["starts_at"], who
        assert body["starts_at_local"].endswith("+01:00"), who
        assert body["ends_at_local"] == offer["ends_at"], who
        assert body["timezone"] == "Europe/Paris", who
    coordinator = answers["coordinator read"].json()  # type: ignore[union-attr]
    assert "patient_display_name" not in coordinator and "patient_phone" not in coordinator


def test_outcome_by_the_practitioner(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    referral_id = book(client, booking, offer["slot_id"]).json()["id"]
    doctor = booking.practitioner_headers(session, offer["practitioner"]["id"])
    for outcome in ("no_show", "seen"):
        early = client.post(
            f"/v1/referrals/{referral_id}/outcome", headers=doctor, json={"outcome": outcome}
        )
        assert early.status_code == 409, outcome
        error = early.json()["error"]
        assert "once its slot has begun" in error["message"], outcome
        assert error["fields"][0]["field"] == "outcome"
    assert client.get(f"/v1/referrals/{referral_id}", headers=doctor).json()["status"] == "booked"
    pharmacist = client.post(
        f"/v1/referrals/{referral_id}/outcome", headers=booking.pharmacist, json={"outcome": "seen"}
    )
    assert pharmacist.status_code == 403
    clock.now = datetime(2027, 1, 12, 13, 30, tzinfo=UTC)
    seen = client.post(
        f"/v1/referrals/{referral_id}/outcome", headers=doctor, json={"outcome": "seen"}
    )
    assert seen.status_code == 200 and seen.json()["status"] == "seen"


def test_every_read_and_write_is_audited(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral_id = book(client, booking, _first_offer(client, booking)["slot_id"]).json()["id"]
    client.get(f"/v1/referrals/{referral_id}", headers=booking.pharmacist)
    client.get("/v1/referrals", headers=booking.coordinator)
    client.post(f"/v1/referrals/{referral_id}/cancel", headers=booking.pharmacist)
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.cpts_id == booking.scenario.territory.cpts.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "read", "list", "read", "cancel"]
    assert entries[2].details == {"referral_ids": [referral_id]}
    assert all(e.actor_user_id is not None for e in entries)


def test_purge_blanks_identity_and_keeps_the_record(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral_id = book(client, booking, _first_offer(client, booking)["slot_id"]).json()["id"]
    clock.now += timedelta(days=29)
    assert client.post("/v1/referrals/purge", headers=booking.coordinator).json() == {"purged": 0}
    clock.now += timedelta(days=2)
    assert client.post("/v1/referrals/purge", headers=booking.coordinator).json() == {"purged": 1}
    kept = client.get(f"/v1/referrals/{referral_id}", headers=booking.pharmacist).json()
    assert (
        kept["patient_display_name"] is None
        and kept["patient_phone"] is None
        and kept["note"] is None
    )
    assert kept["patient_birth_year"] == 1984 and kept["reason_category"] == "infection"
    assert client.get("/v1/referrals", headers=booking.coordinator).json()["total"] == 1
    assert client.post("/v1/referrals/purge", headers=booking.pharmacist).status_code == 403


def test_replaced_shift_flags_its_booked_referral(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    referral_id = book(client, booking, offer["slot_id"]).json()["id"]
    shifts = client.get(
        f"/v1/rotations/{booking.rotation_id}/shifts?from=2027-01-12&to=2027-01-12",
        headers=booking.coordinator,
    ).json()["items"]
    cancelled = client.post(
        f"/v1/rotations/{booking.rotation_id}/shifts/{shifts[0]['id']}/cancel",
        headers=booking.coordinator,
        json={"reason": "malade"},
    )
    assert cancelled.status_code == 200
    flagged = client.get("/v1/referrals?needs_attention=true", headers=booking.coordinator).json()
    assert [r["id"] for r in flagged["items"]] == [referral_id]
    assert "cancelled" in flagged["items"][0]["needs_attention"]
    assert client.get("/v1/slots", headers=booking.pharmacist).json()["items"] == []


def test_pharmacy_that_referred_patients_cannot_be_deleted(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    book(client, booking, _first_offer(client, booking)["slot_id"])
    response = client.delete(f"/v1/pharmacies/{booking.pharmacy_id}", headers=booking.coordinator)
    assert response.status_code == 409 and "referrals" in response.json()["error"]["message"]


PATIENT_FIELDS = {"patient_display_name", "patient_birth_year", "patient_phone", "note"}


def test_coordinator_never_receives_a_patient_field(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral_id = book(client, booking, _first_offer(client, booking)["slot_id"]).json()["id"]
    listed = client.get("/v1/referrals", headers=booking.coordinator).json()["items"]
    read = client.get(f"/v1/referrals/{referral_id}", headers=booking.coordinator).json()
    cancelled = client.post(f"/v1/referrals/{referral_id}/cancel", headers=booking.coordinator)
    for seen in (listed[0], read, cancelled.json()):
        assert seen["id"] == referral_id and seen["reason_category"] == "infection"
        assert PATIENT_FIELDS.isdisjoint(seen), sorted(PATIENT_FIELDS & set(seen))
    pharmacy_view = client.get(f"/v1/referrals/{referral_id}", headers=booking.pharmacist).json()
    assert set(pharmacy_view) >= PATIENT_FIELDS and pharmacy_view["patient_birth_year"] == 1984


def test_referral_and_notification_lists_refuse_an_instant_without_offset(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    offer = _first_offer(client, booking)
    assert book(client, booking, offer["slot_id"]).status_code == 201
    for path in ("/v1/referrals", "/v1/notifications"):
        for name, value in (("from", "2027-01-12"), ("to", "2027-01-12T20:00:00")):
            naive = client.get(path, params={name: value}, headers=booking.coordinator)
            assert naive.status_code == 422, (path, name, naive.text)
            error = naive.json()["error"]
            assert error["fields"][0]["field"] == name
            assert "UTC offset" in error["fields"][0]["message"]
    aware = client.get(
        "/v1/referrals", params={"from": "2027-01-12T00:00:00+01:00"}, headers=booking.pharmacist
    )
    assert aware.status_code == 200 and aware.json()["total"] == 1
