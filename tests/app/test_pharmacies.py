"""Pharmacies through the HTTP API: registration, validation, filters and who sees what."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    first_field_error,
    make_pharmacy,
    make_pharmacy_with_headers,
    make_practitioner_with_headers,
    make_sector,
    make_territory,
    valid_finess,
)


def pharmacy_body(**overrides: Any) -> dict[str, Any]:
    """A valid creation body; ``overrides`` replace or add fields."""
    return {"finess": valid_finess(), "name": "Pharmacie du Centre", **overrides}


def test_pharmacy_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    nord = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    body = pharmacy_body(latitude=45.69, longitude=4.88, sector_id=nord.id)
    created = client.post("/v1/pharmacies", headers=territory.headers, json=body)
    assert created.status_code == 201, created.text
    url = f"/v1/pharmacies/{created.json()['id']}"
    assert created.json()["sector_id"] == nord.id

    changed = client.patch(
        url, headers=territory.headers, json={"phone": "04 78 70 00 00", "sector_id": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sector_id"] is None and changed.json()["phone"] == "04 78 70 00 00"
    assert client.get(url, headers=territory.headers).json()["name"] == "Pharmacie du Centre"
    assert client.get("/v1/pharmacies", headers=territory.headers).json()["total"] == 1
    assert client.delete(url, headers=territory.headers).status_code == 204
    assert client.get(url, headers=territory.headers).status_code == 404


@pytest.mark.parametrize(
    ("finess", "problem"),
    [
        ("69000123", "must be 9 characters"),
        ("6900012AB", "must be 9 characters"),
        ("2C0001235", "must be 9 characters"),
        ("690001236", "check key"),
    ],
    ids=["too-short", "letters", "not-corsica", "bad-key"],
)
def test_invalid_finess_is_422_naming_finess(
    client: TestClient, session: Session, finess: str, problem: str
) -> None:
    territory = make_territory(session)
    response = client.post(
        "/v1/pharmacies", headers=territory.headers, json=pharmacy_body(finess=finess)
    )
    assert response.status_code == 422
    error = first_field_error(response)
    assert error["field"] == "finess"
    assert problem in error["message"] and "FINESS" in error["message"]


@pytest.mark.parametrize("department", ["2A", "2B"])
def test_corsican_finess_is_accepted_with_the_right_key(
    client: TestClient, session: Session, department: str
) -> None:
    territory = make_territory(session)
    finess = valid_finess(department=department)
    created = client.post(
        "/v1/pharmacies", headers=territory.headers, json=pharmacy_body(finess=finess)
    )
    assert created.status_code == 201, created.text
    assert created.json()["finess"] == finess
    wrong_key = finess[:-1] + str((int(finess[-1]) + 1) % 10)
    refused = client.post(
        "/v1/pharmacies", headers=territory.headers, json=pharmacy_body(finess=wrong_key)
    )
    assert refused.status_code == 422
    assert first_field_error(refused)["field"] == "finess"


def test_duplicate_finess_is_409(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    body = pharmacy_body()
    assert client.post("/v1/pharmacies", headers=territory.headers, json=body).status_code == 201
    again = client.post("/v1/pharmacies", headers=territory.headers, json=body)
    assert again.status_code == 409
    assert first_field_error(again)["field"] == "finess"


def test_foreign_sector_is_422_and_nothing_is_written(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    foreign_sector = make_sector(session, cpts_id=theirs.cpts.id, name="Nord")
    response = client.post(
        "/v1/pharmacies", headers=mine.headers, json=pharmacy_body(sector_id=foreign_sector.id)
    )
    assert response.status_code == 422
    assert first_field_error(response)["field"] == "sector_id"
    assert client.get("/v1/pharmacies", headers=mine.headers).json()["total"] == 0


def test_failed_update_leaves_the_pharmacy_unchanged(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    pharmacy = make_pharmacy(session, cpts_id=territory.cpts.id)
    url = f"/v1/pharmacies/{pharmacy.id}"
    response = client.patch(url, headers=territory.headers, json={"name": "New", "latitude": 45.7})
    assert response.status_code == 422
    assert first_field_error(response)["field"] == "longitude"
    assert client.get(url, headers=territory.headers).json()["name"] == "Pharmacie du Centre"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"latitude": -91, "longitude": 4.8}, "latitude"), ({"name": None}, "name")],
    ids=["latitude-range", "null-name"],
)
def test_invalid_update_is_422_naming_the_field(
    client: TestClient, session: Session, change: dict[str, Any], field: str
) -> None:
    territory = make_territory(session)
    pharmacy = make_pharmacy(session, cpts_id=territory.cpts.id)
    response = client.patch(f"/v1/pharmacies/{pharmacy.id}", headers=territory.headers, json=change)
    assert response.status_code == 422
    assert first_field_error(response)["field"] == field


def test_list_filters_and_pagination(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    cpts_id = territory.cpts.id
    nord = make_sector(session, cpts_id=cpts_id, name="Nord")
    make_pharmacy(session, cpts_id=cpts_id, name="Pharmacie des Minguettes", sector_id=nord.id)
    make_pharmacy(session, cpts_id=cpts_id, name="Pharmacie du Centre")
    make_pharmacy(session, cpts_id=cpts_id, name="Grande Pharmacie")

    def names(query: str) -> list[str]:
        page = client.get(f"/v1/pharmacies?{query}", headers=territory.headers).json()
        return [item["name"] for item in page["items"]]

    assert names("") == ["Grande Pharmacie", "Pharmacie des Minguettes", "Pharmacie du Centre"]
    assert names(f"sector_id={nord.id}") == ["Pharmacie des Minguettes"]
    assert names("q=centre") == ["Pharmacie du Centre"]
    assert names("limit=1&offset=1") == ["Pharmacie des Minguettes"]
    assert client.get("/v1/pharmacies?limit=201", headers=territory.headers).status_code == 422


def test_pharmacist_reads_only_their_pharmacy(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    other_territory = make_territory(session, name="B")
    mine, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    neighbour = make_pharmacy(session, cpts_id=territory.cpts.id, name="Voisine")
    far_away = make_pharmacy(session, cpts_id=other_territory.cpts.id)
    assert client.get(f"/v1/pharmacies/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/v1/pharmacies/{neighbour.id}", headers=headers).status_code == 403
    assert client.get(f"/v1/pharmacies/{far_away.id}", headers=headers).status_code == 404
    assert client.get("/v1/pharmacies", headers=headers).status_code == 403
    refused = client.patch(f"/v1/pharmacies/{mine.id}", headers=headers, json={"name": "Mine"})
    assert refused.status_code == 403


def test_practitioner_cannot_read_pharmacies(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    pharmacy = make_pharmacy(session, cpts_id=territory.cpts.id)
    _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    assert client.get(f"/v1/pharmacies/{pharmacy.id}", headers=headers).status_code == 403


def test_deleting_a_pharmacy_ends_its_pharmacists_access(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    pharmacy, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    url = f"/v1/pharmacies/{pharmacy.id}"
    assert client.delete(url, headers=territory.headers).status_code == 204
    assert client.get("/v1/me", headers=headers).status_code == 401
