"""Open requests: posted to a profession, seen without identity until accepted, first
acceptance wins, expiry at the deadline, requester notified, visibility, audit, purge."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit import AuditEntry
from app.care_requests.models import WishedDelay
from app.care_requests.service import deadline_of, expire_open_requests
from app.competences.models import CatalogueItem, practitioner_items
from app.config import Settings
from app.events.models import StreamEvent
from app.notifications.models import Notification
from app.notifications.worker import NotificationWorker
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.users.models import User
from tests.app.care_request_scenarios import (
    RequestScenario,
    make_request_scenario,
    post_request,
    practitioner_with_headers,
    visits_at_home,
)
from tests.conftest import FrozenClock

NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)  # 12:00 in Paris


def _listen(client: TestClient, headers: dict[str, str], address: str) -> None:
    response = client.put(
        "/v1/me/notification-channels", headers=headers, json={"email": {"address": address}}
    )
    assert response.status_code == 200, response.text


def _notices(session: Session, event: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.event == event)))


def _posted(client: TestClient, setup: RequestScenario, **changes: object) -> dict:
    response = post_request(client, setup.gp, **changes)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("delay", "now", "deadline"),
    [
        ("today", NOW, datetime(2027, 1, 12, 23, 0, tzinfo=UTC)),
        (
            "today",
            datetime(2027, 3, 27, 23, 30, tzinfo=UTC),
            datetime(2027, 3, 28, 22, 0, tzinfo=UTC),
        ),
        ("24h", NOW, NOW + timedelta(hours=24)),
        ("48h", NOW, NOW + timedelta(hours=48)),
    ],
)
def test_deadline_follows_the_wished_delay_in_paris_time(
    delay: str, now: datetime, deadline: datetime
) -> None:
    assert deadline_of(WishedDelay(delay), now=now, timezone="Europe/Paris") == deadline


def test_physios_see_it_without_identity_and_the_first_acceptance_wins(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    _listen(client, setup.gp, "generaliste@example.org")
    posted = _posted(client, setup, wished_delay="today")
    assert posted["status"] == "open" and posted["deadline"] == "2027-01-12T23:00:00Z"
    assert posted["requester_practitioner_id"] == setup.gp_id and posted["pharmacy_id"] is None
    assert posted["patient_phone"] == "0612345678"
    first, second = setup.physios
    offered = client.get("/v1/care-requests?status=open", headers=first).json()
    assert [r["id"] for r in offered["items"]] == [posted["id"]]
    assert "patient_display_name" not in offered["items"][0]
    assert offered["items"][0]["requester_name"] == "Claire Généraliste, médecin"
    assert client.get("/v1/care-requests", headers=setup.nurse).json()["total"] == 0
    url = f"/v1/care-requests/{posted['id']}/accept"
    won = client.post(url, headers=first)
    assert won.status_code == 200, won.text
    assert won.json()["status"] == "accepted" and won.json()["patient_phone"] == "0612345678"
    assert won.json()["accepted_by_practitioner_id"] == setup.physio_ids[0]
    assert client.post(url, headers=first).status_code == 200
    lost = client.post(url, headers=second)
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "request_taken"
    seen = client.get(f"/v1/care-requests/{posted['id']}", headers=second).json()
    assert seen["status"] == "accepted" and "patient_phone" not in seen
    assert client.get("/v1/care-requests?status=open", headers=second).json()["total"] == 0
    [notice] = _notices(session, "care_request_accepted")
    assert "acceptée par Claire Kiné0" in notice.body and "0612345678" not in notice.body
    assert client.post(url, headers=setup.nurse).status_code == 404


def test_an_expired_request_cannot_be_accepted_and_its_requester_is_told_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    _listen(client, setup.gp, "generaliste@example.org")
    posted = _posted(client, setup)
    clock.now = NOW + timedelta(hours=24)
    read = client.get(f"/v1/care-requests/{posted['id']}", headers=setup.gp).json()
    assert read["status"] == "expired"
    refused = client.post(f"/v1/care-requests/{posted['id']}/accept", headers=setup.physios[0])
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "request_expired"
    assert client.get("/v1/care-requests?status=expired", headers=setup.gp).json()["total"] == 1
    assert expire_open_requests(session, clock.now) == 1
    assert expire_open_requests(session, clock.now + timedelta(minutes=1)) == 0
    [notice] = _notices(session, "care_request_expired")
    assert "n'a été acceptée par aucun kinésithérapeute" in notice.body
    again = client.post(f"/v1/care-requests/{posted['id']}/accept", headers=setup.physios[1])
    assert again.status_code == 410


def test_a_pharmacy_posts_and_only_it_and_the_acceptor_see_the_patient(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    response = post_request(client, setup.pharmacist, profession="nurse", act="pansement complexe")
    assert response.status_code == 201, response.text
    posted = response.json()
    assert posted["requester_name"] == "Pharmacie du Centre" and posted["pharmacy_id"]
    replay = post_request(client, setup.pharmacist, profession="nurse", act="pansement complexe")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == posted["id"]
    assert client.get("/v1/care-requests", headers=setup.physios[0]).json()["total"] == 0
    coordinator = client.get(f"/v1/care-requests/{posted['id']}", headers=setup.coordinator)
    assert coordinator.status_code == 200 and "patient_display_name" not in coordinator.json()
    elsewhere = make_request_scenario(session, name="CPTS Ailleurs")
    for headers in (elsewhere.nurse, elsewhere.pharmacist, elsewhere.coordinator):
        assert client.get(f"/v1/care-requests/{posted['id']}", headers=headers).status_code == 404
        assert client.get("/v1/care-requests", headers=headers).json()["total"] == 0
    accepted = client.post(f"/v1/care-requests/{posted['id']}/accept", headers=setup.nurse)
    assert accepted.status_code == 200 and accepted.json()["patient_display_name"] == "M. D."
    mine = client.get("/v1/care-requests?mine=true", headers=setup.pharmacist).json()
    assert mine["items"][0]["status"] == "accepted"
    audited = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "care_request", AuditEntry.subject_id == posted["id"]
        )
    ).all()
    assert {"create", "read", "accept"} <= set(audited)


def test_only_the_requester_cancels_and_a_cancelled_request_cannot_be_accepted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    posted = _posted(client, setup)
    url = f"/v1/care-requests/{posted['id']}"
    assert client.post(f"{url}/cancel", headers=setup.physios[0]).status_code == 403
    assert client.post(f"{url}/accept", headers=setup.gp).status_code == 403
    cancelled = client.post(f"{url}/cancel", headers=setup.gp)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refused = client.post(f"{url}/accept", headers=setup.physios[0])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commune_insee": "6925"}, "commune_insee"),
        ({"commune_insee": "2C123"}, "commune_insee"),
        ({"wished_delay": "72h"}, "wished_delay"),
        ({"profession": "dentist"}, "profession"),
        ({"act": ""}, "act"),
        ({"patient": {"display_name": "A", "birth_year": 1990, "phone": "12"}}, "patient.phone"),
        ({"reason_category": "boredom"}, "reason_category"),
        ({"nir": "1840312345678"}, "nir"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session, clock: FrozenClock, changes: dict, field: str
) -> None:
    setup = make_request_scenario(session)
    response = post_request(client, setup.gp, **changes)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == field
    assert client.get("/v1/care-requests", headers=setup.gp).json()["total"] == 0


def test_identity_is_purged_after_the_retention_period(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    posted = _posted(client, setup)
    clock.now = NOW + timedelta(days=32)
    purged = client.post("/v1/care-requests/purge", headers=setup.coordinator)
    assert purged.status_code == 200 and purged.json() == {"purged": 1}
    after = client.get(f"/v1/care-requests/{posted['id']}", headers=setup.gp).json()
    assert after["patient_display_name"] is None and after["patient_phone"] is None
    assert after["patient_birth_year"] == 1984 and after["status"] == "expired"


def test_the_in_process_notifier_purges_identities_past_retention(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
) -> None:
    setup = make_request_scenario(session)
    posted = _posted(client, setup)
    later = NOW + timedelta(days=32)
    worker = NotificationWorker(session_factory, Settings(run_jobs=False), clock=lambda: later)
    assert worker.purge() == 1
    clock.now = later
    after = client.get(f"/v1/care-requests/{posted['id']}", headers=setup.gp).json()
    assert after["patient_display_name"] is None and after["patient_phone"] is None


def test_practitioners_of_the_profession_get_a_live_event_when_one_is_posted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    practitioner_with_headers(
        session, cpts_id=setup.cpts_id, profession=Profession.nurse, last_name="Autre"
    )
    _posted(client, setup)
    kinds = session.scalar(
        select(func.count())
        .select_from(StreamEvent)
        .where(StreamEvent.kind == "care_request.posted")
    )
    assert kinds == 3  # the two physios and the GP who posted; no nurse


def _only_the_first_physio_takes_it(
    client: TestClient, setup: RequestScenario, request_id: int
) -> None:
    """The request is listed for the first physio only; the second's acceptance is 404."""
    declared, other = setup.physios
    assert client.get("/v1/care-requests?status=open", headers=declared).json()["total"] == 1
    assert client.get("/v1/care-requests?status=open", headers=other).json()["total"] == 0
    url = f"/v1/care-requests/{request_id}/accept"
    assert client.post(url, headers=other).status_code == 404
    assert client.post(url, headers=declared).status_code == 200


def test_a_request_naming_a_competence_goes_to_the_physios_who_declared_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    respiratory = session.scalars(
        select(CatalogueItem).where(
            CatalogueItem.cpts_id == setup.cpts_id,
            CatalogueItem.kind == "competence",
            CatalogueItem.profession == "physio",
        )
    ).first()
    assert respiratory is not None
    session.execute(
        insert(practitioner_items).values(
            practitioner_id=setup.physio_ids[0], item_id=respiratory.id
        )
    )
    session.commit()
    wrong = post_request(client, setup.gp, competence_id=respiratory.id, profession="nurse")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"][0]["field"] == "competence_id"
    posted = _posted(client, setup, competence_id=respiratory.id)
    assert posted["competence_id"] == respiratory.id
    _only_the_first_physio_takes_it(client, setup, posted["id"])


def _posted_to(session: Session) -> set[int | None]:
    """The practitioners (of the users) who got a ``care_request.posted`` live event."""
    return set(
        session.scalars(
            select(User.practitioner_id)
            .join(StreamEvent, StreamEvent.user_id == User.id)
            .where(StreamEvent.kind == "care_request.posted")
        )
    )


def test_a_home_visit_request_goes_only_to_the_physios_whose_zone_lists_its_commune(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    listed, elsewhere = setup.physios
    outside = session.get_one(Practitioner, setup.physio_ids[1])
    visits_at_home(session, outside.id, {"insee_code": "69199", "name": "Saint-Fons"})
    outside.latitude, outside.longitude, outside.zone_radius_km = 45.7, 4.88, 30.0
    session.commit()
    home = _posted(client, setup)  # a home visit in Vénissieux (69259)
    assert _posted_to(session) == {setup.physio_ids[0], setup.gp_id}
    assert client.get("/v1/care-requests?status=open", headers=elsewhere).json()["total"] == 0
    url = f"/v1/care-requests/{home['id']}"
    assert client.get(url, headers=elsewhere).status_code == 404
    assert client.post(f"{url}/accept", headers=elsewhere).status_code == 404
    assert client.get("/v1/care-requests?status=open", headers=listed).json()["total"] == 1
    at_practice = _posted(client, setup, key="request-2", home_visit=False)
    seen = client.get("/v1/care-requests?status=open", headers=elsewhere).json()
    assert [r["id"] for r in seen["items"]] == [at_practice["id"]]
    assert client.post(f"{url}/accept", headers=listed).status_code == 200


def test_a_request_naming_equipment_goes_to_the_physios_who_declared_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    items = {
        item.kind: item
        for item in session.scalars(
            select(CatalogueItem).where(
                CatalogueItem.cpts_id == setup.cpts_id,
                or_(CatalogueItem.profession == "physio", CatalogueItem.profession.is_(None)),
            )
        )
    }
    equipment, competence = items["equipment"], items["competence"]
    session.execute(
        insert(practitioner_items).values(practitioner_id=setup.physio_ids[0], item_id=equipment.id)
    )
    session.commit()
    wrong = post_request(client, setup.gp, equipment_id=competence.id)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"][0]["field"] == "equipment_id"
    posted = _posted(client, setup, equipment_id=equipment.id)
    assert posted["equipment_id"] == equipment.id
    assert _posted_to(session) == {setup.physio_ids[0], setup.gp_id}
    _only_the_first_physio_takes_it(client, setup, posted["id"])


def test_the_notifier_sweeps_expired_requests_once_a_minute(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
) -> None:
    setup = make_request_scenario(session)
    _listen(client, setup.gp, "generaliste@example.org")
    _posted(client, setup)
    later = NOW + timedelta(hours=25)
    worker = NotificationWorker(session_factory, Settings(run_jobs=False), clock=lambda: later)
    assert worker.expire_requests() == 1
    assert worker.expire_requests() == 0
    assert len(_notices(session, "care_request_expired")) == 1
