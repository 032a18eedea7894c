"""Practitioners through the HTTP API: registration, validation, filters and who sees what."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.professions import Profession
from tests.factories import (
    first_field_error,
    make_pharmacy_with_headers,
    make_practitioner,
    make_practitioner_with_headers,
    make_sector,
    make_territory,
    valid_rpps,
)


def practitioner_body(**overrides: Any) -> dict[str, Any]:
    """A valid creation body; ``overrides`` replace or add fields."""
    return {
        "rpps": valid_rpps(),
        "first_name": "Claire",
        "last_name": "Martin",
        "profession": "gp",
        **overrides,
    }


def test_practitioner_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    nord = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    sud = make_sector(session, cpts_id=territory.cpts.id, name="Sud")
    body = practitioner_body(
        profession="physio", home_visits=True, latitude=45.7, longitude=4.88, sector_ids=[nord.id]
    )
    created = client.post("/v1/practitioners", headers=territory.headers, json=body)
    assert created.status_code == 201, created.text
    practitioner = created.json()
    assert practitioner["sector_ids"] == [nord.id] and practitioner["fte"] == 1.0
    url = f"/v1/practitioners/{practitioner['id']}"

    changed = client.patch(
        url, headers=territory.headers, json={"fte": 0.5, "sector_ids": [sud.id, nord.id]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["fte"] == 0.5
    assert changed.json()["sector_ids"] == sorted([nord.id, sud.id])
    assert client.get(url, headers=territory.headers).json()["home_visits"] is True
    assert client.get("/v1/practitioners", headers=territory.headers).json()["total"] == 1


def test_delete_deactivates_and_keeps_the_record(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id)
    url = f"/v1/practitioners/{practitioner.id}"
    assert client.delete(url, headers=territory.headers).status_code == 204
    kept = client.get(url, headers=territory.headers)
    assert kept.status_code == 200 and kept.json()["active"] is False


def test_deactivated_practitioner_loses_api_access(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    assert client.get("/v1/me", headers=headers).status_code == 200
    client.delete(f"/v1/practitioners/{practitioner.id}", headers=territory.headers)
    assert client.get("/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("rpps", "problem"),
    [
        ("1000000001", "must be exactly 11 digits"),
        ("100000000123", "must be exactly 11 digits"),
        ("1000000A017", "must be exactly 11 digits"),
        ("10000000018", "check key"),
    ],
    ids=["too-short", "too-long", "letters", "bad-luhn-key"],
)
def test_invalid_rpps_is_422_naming_rpps(
    client: TestClient, session: Session, rpps: str, problem: str
) -> None:
    territory = make_territory(session)
    response = client.post(
        "/v1/practitioners", headers=territory.headers, json=practitioner_body(rpps=rpps)
    )
    assert response.status_code == 422
    error = first_field_error(response)
    assert error["field"] == "rpps"
    assert problem in error["message"] and "RPPS" in error["message"]


def test_duplicate_rpps_is_409_but_another_cpts_may_hold_it(
    client: TestClient, session: Session
) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    body = practitioner_body()
    assert client.post("/v1/practitioners", headers=mine.headers, json=body).status_code == 201
    again = client.post("/v1/practitioners", headers=mine.headers, json=body)
    assert again.status_code == 409
    assert first_field_error(again)["field"] == "rpps"
    assert client.post("/v1/practitioners", headers=theirs.headers, json=body).status_code == 201


def test_changing_rpps_to_a_colleagues_is_409(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    first = make_practitioner(session, cpts_id=territory.cpts.id)
    second = make_practitioner(session, cpts_id=territory.cpts.id)
    response = client.patch(
        f"/v1/practitioners/{second.id}", headers=territory.headers, json={"rpps": first.rpps}
    )
    assert response.status_code == 409
    assert first_field_error(response)["field"] == "rpps"


@pytest.mark.parametrize(
    ("coordinates", "field"),
    [
        ({"latitude": 91, "longitude": 4.8}, "latitude"),
        ({"latitude": 45.7, "longitude": -181}, "longitude"),
        ({"latitude": 45.7}, "longitude"),
        ({"longitude": 4.8}, "latitude"),
    ],
    ids=["latitude-range", "longitude-range", "no-longitude", "no-latitude"],
)
def test_bad_coordinates_are_422_naming_the_field(
    client: TestClient, session: Session, coordinates: dict[str, float], field: str
) -> None:
    territory = make_territory(session)
    response = client.post(
        "/v1/practitioners", headers=territory.headers, json=practitioner_body(**coordinates)
    )
    assert response.status_code == 422
    assert first_field_error(response)["field"] == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fte": 0}, "fte"),
        ({"fte": 1.5}, "fte"),
        ({"max_shifts_per_week": -1}, "max_shifts_per_week"),
        ({"profession": "dentist"}, "profession"),
        ({"last_name": None}, "last_name"),
        ({"nickname": "Clo"}, "nickname"),
    ],
    ids=["fte-zero", "fte-above-one", "negative-week", "unknown-profession", "null-name", "extra"],
)
def test_invalid_update_is_422_naming_the_field(
    client: TestClient, session: Session, change: dict[str, Any], field: str
) -> None:
    territory = make_territory(session)
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id)
    response = client.patch(
        f"/v1/practitioners/{practitioner.id}", headers=territory.headers, json=change
    )
    assert response.status_code == 422
    assert first_field_error(response)["field"] == field


def test_foreign_sector_is_422_and_nothing_is_written(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    own_sector = make_sector(session, cpts_id=mine.cpts.id, name="Nord")
    foreign_sector = make_sector(session, cpts_id=theirs.cpts.id, name="Nord")
    body = practitioner_body(sector_ids=[own_sector.id, foreign_sector.id])
    response = client.post("/v1/practitioners", headers=mine.headers, json=body)
    assert response.status_code == 422
    error = first_field_error(response)
    assert error["field"] == "sector_ids" and str(foreign_sector.id) in error["message"]
    assert client.get("/v1/practitioners", headers=mine.headers).json()["total"] == 0


def test_failed_update_leaves_the_practitioner_unchanged(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    nord = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id, sectors=[nord])
    url = f"/v1/practitioners/{practitioner.id}"
    response = client.patch(
        url, headers=territory.headers, json={"first_name": "Renamed", "sector_ids": [nord.id, 999]}
    )
    assert response.status_code == 422
    stored = client.get(url, headers=territory.headers).json()
    assert stored["first_name"] == "Claire" and stored["sector_ids"] == [nord.id]


def test_list_filters(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    cpts_id = territory.cpts.id
    nord = make_sector(session, cpts_id=cpts_id, name="Nord")
    make_practitioner(session, cpts_id=cpts_id, last_name="Martin", sectors=[nord])
    make_practitioner(session, cpts_id=cpts_id, last_name="Bernard", profession=Profession.nurse)
    leaving = make_practitioner(
        session, cpts_id=cpts_id, last_name="Martinez", profession=Profession.physio
    )
    client.delete(f"/v1/practitioners/{leaving.id}", headers=territory.headers)

    def names(query: str) -> list[str]:
        page = client.get(f"/v1/practitioners?{query}", headers=territory.headers).json()
        return [item["last_name"] for item in page["items"]]

    assert names("") == ["Bernard", "Martin", "Martinez"]
    assert names("profession=nurse") == ["Bernard"]
    assert names(f"sector_id={nord.id}") == ["Martin"]
    assert names("active=false") == ["Martinez"]
    assert names("q=martin") == ["Martin", "Martinez"]
    assert names("q=claire%20martinez") == ["Martinez"]
    assert names("q=martin&active=true") == ["Martin"]
    assert names("q=50%25") == []


def test_list_is_paginated_with_a_hard_maximum(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    for last_name in ("A", "B", "C"):
        make_practitioner(session, cpts_id=territory.cpts.id, last_name=last_name)
    page = client.get("/v1/practitioners?limit=2&offset=2", headers=territory.headers).json()
    assert page["total"] == 3 and [p["last_name"] for p in page["items"]] == ["C"]
    too_big = client.get("/v1/practitioners?limit=201", headers=territory.headers)
    assert too_big.status_code == 422
    assert first_field_error(too_big)["field"] == "limit"


def test_practitioner_reads_only_themself(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    me, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    colleague = make_practitioner(session, cpts_id=territory.cpts.id)
    assert client.get(f"/v1/practitioners/{me.id}", headers=headers).status_code == 200
    assert client.get(f"/v1/practitioners/{colleague.id}", headers=headers).status_code == 403
    assert client.get("/v1/practitioners", headers=headers).status_code == 403


def test_pharmacist_cannot_read_practitioners(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id)
    _, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    assert client.get(f"/v1/practitioners/{practitioner.id}", headers=headers).status_code == 403
    assert client.get("/v1/practitioners", headers=headers).status_code == 403


def test_practitioner_updates_own_contact_and_capabilities(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    me, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    change = {"phone": "+33 6 12 34 56 78", "teleconsultation": True, "latitude": 45.7}
    response = client.patch(
        f"/v1/practitioners/{me.id}", headers=headers, json={**change, "longitude": 4.9}
    )
    assert response.status_code == 200, response.text
    assert response.json()["teleconsultation"] is True


def test_practitioner_cannot_change_coordinator_fields_or_colleagues(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    me, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    colleague = make_practitioner(session, cpts_id=territory.cpts.id)
    refused = client.patch(
        f"/v1/practitioners/{me.id}", headers=headers, json={"phone": "0478000000", "fte": 0.2}
    )
    assert refused.status_code == 403
    assert first_field_error(refused)["field"] == "fte"
    other = client.patch(
        f"/v1/practitioners/{colleague.id}", headers=headers, json={"phone": "0478000000"}
    )
    assert other.status_code == 403
    assert client.delete(f"/v1/practitioners/{me.id}", headers=headers).status_code == 403
    stored = client.get(f"/v1/practitioners/{me.id}", headers=headers).json()
    assert stored["phone"] is None and stored["fte"] == 1.0
