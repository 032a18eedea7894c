"""The catalogue of competences and equipment, declarations and home-visit zones."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.competences.models import CatalogueItem
from app.practitioners.models import Practitioner
from app.professions import Profession
from tests.factories import (
    first_field_error,
    make_pharmacy_with_headers,
    make_practitioner,
    make_practitioner_with_headers,
    make_territory,
)


def catalogue(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """The whole catalogue as the caller sees it."""
    response = client.get("/v1/catalogue", headers=headers, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def item_id(items: list[dict[str, Any]], label: str) -> int:
    """The id of the item labelled ``label``."""
    return next(int(item["id"]) for item in items if item["label"] == label)


def test_a_new_cpts_gets_the_french_seed_catalogue(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    items = catalogue(client, pharmacist)
    physio = {i["label"] for i in items if i["profession"] == "physio"}
    assert "Kinésithérapie respiratoire (bronchiolite)" in physio
    assert "Lombalgie aiguë" in physio
    nurse = {i["label"] for i in catalogue(client, pharmacist, profession="nurse")}
    assert {"Pansement complexe", "Injection", "Prélèvement"} <= nurse
    equipment = {i["label"] for i in catalogue(client, pharmacist, kind="equipment")}
    assert {"Ondes de choc", "Table de verticalisation"} <= equipment
    assert all(i["profession"] is None for i in catalogue(client, pharmacist, kind="equipment"))


def test_coordinator_manages_the_catalogue(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    headers = territory.headers
    body = {"kind": "competence", "profession": "nurse", "label": "Soins palliatifs"}
    created = client.post("/v1/catalogue", headers=headers, json=body)
    assert created.status_code == 201, created.text
    url = f"/v1/catalogue/{created.json()['id']}"
    again = client.post("/v1/catalogue", headers=headers, json=body)
    assert again.status_code == 409 and first_field_error(again)["field"] == "label"
    renamed = client.patch(url, headers=headers, json={"label": "Soins palliatifs à domicile"})
    assert renamed.status_code == 200 and renamed.json()["label"] == "Soins palliatifs à domicile"
    assert client.delete(url, headers=headers).status_code == 204
    assert client.patch(url, headers=headers, json={"label": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "competence", "label": "Sans profession"}, "profession"),
        ({"kind": "equipment", "profession": "gp", "label": "ECG portable"}, "profession"),
        ({"kind": "tool", "label": "ECG portable"}, "kind"),
        ({"kind": "equipment", "label": ""}, "label"),
    ],
    ids=["competence-without-profession", "equipment-with-profession", "bad-kind", "empty"],
)
def test_bad_catalogue_items_are_refused(
    client: TestClient, session: Session, body: dict[str, Any], field: str
) -> None:
    territory = make_territory(session)
    response = client.post("/v1/catalogue", headers=territory.headers, json=body)
    assert response.status_code == 422, response.text
    assert first_field_error(response)["field"].endswith(field)
    assert (
        session.scalar(select(CatalogueItem).where(CatalogueItem.label == "ECG portable")) is None
    )


def test_only_the_coordinator_edits_the_catalogue(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    body = {"kind": "equipment", "label": "Échographe"}
    assert client.post("/v1/catalogue", headers=headers, json=body).status_code == 403


def test_practitioner_declares_their_competences_and_equipment(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    practitioner, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    practitioner.profession = Profession.physio.value
    session.commit()
    items = catalogue(client, headers)
    respiratory = item_id(items, "Kinésithérapie respiratoire (bronchiolite)")
    shock = item_id(items, "Ondes de choc")
    url = f"/v1/practitioners/{practitioner.id}/declarations"
    body = {"competence_ids": [respiratory], "equipment_ids": [shock]}
    declared = client.put(url, headers=headers, json=body)
    assert declared.status_code == 200, declared.text
    assert [c["id"] for c in declared.json()["competences"]] == [respiratory]
    assert [e["id"] for e in declared.json()["equipment"]] == [shock]
    assert client.get(url, headers=territory.headers).json() == declared.json()

    suture = item_id(items, "Suture")
    wrong = client.put(url, headers=headers, json={"competence_ids": [respiratory, suture]})
    assert wrong.status_code == 422
    assert first_field_error(wrong)["field"].endswith("competence_ids.1")
    assert "médecin généraliste" in first_field_error(wrong)["message"]
    swapped = client.put(url, headers=headers, json={"competence_ids": [shock]})
    assert swapped.status_code == 422
    assert first_field_error(swapped)["field"].endswith("competence_ids.0")
    unchanged = client.get(url, headers=headers).json()
    assert unchanged == declared.json(), "a refused declaration changes nothing"

    cleared = client.put(url, headers=territory.headers, json={})
    assert cleared.status_code == 200 and cleared.json()["competences"] == []


def test_a_practitioner_cannot_declare_for_a_colleague(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    colleague = make_practitioner(session, cpts_id=territory.cpts.id, last_name="Durand")
    for resource in ("declarations", "zones"):
        url = f"/v1/practitioners/{colleague.id}/{resource}"
        assert client.put(url, headers=headers, json={}).status_code == 403
    other = make_territory(session, name="Ailleurs")
    foreign = catalogue(client, other.headers)[0]["id"]
    own = make_practitioner(session, cpts_id=territory.cpts.id, profession=Profession.gp)
    url = f"/v1/practitioners/{own.id}/declarations"
    response = client.put(url, headers=territory.headers, json={"equipment_ids": [foreign]})
    assert response.status_code == 422
    assert first_field_error(response)["field"].endswith("equipment_ids.0")


def test_zones_of_home_visits(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    url = f"/v1/practitioners/{practitioner.id}/zones"
    body = {
        "communes": [
            {"insee_code": "69259", "name": "Vénissieux"},
            {"insee_code": "2A004", "name": "Ajaccio"},
        ],
        "radius_km": 3,
    }
    no_practice = client.put(url, headers=headers, json=body)
    assert no_practice.status_code == 422
    assert first_field_error(no_practice)["field"] == "radius_km"
    practitioner.latitude, practitioner.longitude = 45.697, 4.886
    session.commit()
    saved = client.put(url, headers=headers, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["radius_km"] == 3 and len(saved.json()["communes"]) == 2
    assert client.get(url, headers=territory.headers).json() == saved.json()
    session.refresh(practitioner)
    assert practitioner.zone_communes[0] == {"insee_code": "69259", "name": "Vénissieux"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"communes": [{"insee_code": "6925", "name": "Court"}]}, "communes.0.insee_code"),
        ({"communes": [{"insee_code": "2C004", "name": "Corse?"}]}, "communes.0.insee_code"),
        ({"communes": [{"insee_code": "69A59", "name": "Lettre"}]}, "communes.0.insee_code"),
        (
            {
                "communes": [
                    {"insee_code": "69259", "name": "Vénissieux"},
                    {"insee_code": "69259", "name": "Vénissieux"},
                ]
            },
            "communes.1",
        ),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 500}, "radius_km"),
    ],
    ids=["short-code", "bad-corsica", "letter", "twice", "zero-radius", "huge-radius"],
)
def test_bad_zones_are_refused(
    client: TestClient, session: Session, body: dict[str, Any], field: str
) -> None:
    territory = make_territory(session)
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id)
    practitioner.latitude, practitioner.longitude = 45.697, 4.886
    session.commit()
    url = f"/v1/practitioners/{practitioner.id}/zones"
    response = client.put(url, headers=territory.headers, json=body)
    assert response.status_code == 422, response.text
    assert first_field_error(response)["field"].endswith(field)
    session.refresh(practitioner)
    assert session.get(Practitioner, practitioner.id).zone_communes == []  # type: ignore[union-attr]
