"""Absences and preferences through the HTTP API: who may manage them and what is refused."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    first_field_error,
    make_pharmacy_with_headers,
    make_practitioner,
    make_practitioner_with_headers,
    make_territory,
)

CHRISTMAS = {"start_date": "2026-12-21", "end_date": "2027-01-03", "reason": "holiday"}


def _absences(practitioner_id: int) -> str:
    return f"/v1/practitioners/{practitioner_id}/absences"


def _preferences(practitioner_id: int) -> str:
    return f"/v1/practitioners/{practitioner_id}/preferences"


def test_coordinator_absence_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    created = client.post(url, headers=territory.headers, json=CHRISTMAS)
    assert created.status_code == 201, created.text
    absence_id = created.json()["id"]
    assert (
        client.get(f"{url}/{absence_id}", headers=territory.headers).json()["reason"] == "holiday"
    )
    changed = client.patch(
        f"{url}/{absence_id}", headers=territory.headers, json={"end_date": "2027-01-05"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["start_date"] == "2026-12-21"
    assert changed.json()["end_date"] == "2027-01-05"
    page = client.get(url, headers=territory.headers).json()
    assert page["total"] == 1 and page["items"][0]["id"] == absence_id
    assert client.delete(f"{url}/{absence_id}", headers=territory.headers).status_code == 204
    assert client.get(f"{url}/{absence_id}", headers=territory.headers).status_code == 404


def test_absence_list_filters_by_overlapping_range(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    for start, end in [("2026-11-02", "2026-11-06"), ("2026-11-20", "2026-11-30")]:
        client.post(url, headers=territory.headers, json={"start_date": start, "end_date": end})
    page = client.get(
        url, headers=territory.headers, params={"from": "2026-11-06", "to": "2026-11-19"}
    ).json()
    assert [a["start_date"] for a in page["items"]] == ["2026-11-02"]
    later = client.get(url, headers=territory.headers, params={"from": "2026-11-07"}).json()
    assert [a["start_date"] for a in later["items"]] == ["2026-11-20"]
    both = client.get(url, headers=territory.headers, params={"to": "2026-11-20"}).json()
    assert both["total"] == 2
    inverted = client.get(
        url, headers=territory.headers, params={"from": "2026-11-10", "to": "2026-11-01"}
    )
    assert inverted.status_code == 422 and first_field_error(inverted)["field"] == "to"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2026-11-10", "end_date": "2026-11-09"}, "end_date"),
        ({"start_date": "2026-01-01", "end_date": "2027-01-02"}, "end_date"),
        ({"start_date": "2026-11-10"}, "end_date"),
        ({"start_date": "not a date", "end_date": "2026-11-09"}, "start_date"),
        ({**CHRISTMAS, "reason": "x" * 201}, "reason"),
        ({**CHRISTMAS, "practitioner_id": 3}, "practitioner_id"),
    ],
)
def test_invalid_absence_is_422_naming_the_field(
    client: TestClient, session: Session, body: dict[str, str], field: str
) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    response = client.post(url, headers=territory.headers, json=body)
    assert response.status_code == 422, response.text
    assert first_field_error(response)["field"] == field
    assert client.get(url, headers=territory.headers).json()["total"] == 0


def test_a_whole_leap_year_is_the_longest_absence(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    body = {"start_date": "2028-01-01", "end_date": "2028-12-31"}
    assert client.post(url, headers=territory.headers, json=body).status_code == 201


def test_patch_checks_the_merged_period(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    absence_id = client.post(url, headers=territory.headers, json=CHRISTMAS).json()["id"]
    response = client.patch(
        f"{url}/{absence_id}", headers=territory.headers, json={"start_date": "2027-01-04"}
    )
    assert response.status_code == 422 and first_field_error(response)["field"] == "end_date"
    stored = client.get(f"{url}/{absence_id}", headers=territory.headers).json()
    assert stored["start_date"] == CHRISTMAS["start_date"]


def test_overlapping_absence_is_409_naming_start_date(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    first = client.post(url, headers=territory.headers, json=CHRISTMAS).json()["id"]
    clash = client.post(
        url, headers=territory.headers, json={"start_date": "2027-01-03", "end_date": "2027-01-10"}
    )
    assert clash.status_code == 409 and first_field_error(clash)["field"] == "start_date"
    later = client.post(
        url, headers=territory.headers, json={"start_date": "2027-01-04", "end_date": "2027-01-10"}
    )
    assert later.status_code == 201
    moved = client.patch(
        f"{url}/{later.json()['id']}", headers=territory.headers, json={"start_date": "2027-01-01"}
    )
    assert moved.status_code == 409 and str(first) in moved.json()["error"]["message"]
    itself = client.patch(
        f"{url}/{first}", headers=territory.headers, json={"start_date": "2026-12-20"}
    )
    assert itself.status_code == 200


def test_other_practitioner_may_have_the_same_days_off(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    for _ in range(2):
        url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
        assert client.post(url, headers=territory.headers, json=CHRISTMAS).status_code == 201


def test_practitioner_manages_own_absences(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    created = client.post(_absences(practitioner.id), headers=headers, json=CHRISTMAS)
    assert created.status_code == 201
    assert client.get(_absences(practitioner.id), headers=headers).json()["total"] == 1


def test_practitioner_cannot_touch_another_practitioners_absences(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    other = make_practitioner(session, cpts_id=territory.cpts.id, last_name="Durand").id
    absence_id = client.post(_absences(other), headers=territory.headers, json=CHRISTMAS).json()[
        "id"
    ]
    assert client.post(_absences(other), headers=headers, json=CHRISTMAS).status_code == 403
    assert client.get(_absences(other), headers=headers).status_code == 403
    change = client.patch(f"{_absences(other)}/{absence_id}", headers=headers, json={})
    assert change.status_code == 403
    assert client.delete(f"{_absences(other)}/{absence_id}", headers=headers).status_code == 403
    weekly = {"kind": "avoid", "weekday": 1}
    assert client.post(_preferences(other), headers=headers, json=weekly).status_code == 403
    assert client.get(_preferences(other), headers=headers).status_code == 403


def test_absence_under_another_practitioner_path_is_404(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    own, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    other = make_practitioner(session, cpts_id=territory.cpts.id, last_name="Durand").id
    absence_id = client.post(_absences(other), headers=territory.headers, json=CHRISTMAS).json()[
        "id"
    ]
    assert client.get(f"{_absences(own.id)}/{absence_id}", headers=headers).status_code == 404
    assert client.delete(f"{_absences(own.id)}/{absence_id}", headers=headers).status_code == 404


def test_pharmacist_is_403(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    _, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    url = _absences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    assert client.get(url, headers=headers).status_code == 403
    assert client.post(url, headers=headers, json=CHRISTMAS).status_code == 403
    assert client.get(url.replace("absences", "preferences"), headers=headers).status_code == 403


def test_other_cpts_practitioner_is_404(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    practitioner_id = make_practitioner(session, cpts_id=theirs.cpts.id).id
    url = _absences(practitioner_id)
    absence_id = client.post(url, headers=theirs.headers, json=CHRISTMAS).json()["id"]
    assert client.get(url, headers=mine.headers).status_code == 404
    assert client.post(url, headers=mine.headers, json=CHRISTMAS).status_code == 404
    one = f"{url}/{absence_id}"
    assert client.get(one, headers=mine.headers).status_code == 404
    assert client.delete(one, headers=mine.headers).status_code == 404
    assert client.get(_preferences(practitioner_id), headers=mine.headers).status_code == 404
    assert client.get(one, headers=theirs.headers).status_code == 200


def test_no_token_is_401(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner_id = make_practitioner(session, cpts_id=territory.cpts.id).id
    assert client.get(_absences(practitioner_id)).status_code == 401


def test_preference_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    practitioner, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    url = _preferences(practitioner.id)
    on_date = client.post(url, headers=headers, json={"kind": "prefer", "day": "2026-12-24"})
    assert on_date.status_code == 201, on_date.text
    weekly = client.post(url, headers=headers, json={"kind": "avoid", "weekday": 2})
    assert weekly.json()["weekday"] == 2 and weekly.json()["day"] is None
    page = client.get(url, headers=territory.headers).json()
    assert [p["kind"] for p in page["items"]] == ["avoid", "prefer"]
    preference_id = on_date.json()["id"]
    assert client.get(f"{url}/{preference_id}", headers=headers).json()["day"] == "2026-12-24"
    assert client.delete(f"{url}/{preference_id}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "avoid", "weekday": 7}, "weekday"),
        ({"kind": "avoid", "weekday": -1}, "weekday"),
        ({"kind": "avoid", "weekday": 1, "day": "2026-12-24"}, "day"),
        ({"kind": "avoid"}, "day"),
        ({"kind": "maybe", "weekday": 1}, "kind"),
        ({"weekday": 1}, "kind"),
    ],
)
def test_invalid_preference_is_422_naming_the_field(
    client: TestClient, session: Session, body: dict[str, object], field: str
) -> None:
    territory = make_territory(session)
    url = _preferences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    response = client.post(url, headers=territory.headers, json=body)
    assert response.status_code == 422, response.text
    assert first_field_error(response)["field"] == field
    assert client.get(url, headers=territory.headers).json()["total"] == 0


def test_second_preference_for_the_same_weekday_is_409(
    client: TestClient, session: Session
) -> None:
    territory = make_territory(session)
    url = _preferences(make_practitioner(session, cpts_id=territory.cpts.id).id)
    client.post(url, headers=territory.headers, json={"kind": "avoid", "weekday": 4})
    again = client.post(url, headers=territory.headers, json={"kind": "prefer", "weekday": 4})
    assert again.status_code == 409 and first_field_error(again)["field"] == "weekday"
    client.post(url, headers=territory.headers, json={"kind": "avoid", "day": "2026-12-31"})
    same_day = client.post(
        url, headers=territory.headers, json={"kind": "avoid", "day": "2026-12-31"}
    )
    assert same_day.status_code == 409 and first_field_error(same_day)["field"] == "day"
