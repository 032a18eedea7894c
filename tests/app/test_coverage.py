"""Coverage rules through the HTTP API, the database index behind them, and daily demand."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.coverage.models import DAY_KINDS, CoverageRule
from app.coverage.schemas import DayKind
from app.coverage.service import required_on
from tests.factories import (
    first_field_error,
    make_pharmacy_with_headers,
    make_practitioner_with_headers,
    make_sector,
    make_territory,
)

URL = "/v1/coverage-rules"
MONDAY_GPS = {"day_kind": "mon", "profession": "gp", "sector_id": None, "required": 2}


def _rule_count(session: Session, cpts_id: int) -> int:
    query = select(func.count()).where(CoverageRule.cpts_id == cpts_id)
    return int(session.scalar(query) or 0)


def test_coordinator_rule_crud(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    created = client.post(URL, headers=territory.headers, json=MONDAY_GPS)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert created.json() == {"id": rule_id, **MONDAY_GPS}
    changed = client.patch(f"{URL}/{rule_id}", headers=territory.headers, json={"required": 3})
    assert changed.status_code == 200 and changed.json()["required"] == 3
    assert client.get(f"{URL}/{rule_id}", headers=territory.headers).json()["required"] == 3
    assert client.get(URL, headers=territory.headers).json()["total"] == 1
    assert client.delete(f"{URL}/{rule_id}", headers=territory.headers).status_code == 204
    assert client.get(f"{URL}/{rule_id}", headers=territory.headers).status_code == 404


def test_list_filters_and_orders_monday_to_holiday(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    north = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    rules = [
        {"day_kind": "holiday", "profession": "gp", "required": 1},
        {"day_kind": "sun", "profession": "nurse", "required": 1},
        {"day_kind": "mon", "profession": "gp", "sector_id": north.id, "required": 1},
        {"day_kind": "mon", "profession": "gp", "required": 2},
    ]
    for rule in rules:
        assert client.post(URL, headers=territory.headers, json=rule).status_code == 201
    page = client.get(URL, headers=territory.headers).json()
    order = [(r["day_kind"], r["sector_id"]) for r in page["items"]]
    assert order == [("mon", None), ("mon", north.id), ("sun", None), ("holiday", None)]

    def count(**params: object) -> int:
        return int(client.get(URL, headers=territory.headers, params=params).json()["total"])

    assert count(day_kind="mon") == 2
    assert count(profession="nurse") == 1
    assert count(sector_id=north.id) == 1
    assert count(day_kind="mon", profession="physio") == 0
    bad = client.get(URL, headers=territory.headers, params={"day_kind": "monday"})
    assert bad.status_code == 422 and first_field_error(bad)["field"] == "day_kind"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"day_kind": "monday"}, "day_kind"),
        ({"profession": "pharmacist"}, "profession"),
        ({"profession": "dentist"}, "profession"),
        ({"required": -1}, "required"),
        ({"required": "many"}, "required"),
        ({"sector_id": 999_999}, "sector_id"),
        ({"cpts_id": 1}, "cpts_id"),
    ],
)
def test_invalid_rule_is_422_naming_the_field(
    client: TestClient, session: Session, change: dict[str, object], field: str
) -> None:
    territory = make_territory(session)
    response = client.post(URL, headers=territory.headers, json={**MONDAY_GPS, **change})
    assert response.status_code == 422, response.text
    assert first_field_error(response)["field"] == field
    assert _rule_count(session, territory.cpts.id) == 0


def test_other_cpts_sector_is_422(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    their_sector = make_sector(session, cpts_id=theirs.cpts.id, name="Nord")
    body = {**MONDAY_GPS, "sector_id": their_sector.id}
    response = client.post(URL, headers=mine.headers, json=body)
    assert response.status_code == 422 and first_field_error(response)["field"] == "sector_id"


@pytest.mark.parametrize("with_sector", [False, True])
def test_duplicate_scope_is_409_naming_day_kind(
    client: TestClient, session: Session, with_sector: bool
) -> None:
    territory = make_territory(session)
    sector_id = make_sector(session, cpts_id=territory.cpts.id, name="Nord").id
    body = {**MONDAY_GPS, "sector_id": sector_id if with_sector else None}
    assert client.post(URL, headers=territory.headers, json=body).status_code == 201
    again = client.post(URL, headers=territory.headers, json={**body, "required": 5})
    assert again.status_code == 409 and first_field_error(again)["field"] == "day_kind"
    other_scope = {**body, "sector_id": None if with_sector else sector_id}
    assert client.post(URL, headers=territory.headers, json=other_scope).status_code == 201


@pytest.mark.parametrize("with_sector", [False, True])
def test_database_refuses_duplicate_scope(session: Session, with_sector: bool) -> None:
    territory = make_territory(session)
    sector_id = (
        make_sector(session, cpts_id=territory.cpts.id, name="Nord").id if with_sector else None
    )

    def rule(required: int) -> CoverageRule:
        return CoverageRule(
            cpts_id=territory.cpts.id,
            day_kind="mon",
            profession="gp",
            sector_id=sector_id,
            required=required,
        )

    session.add(rule(1))
    session.flush()
    session.add(rule(2))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_same_scope_in_two_territories_is_fine(client: TestClient, session: Session) -> None:
    for name in ("A", "B"):
        territory = make_territory(session, name=name)
        assert client.post(URL, headers=territory.headers, json=MONDAY_GPS).status_code == 201


def test_bulk_replace_sets_the_whole_week(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    north = make_sector(session, cpts_id=territory.cpts.id, name="Nord")
    kept = client.post(URL, headers=territory.headers, json=MONDAY_GPS).json()["id"]
    dropped = client.post(
        URL, headers=territory.headers, json={**MONDAY_GPS, "day_kind": "sat"}
    ).json()["id"]
    week = [
        {"day_kind": day, "profession": "gp", "sector_id": None, "required": 4}
        for day in ("mon", "tue", "wed", "thu", "fri")
    ]
    week.append({"day_kind": "mon", "profession": "nurse", "sector_id": north.id, "required": 1})
    response = client.put(URL, headers=territory.headers, json={"items": week})
    assert response.status_code == 200, response.text
    rules = response.json()
    assert len(rules) == 6 and _rule_count(session, territory.cpts.id) == 6
    monday_gps = next(r for r in rules if r["day_kind"] == "mon" and r["profession"] == "gp")
    assert monday_gps == {**MONDAY_GPS, "id": kept, "required": 4}
    assert dropped not in {r["id"] for r in rules}
    emptied = client.put(URL, headers=territory.headers, json={"items": []})
    assert emptied.json() == [] and _rule_count(session, territory.cpts.id) == 0


@pytest.mark.parametrize(
    ("bad_item", "status", "field"),
    [
        ({"required": -2}, 422, "items.2.required"),
        ({"day_kind": "someday"}, 422, "items.2.day_kind"),
        ({"profession": "dentist"}, 422, "items.2.profession"),
        ({"sector_id": 999_999}, 422, "items.2.sector_id"),
        ({"day_kind": "mon"}, 409, "items.2.day_kind"),
    ],
)
def test_bulk_replace_is_all_or_nothing(
    client: TestClient, session: Session, bad_item: dict[str, object], status: int, field: str
) -> None:
    territory = make_territory(session)
    for day in ("sat", "sun"):
        client.post(URL, headers=territory.headers, json={**MONDAY_GPS, "day_kind": day})
    before = client.get(URL, headers=territory.headers).json()["items"]
    items = [MONDAY_GPS, {**MONDAY_GPS, "day_kind": "tue"}, {**MONDAY_GPS, "day_kind": "wed"}]
    items[2] = {**items[2], **bad_item}
    response = client.put(URL, headers=territory.headers, json={"items": items})
    assert response.status_code == status, response.text
    assert first_field_error(response)["field"] == field
    assert client.get(URL, headers=territory.headers).json()["items"] == before
    assert _rule_count(session, territory.cpts.id) == 2


def test_rule_removed_by_a_concurrent_request_is_409_and_nothing_changes(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    territory = make_territory(session)
    rule_id = client.post(URL, headers=territory.headers, json=MONDAY_GPS).json()["id"]

    def concurrent_delete(request_session: Session, *_: object) -> None:
        request_session.connection().execute(delete(CoverageRule).where(CoverageRule.id == rule_id))

    event.listen(session_factory, "before_flush", concurrent_delete, once=True)
    response = client.put(
        URL, headers=territory.headers, json={"items": [{**MONDAY_GPS, "required": 5}]}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    rules = client.get(URL, headers=territory.headers).json()["items"]
    assert [r["required"] for r in rules] == [2]


def test_practitioner_reads_but_cannot_write(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    rule_id = client.post(URL, headers=territory.headers, json=MONDAY_GPS).json()["id"]
    _, headers = make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    assert client.get(URL, headers=headers).json()["total"] == 1
    assert client.get(f"{URL}/{rule_id}", headers=headers).status_code == 200
    assert client.post(URL, headers=headers, json=MONDAY_GPS).status_code == 403
    assert client.put(URL, headers=headers, json={"items": []}).status_code == 403
    one = f"{URL}/{rule_id}"
    assert client.patch(one, headers=headers, json={"required": 0}).status_code == 403
    assert client.delete(one, headers=headers).status_code == 403
    assert _rule_count(session, territory.cpts.id) == 1


def test_pharmacist_is_403(client: TestClient, session: Session) -> None:
    territory = make_territory(session)
    _, headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    assert client.get(URL, headers=headers).status_code == 403
    assert client.post(URL, headers=headers, json=MONDAY_GPS).status_code == 403


def test_other_cpts_rule_is_404(client: TestClient, session: Session) -> None:
    mine = make_territory(session, name="A")
    theirs = make_territory(session, name="B")
    rule_id = client.post(URL, headers=theirs.headers, json=MONDAY_GPS).json()["id"]
    one = f"{URL}/{rule_id}"
    assert client.get(one, headers=mine.headers).status_code == 404
    assert client.patch(one, headers=mine.headers, json={"required": 9}).status_code == 404
    assert client.delete(one, headers=mine.headers).status_code == 404
    assert client.get(URL, headers=mine.headers).json()["total"] == 0
    client.put(URL, headers=mine.headers, json={"items": []})
    assert client.get(one, headers=theirs.headers).json()["required"] == 2


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401


def test_day_kind_enum_matches_the_model() -> None:
    assert tuple(DayKind) == DAY_KINDS


def _rule(
    day_kind: str, profession: str, required: int, sector_id: int | None = None
) -> CoverageRule:
    return CoverageRule(
        day_kind=day_kind, profession=profession, sector_id=sector_id, required=required
    )


RULES = [
    _rule("mon", "gp", 3),
    _rule("mon", "gp", 1, sector_id=7),
    _rule("mon", "nurse", 0),
    _rule("tue", "physio", 2),
    _rule("holiday", "gp", 1),
]


def test_required_on_a_weekday_uses_that_weekdays_rules() -> None:
    monday = date(2026, 11, 30)
    assert required_on(RULES, day=monday, is_holiday=False) == {("gp", None): 3, ("gp", 7): 1}
    assert required_on(RULES, day=date(2026, 12, 1), is_holiday=False) == {("physio", None): 2}
    assert required_on(RULES, day=date(2026, 12, 6), is_holiday=False) == {}


def test_required_on_a_holiday_replaces_the_weekday_rules() -> None:
    easter_monday = date(2027, 3, 29)
    assert required_on(RULES, day=easter_monday, is_holiday=True) == {("gp", None): 1}


def test_holiday_without_holiday_rule_needs_nobody() -> None:
    weekday_only = [rule for rule in RULES if rule.day_kind != "holiday"]
    assert required_on(weekday_only, day=date(2027, 3, 29), is_holiday=True) == {}
