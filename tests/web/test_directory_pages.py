"""The directory page in French for every role: search by profession, competence, commune
and name, a map of who was found, phones hidden from pharmacists unless on call today."""

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from app.users.models import Role
from tests.app.slot_scenarios import make_booking_scenario
from tests.conftest import FrozenClock
from tests.web.pages import signed_in_user


def test_the_directory_page_searches_and_hides_phones_from_pharmacists(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    headers = booking.coordinator
    items = client.get("/v1/catalogue?limit=200", headers=headers).json()["items"]
    ecg = next(item["id"] for item in items if item["label"] == "ECG")
    chosen = booking.scenario.gps[1].id
    for n, gp in enumerate(booking.scenario.gps):
        client.patch(
            f"/v1/practitioners/{gp.id}",
            headers=headers,
            json={
                "phone": f"04 72 00 00 0{n}",
                "latitude": 45.69 + n / 100,
                "longitude": 4.88,
                "home_visits": True,
            },
        )
    client.put(
        f"/v1/practitioners/{chosen}/declarations", headers=headers, json={"competence_ids": [ecg]}
    )
    client.put(
        f"/v1/practitioners/{chosen}/zones",
        headers=headers,
        json={"communes": [{"insee_code": "69259", "name": "Vénissieux"}], "radius_km": 2},
    )
    signed_in_user(
        client,
        session,
        coordinator=headers,
        cpts_id=booking.scenario.territory.cpts.id,
        role=Role.pharmacist,
        email="officine@pharma.example",
        pharmacy_id=booking.pharmacy_id,
    )
    page = client.get("/annuaire")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Annuaire des professionnels" in text and "4 professionnels trouvés" in text
    assert text.count("d'astreinte aujourd'hui</strong>") == 1
    assert text.count("Téléphone :") == 1, "pharmacists see the on-call phone only"
    assert text.count('class="other"') + text.count('class="oncall-gp"') == 4  # on the map
    found = unescape(client.get("/annuaire", params={"competence": ecg}).text)
    assert "1 professionnel trouvé" in found and "Compétences : ECG" in found
    assert "Vénissieux (69259), et à 2.0 km du cabinet" in found
    commune = unescape(client.get("/annuaire", params={"commune": "69259"}).text)
    assert "1 professionnel trouvé" in commune
    bad = unescape(client.get("/annuaire", params={"commune": "2C123"}).text)
    assert "code INSEE de la commune invalide" in bad and "4 professionnels trouvés" in bad
