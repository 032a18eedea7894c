"""A practitioner (typically a GP) refers a patient to a physio's or a nurse's slot: same
booking, idempotency, visibility, audit and purge rules as a pharmacy."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import AuditEntry
from app.notifications.models import Notification
from app.professions import Profession
from app.referrals.models import Referral
from app.slots.models import Slot
from app.users.models import Role
from tests.app.slot_scenarios import PATIENT
from tests.conftest import FrozenClock
from tests.factories import (
    make_open_slots,
    make_pharmacy_with_headers,
    make_practitioner,
    make_territory,
    make_user_headers,
)

FIRST_SLOT = datetime(2027, 1, 12, 13, 0, tzinfo=UTC)  # 14:00 in Paris, the clock is 12:00


@dataclass(frozen=True)
class GpAndPhysio:
    """A GP who refers, a physio with open slots, and a second GP of the same CPTS."""

    cpts_id: int
    gp_id: int
    gp: dict[str, str]
    other_gp: dict[str, str]
    physio_id: int
    physio: dict[str, str]
    slot_ids: list[int]


def _practitioner_headers(session: Session, cpts_id: int, practitioner_id: int) -> dict[str, str]:
    return make_user_headers(
        session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=practitioner_id
    )


def _setup(session: Session, *, name: str = "CPTS Test") -> GpAndPhysio:
    cpts_id = make_territory(session, name=name).cpts.id
    slot_ids = make_open_slots(
        session, cpts_id=cpts_id, count=3, first_start=FIRST_SLOT, profession=Profession.physio
    )
    physio_id = session.get_one(Slot, slot_ids[0]).practitioner_id
    gp = make_practitioner(session, cpts_id=cpts_id, last_name="Généraliste")
    other = make_practitioner(session, cpts_id=cpts_id, last_name="Autre")
    headers = _practitioner_headers(session, cpts_id, gp.id)
    session.commit()
    return GpAndPhysio(
        cpts_id=cpts_id,
        gp_id=gp.id,
        gp=headers,
        other_gp=_practitioner_headers(session, cpts_id, other.id),
        physio_id=physio_id,
        physio=_practitioner_headers(session, cpts_id, physio_id),
        slot_ids=slot_ids,
    )


def _book(client: TestClient, headers: dict[str, str], slot_id: int, *, key: str = "gp-1") -> dict:
    response = client.post(
        "/v1/referrals",
        headers={**headers, "Idempotency-Key": key},
        json={"slot_id": slot_id, "patient": PATIENT, "reason_category": "musculoskeletal"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_gp_finds_and_books_a_physio_slot_recorded_as_the_referrer(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = _setup(session)
    found = client.get("/v1/slots?profession=physio", headers=setup.gp).json()["items"]
    assert [o["slot_id"] for o in found] == setup.slot_ids
    referral = _book(client, setup.gp, setup.slot_ids[0])
    assert referral["referrer_practitioner_id"] == setup.gp_id
    assert referral["pharmacy_id"] is None
    assert referral["practitioner_id"] == setup.physio_id
    assert referral["profession"] == "physio" and referral["patient_phone"] == "0612345678"
    replay = client.post(
        "/v1/referrals",
        headers={**setup.gp, "Idempotency-Key": "gp-1"},
        json={
            "slot_id": setup.slot_ids[0],
            "patient": PATIENT,
            "reason_category": "musculoskeletal",
        },
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == referral["id"]
    again = client.post(
        "/v1/referrals",
        headers={**setup.gp, "Idempotency-Key": "gp-2"},
        json={"slot_id": setup.slot_ids[0], "patient": PATIENT, "reason_category": "other"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "slot_taken"
    stored = session.get_one(Referral, referral["id"])
    assert (stored.pharmacy_id, stored.referrer_practitioner_id) == (None, setup.gp_id)


def test_gp_sees_their_referrals_but_not_other_practitioners(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = _setup(session)
    mine = _book(client, setup.gp, setup.slot_ids[0])
    theirs = _book(client, setup.other_gp, setup.slot_ids[1], key="other-1")
    listed = client.get("/v1/referrals", headers=setup.gp).json()
    assert [r["id"] for r in listed["items"]] == [mine["id"]]
    assert client.get(f"/v1/referrals/{theirs['id']}", headers=setup.gp).status_code == 404
    received = client.get("/v1/referrals", headers=setup.physio).json()
    assert {r["id"] for r in received["items"]} == {mine["id"], theirs["id"]}
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=setup.cpts_id)
    assert client.get("/v1/referrals", headers=pharmacist).json()["total"] == 0
    assert client.get(f"/v1/referrals/{mine['id']}", headers=pharmacist).status_code == 404
    reads = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "referral", AuditEntry.subject_id == mine["id"]
        )
    ).all()
    assert {e.action for e in reads} >= {"create"}


def test_no_cross_cpts_gp_referral(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    here = _setup(session)
    elsewhere = _setup(session, name="CPTS Ailleurs")
    refused = client.post(
        "/v1/referrals",
        headers={**elsewhere.gp, "Idempotency-Key": "x"},
        json={"slot_id": here.slot_ids[0], "patient": PATIENT, "reason_category": "other"},
    )
    assert refused.status_code == 404
    mine = _book(client, here.gp, here.slot_ids[0])
    assert client.get(f"/v1/referrals/{mine['id']}", headers=elsewhere.physio).status_code == 404


def test_referrer_cancels_the_receiver_records_the_outcome_not_the_reverse(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = _setup(session)
    first = _book(client, setup.gp, setup.slot_ids[0])
    url = f"/v1/referrals/{first['id']}"
    assert client.post(f"{url}/cancel", headers=setup.physio).status_code == 403
    cancelled = client.post(f"{url}/cancel", headers=setup.gp)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    second = _book(client, setup.gp, setup.slot_ids[1], key="gp-2")
    clock.now = FIRST_SLOT + timedelta(hours=1)
    url = f"/v1/referrals/{second['id']}/outcome"
    assert client.post(url, headers=setup.gp, json={"outcome": "seen"}).status_code == 403
    seen = client.post(url, headers=setup.physio, json={"outcome": "seen"})
    assert seen.status_code == 200 and seen.json()["status"] == "seen"


def test_a_practitioner_cannot_refer_to_themself(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = _setup(session)
    response = client.post(
        "/v1/referrals",
        headers={**setup.physio, "Idempotency-Key": "self"},
        json={"slot_id": setup.slot_ids[0], "patient": PATIENT, "reason_category": "other"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "slot_id"
    assert session.get_one(Slot, setup.slot_ids[0]).status == "open"


def test_physio_is_notified_with_the_gp_as_referrer_and_identity_is_purged(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = _setup(session)
    client.put(
        "/v1/me/notification-channels",
        headers=setup.physio,
        json={"email": {"address": "kine@example.org"}},
    )
    referral = _book(client, setup.gp, setup.slot_ids[0])
    notice = session.scalars(
        select(Notification).where(Notification.event == "referral_booked")
    ).one()
    assert "Claire Généraliste, médecin vous oriente un patient" in notice.body
    assert notice.data["referrer_practitioner_id"] == setup.gp_id
    assert PATIENT["display_name"] not in notice.body
    clock.now = FIRST_SLOT + timedelta(days=31)
    coordinator = make_user_headers(session, cpts_id=setup.cpts_id, role=Role.coordinator)
    purged = client.post("/v1/referrals/purge", headers=coordinator)
    assert purged.status_code == 200 and purged.json()["purged"] == 1
    after = client.get(f"/v1/referrals/{referral['id']}", headers=setup.gp).json()
    assert after["patient_display_name"] is None and after["patient_phone"] is None


def test_database_refuses_a_referral_with_both_or_no_referrer(
    session: Session, clock: FrozenClock, client: TestClient
) -> None:
    setup = _setup(session)
    referral_id = _book(client, setup.gp, setup.slot_ids[0])["id"]
    pharmacy, _ = make_pharmacy_with_headers(session, cpts_id=setup.cpts_id)
    mine = update(Referral).where(Referral.id == referral_id)
    for referrers in ({"pharmacy_id": pharmacy.id}, {"referrer_practitioner_id": None}):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(mine.values(**referrers))
