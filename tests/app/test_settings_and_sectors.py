"""CPTS settings and sectors through the HTTP API."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_territory


def test_settings_show_defaults(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    body = client.get("/v1/settings", headers=territory.headers).json()
    assert body["timezone"] == "Europe/Paris"
    assert body["oncall_start"] == "14:00:00" and body["oncall_end"] == "20:00:00"
    assert body["blocks"] == [{"start": "14:00:00", "end": "20:00:00"}]
    slots = {p["profession"]: p["slot_minutes"] for p in body["professions"]}
    assert slots == {"gp": 15, "physio": 30, "nurse": 30}


def test_coordinator_splits_window_into_blocks(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    blocks = [{"start": "14:00", "end": "17:00"}, {"start": "17:00", "end": "20:00"}]
    response = client.patch(
        "/v1/settings",
        headers=territory.headers,
        json={
            "blocks": blocks,
            "professions": [{"profession": "gp", "slot_minutes": 20, "free_slots_per_shift": 3}],
        },
    )
    assert response.status_code == 200, response.text
    body = client.get("/v1/settings", headers=territory.headers).json()
    assert [b["start"] for b in body["blocks"]] == ["14:00:00", "17:00:00"]
    gp = next(p for p in body["professions"] if p["profession"] == "gp")
    assert gp == {"profession": "gp", "slot_minutes": 20, "free_slots_per_shift": 3}


def test_unknown_timezone_is_422_naming_the_field(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    response = client.patch(
        "/v1/settings", headers=territory.headers, json={"timezone": "Europe/Lyon"}
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields[0]["field"] == "timezone"
    assert "unknown IANA timezone" in fields[0]["message"]


def test_inverted_window_is_422_and_nothing_changes(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    response = client.patch(
        "/v1/settings",
        headers=territory.headers,
        json={"name": "Renamed", "oncall_start": "20:00", "oncall_end": "14:00"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "oncall_end"
    assert client.get("/v1/settings", headers=territory.headers).json()["name"] == "CPTS Test"


def test_blocks_with_gap_are_refused(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    blocks = [{"start": "14:00", "end": "16:00"}, {"start": "17:00", "end": "20:00"}]
    response = client.patch("/v1/settings", headers=territory.headers, json={"blocks": blocks})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "blocks.1"


def test_overseas_timezone_and_alsace_subdivision(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    response = client.patch(
        "/v1/settings",
        headers=territory.headers,
        json={"timezone": "America/Cayenne", "holiday_subdivision": "57"},
    )
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Cayenne"
    bad = client.patch(
        "/v1/settings", headers=territory.headers, json={"holiday_subdivision": "XX"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "holiday_subdivision"


def test_sector_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    created = client.post(
        "/v1/sectors", headers=territory.headers, json={"name": "Nord", "communes": ["Vénissieux"]}
    )
    assert created.status_code == 201
    sector_id = created.json()["id"]
    renamed = client.patch(
        f"/v1/sectors/{sector_id}", headers=territory.headers, json={"name": "Sud"}
    )
    assert renamed.json()["name"] == "Sud"
    page = client.get("/v1/sectors", headers=territory.headers).json()
    assert page["total"] == 1 and page["items"][0]["communes"] == ["Vénissieux"]
    assert client.delete(f"/v1/sectors/{sector_id}", headers=territory.headers).status_code == 204
    assert client.get(f"/v1/sectors/{sector_id}", headers=territory.headers).status_code == 404


def test_duplicate_sector_name_is_409(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    client.post("/v1/sectors", headers=territory.headers, json={"name": "Nord"})
    response = client.post("/v1/sectors", headers=territory.headers, json={"name": "Nord"})
    assert response.status_code == 409
    assert response.json()["error"]["fields"][0]["field"] == "name"


def test_other_cpts_sector_is_404(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    sector_id = client.post("/v1/sectors", headers=theirs.headers, json={"name": "Nord"}).json()[
        "id"
    ]
    assert client.get(f"/v1/sectors/{sector_id}", headers=mine.headers).status_code == 404
    assert client.delete(f"/v1/sectors/{sector_id}", headers=mine.headers).status_code == 404
    assert client.get("/v1/sectors", headers=mine.headers).json()["total"] == 0


def test_null_for_a_required_field_is_422_naming_it(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    sector_id = client.post("/v1/sectors", headers=territory.headers, json={"name": "Nord"}).json()[
        "id"
    ]
    response = client.patch(
        f"/v1/sectors/{sector_id}", headers=territory.headers, json={"name": None}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "name"
    settings = client.patch("/v1/settings", headers=territory.headers, json={"timezone": None})
    assert settings.status_code == 422
    assert settings.json()["error"]["fields"][0]["field"] == "timezone"


def test_sectors_and_users_are_searched_by_words_of_their_name(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    for name in ("Vénissieux Nord", "Vénissieux Sud", "Saint-Fons"):
        client.post("/v1/sectors", headers=territory.headers, json={"name": name})
    found = client.get("/v1/sectors", headers=territory.headers, params={"q": "sud vénissieux"})
    assert [s["name"] for s in found.json()["items"]] == ["Vénissieux Sud"]
    for name in ("Dr Claire Martin", "Dr Paul Martin"):
        body = {"role": "coordinator", "display_name": name}
        assert client.post("/v1/users", headers=territory.headers, json=body).status_code == 201
    users = client.get("/v1/users", headers=territory.headers, params={"q": "claire"}).json()
    assert [u["display_name"] for u in users["items"]] == ["Dr Claire Martin"]
    too_long = client.get("/v1/users", headers=territory.headers, params={"q": "x" * 101})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["fields"][0]["field"] == "q"
