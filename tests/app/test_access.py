"""Cross-cutting access rules through the HTTP API: authentication, roles and tenancy."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    Territory,
    bearer,
    first_field_error,
    make_pharmacy,
    make_pharmacy_with_headers,
    make_practitioner,
    make_practitioner_with_headers,
    make_territory,
)

PROTECTED_ROUTES = [
    ("GET", "/v1/me"),
    ("GET", "/v1/settings"),
    ("GET", "/v1/sectors"),
    ("GET", "/v1/practitioners"),
    ("GET", "/v1/pharmacies"),
    ("POST", "/v1/users"),
]

COORDINATOR_ROUTES = [
    ("POST", "/v1/sectors", {"name": "Nord"}),
    ("PATCH", "/v1/settings", {"name": "Taken over"}),
    ("POST", "/v1/users", {"role": "coordinator", "display_name": "Intruder"}),
    ("POST", "/v1/practitioners", {}),
    ("POST", "/v1/pharmacies", {}),
    ("GET", "/v1/users", None),
]

FOREIGN_OBJECT_REQUESTS = [
    ("GET", "practitioners"),
    ("PATCH", "practitioners"),
    ("DELETE", "practitioners"),
    ("GET", "pharmacies"),
    ("PATCH", "pharmacies"),
    ("DELETE", "pharmacies"),
    ("GET", "users"),
    ("PATCH", "users"),
]


def issue_token(client: TestClient, territory: Territory, user_id: int) -> dict[str, object]:
    """A new token for ``user_id`` issued by the coordinator, secret included."""
    response = client.post(
        f"/v1/users/{user_id}/tokens", headers=territory.headers, json={"label": "phone"}
    )
    assert response.status_code == 201, response.text
    issued: dict[str, object] = response.json()
    return issued


def create_coordinator(client: TestClient, territory: Territory) -> int:
    """A second coordinator of the territory, created through the API; returns its id."""
    response = client.post(
        "/v1/users",
        headers=territory.headers,
        json={"role": "coordinator", "display_name": "Deputy coordinator"},
    )
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


@pytest.mark.parametrize(("method", "path"), PROTECTED_ROUTES)
def test_missing_or_garbage_token_is_401(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 401
    garbage = client.request(method, path, headers=bearer("snp_not-a-real-token"))
    assert garbage.status_code == 401
    assert garbage.json()["error"]["code"] == "unauthorized"


def test_health_probes_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_issued_token_works_and_its_secret_is_never_shown_again(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    user_id = create_coordinator(client, territory)
    issued = issue_token(client, territory, user_id)
    secret = str(issued["token"])
    me = client.get("/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["id"] == user_id
    page = client.get(f"/v1/users/{user_id}/tokens", headers=territory.headers).json()
    listed = page["items"]
    assert [token["id"] for token in listed] == [issued["id"]] and page["total"] == 1
    assert all("token" not in token for token in listed)
    assert secret not in str(listed)


def test_revoked_token_is_401(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    user_id = create_coordinator(client, territory)
    issued = issue_token(client, territory, user_id)
    headers = bearer(str(issued["token"]))
    revoked = client.delete(f"/v1/tokens/{issued['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_inactive_users_token_stops_working(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    user_id = create_coordinator(client, territory)
    headers = bearer(str(issue_token(client, territory, user_id)["token"]))
    assert client.get("/v1/me", headers=headers).status_code == 200
    deactivated = client.patch(
        f"/v1/users/{user_id}", headers=territory.headers, json={"active": False}
    )
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert client.get("/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("role", ["practitioner", "pharmacist"])
@pytest.mark.parametrize(("method", "path", "body"), COORDINATOR_ROUTES)
def test_coordinator_routes_are_403_for_other_roles(
    client: TestClient,
    session: Session,
    role: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    territory = make_territory(session)
    if role == "practitioner":
        _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    else:
        _, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    response = client.request(method, path, headers=headers, json=body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get("/v1/settings", headers=territory.headers).json()["name"] == "CPTS Test"


@pytest.mark.parametrize(("method", "resource"), FOREIGN_OBJECT_REQUESTS)
def test_other_cpts_objects_are_404_not_403(
    client: TestClient, session: Session, method: str, resource: str
) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    object_ids = {
        "practitioners": make_practitioner(session, cpts_id=theirs.cpts.id).id,
        "pharmacies": make_pharmacy(session, cpts_id=theirs.cpts.id).id,
        "users": theirs.coordinator.id,
    }
    url = f"/v1/{resource}/{object_ids[resource]}"
    body = {} if method == "PATCH" else None
    response = client.request(method, url, headers=mine.headers, json=body)
    assert response.status_code == 404
    assert client.get(url, headers=theirs.headers).status_code == 200


def test_practitioner_gets_404_for_another_cpts_practitioner(
    client: TestClient, session: Session
) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    _, headers = make_practitioner_with_headers(session, cpts_id=mine.cpts.id)
    stranger = make_practitioner(session, cpts_id=theirs.cpts.id)
    assert client.get(f"/v1/practitioners/{stranger.id}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("role", "field"), [("practitioner", "practitioner_id"), ("pharmacist", "pharmacy_id")]
)
def test_user_bound_to_another_cpts_row_is_422(
    client: TestClient, session: Session, role: str, field: str
) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    foreign_ids = {
        "practitioner_id": make_practitioner(session, cpts_id=theirs.cpts.id).id,
        "pharmacy_id": make_pharmacy(session, cpts_id=theirs.cpts.id).id,
    }
    body = {"role": role, "display_name": "Borrowed", field: foreign_ids[field]}
    response = client.post("/v1/users", headers=mine.headers, json=body)
    assert response.status_code == 422
    assert first_field_error(response)["field"] == field
    assert client.get(f"/v1/users?role={role}", headers=mine.headers).json()["total"] == 0
