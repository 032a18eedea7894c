"""Slot search by competence, equipment and home-visit zone; the directory."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from tests.app.slot_scenarios import BookingScenario, make_booking_scenario
from tests.conftest import FrozenClock
from tests.factories import first_field_error

SEARCH = "/v1/slots"
PRACTICE = (45.697, 4.886)


def offers(client: TestClient, booking: BookingScenario, **params: Any) -> list[dict[str, Any]]:
    """Every offer of a 48-hour search with ``params``."""
    response = client.get(
        SEARCH, headers=booking.pharmacist, params={"within_hours": 48, "limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def label_id(client: TestClient, booking: BookingScenario, label: str) -> int:
    """The id of a catalogue item by label."""
    items = client.get("/v1/catalogue?limit=200", headers=booking.coordinator).json()["items"]
    return next(int(item["id"]) for item in items if item["label"] == label)


def offered_to(found: list[dict[str, Any]]) -> set[int]:
    """The practitioners whose slots were offered."""
    return {offer["practitioner"]["id"] for offer in found}


def practitioner_with_slots(client: TestClient, booking: BookingScenario) -> int:
    """A practitioner offered by the plain search, and checks there are others."""
    everyone = offered_to(offers(client, booking))
    assert len(everyone) >= 2, "the scenario offers slots of several practitioners"
    return min(everyone)


def test_search_by_competence_and_equipment(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    chosen = practitioner_with_slots(client, booking)
    suture = label_id(client, booking, "Suture")
    ecg = label_id(client, booking, "Électrocardiographe (ECG)")
    assert offers(client, booking, competence_id=suture) == []
    declared = client.put(
        f"/v1/practitioners/{chosen}/declarations",
        headers=booking.practitioner_headers(session, chosen),
        json={"competence_ids": [suture], "equipment_ids": [ecg]},
    )
    assert declared.status_code == 200, declared.text
    assert offered_to(offers(client, booking, competence_id=suture)) == {chosen}
    assert offered_to(offers(client, booking, equipment_id=ecg)) == {chosen}
    petite = label_id(client, booking, "Petite chirurgie")
    assert offers(client, booking, competence_id=suture, equipment_id=petite) == []


def _home_visits_everywhere(client: TestClient, booking: BookingScenario) -> None:
    for gp in booking.scenario.gps:
        changed = client.patch(
            f"/v1/practitioners/{gp.id}",
            headers=booking.coordinator,
            json={"home_visits": True, "latitude": PRACTICE[0], "longitude": PRACTICE[1]},
        )
        assert changed.status_code == 200, changed.text


def test_home_visit_search_only_offers_practitioners_covering_the_patient(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _home_visits_everywhere(client, booking)
    chosen = practitioner_with_slots(client, booking)
    assert len(offered_to(offers(client, booking, mode="home_visit"))) >= 2
    assert offers(client, booking, commune="69259") == [], "nobody has declared a zone yet"
    zones = client.put(
        f"/v1/practitioners/{chosen}/zones",
        headers=booking.coordinator,
        json={"communes": [{"insee_code": "69259", "name": "Vénissieux"}], "radius_km": 2},
    )
    assert zones.status_code == 200, zones.text
    assert offered_to(offers(client, booking, commune="69259")) == {chosen}
    assert offered_to(offers(client, booking, commune="69259", mode="home_visit")) == {chosen}
    assert offers(client, booking, commune="69199") == [], "outside the zone: not offered"
    near_practice = f"{PRACTICE[0] + 0.01},{PRACTICE[1]}"  # about 1.1 km north
    assert offered_to(offers(client, booking, mode="home_visit", near=near_practice)) == {chosen}
    far = f"{PRACTICE[0] + 0.1},{PRACTICE[1]}"  # about 11 km north
    assert offers(client, booking, mode="home_visit", near=far) == []
    everyone = offered_to(offers(client, booking, near=far))
    assert len(everyone) >= 2, "near alone only sorts: in-practice slots stay offered"


def test_bad_search_filters_name_their_field(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    for params, field in (
        ({"commune": "6925"}, "commune"),
        ({"commune": "69259", "mode": "in_practice"}, "commune"),
        ({"competence_id": 0}, "competence_id"),
    ):
        response = client.get(SEARCH, headers=booking.pharmacist, params=params)
        assert response.status_code == 422, (params, response.text)
        assert first_field_error(response)["field"] == field


def test_directory_lists_practitioners_and_hides_phones_from_pharmacists(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    for gp in booking.scenario.gps:
        client.patch(
            f"/v1/practitioners/{gp.id}",
            headers=booking.coordinator,
            json={"phone": "04 72 00 00 00"},
        )
    everyone = client.get("/v1/directory", headers=booking.coordinator).json()
    assert everyone["total"] == len(booking.scenario.gps)
    assert all(entry["phone"] == "04 72 00 00 00" for entry in everyone["items"])
    on_call = [entry for entry in everyone["items"] if entry["on_call_today"]]
    assert len(on_call) == 1, "one GP on call each weekday"
    seen = client.get("/v1/directory", headers=booking.pharmacist).json()["items"]
    phones = {entry["id"]: entry["phone"] for entry in seen}
    assert phones[on_call[0]["id"]] == "04 72 00 00 00"
    assert [p for i, p in phones.items() if i != on_call[0]["id"]] == [None] * 3
    today = client.get("/v1/directory?on_call_today=true", headers=booking.pharmacist).json()[
        "items"
    ]
    assert [entry["id"] for entry in today] == [on_call[0]["id"]]
    colleague = booking.practitioner_headers(session, on_call[0]["id"])
    assert client.get("/v1/directory?limit=2", headers=colleague).json()["total"] == 4


def test_directory_filters_by_competence_and_zone(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _home_visits_everywhere(client, booking)
    chosen = booking.scenario.gps[1].id
    ecg = label_id(client, booking, "ECG")
    client.put(
        f"/v1/practitioners/{chosen}/declarations",
        headers=booking.coordinator,
        json={"competence_ids": [ecg]},
    )
    client.put(
        f"/v1/practitioners/{chosen}/zones",
        headers=booking.coordinator,
        json={"communes": [{"insee_code": "2A004", "name": "Ajaccio"}]},
    )
    by_competence = client.get(
        f"/v1/directory?competence_id={ecg}", headers=booking.pharmacist
    ).json()
    assert [entry["id"] for entry in by_competence["items"]] == [chosen]
    entry = by_competence["items"][0]
    assert [c["label"] for c in entry["competences"]] == ["ECG"]
    assert entry["zones"]["communes"] == [{"insee_code": "2A004", "name": "Ajaccio"}]
    assert entry["modes"] == ["in_practice", "home_visit"]
    by_commune = client.get("/v1/directory?commune=2A004", headers=booking.pharmacist).json()
    assert [entry["id"] for entry in by_commune["items"]] == [chosen]
    outside = client.get("/v1/directory?commune=69259", headers=booking.pharmacist).json()
    assert outside["items"] == []
    named = client.get("/v1/directory?q=docteur1", headers=booking.pharmacist).json()
    assert [entry["id"] for entry in named["items"]] == [chosen]
    bad = client.get("/v1/directory?commune=2C004", headers=booking.pharmacist)
    assert bad.status_code == 422 and first_field_error(bad)["field"] == "commune"
