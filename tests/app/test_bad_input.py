"""Bad input on every route: a 422 naming the field, never a 500, never a write.

The probes are derived from the app's own OpenAPI document, so every operation is covered,
including ones added later: ids past what PostgreSQL (2**31) or SQLite (2**63) store, dates
and instants in years 1, 9999 or outside the service's window, control characters (NUL
first: PostgreSQL refuses it in text) and lone surrogates in text.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from app.models import Base
from app.rotations.jobs import JobRunner
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.factories import (
    make_pharmacy_with_headers,
    make_practitioner_with_headers,
    make_territory,
)

SCHEMA: dict[str, Any] = create_app(Settings(run_jobs=False)).openapi()
COMPONENTS: dict[str, Any] = SCHEMA["components"]["schemas"]
TOO_BIG_IDS = [2**31, 2**63, 10**20, 10**100]
BAD_DATES = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]
BAD_INSTANTS = ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"]
BAD_TEXTS = ["a\x00b", "\x00", "a\x1bb", "line\x7f"]
LONE_SURROGATE = "\ud800"  # only in JSON: a URL cannot carry one
BAD_URLS = ["https://exa\x00mple.org/hook"]
BAD_TIMES = ["14:00:00Z", "14:00:00+02:00"]
MONTH_ROUTES = ["/v1/exports/oncall-hours.csv", "/v1/reports/monthly"]
BAD_MONTHS = ["0000-01", "0001-01", "1999-12", "2101-01", "9999-12", "10000-01"]


@dataclass(frozen=True)
class Probe:
    """One bad value sent in one place of one operation, and the field it must be named by."""

    method: str
    path: str
    location: str  # "path", "query" or "body"
    field: str
    value: Any


@dataclass(frozen=True)
class Callers:
    """Headers of each role in one territory, and the ids to put in the other path params."""

    by_role: dict[str, dict[str, str]]
    path_ids: dict[str, int]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and drop the ``null`` branch of an optional value."""
    if "$ref" in schema:
        return _resolve(COMPONENTS[schema["$ref"].rsplit("/", 1)[1]])
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        return _resolve(branches[0])
    return schema


def _bad_values(schema: dict[str, Any]) -> list[Any]:
    """What to send in place of a value of ``schema``; nothing for enums and numbers."""
    if "enum" in schema or "const" in schema:
        return []
    if schema.get("type") == "integer":
        return TOO_BIG_IDS
    if schema.get("type") != "string":
        return []
    return {"date": BAD_DATES, "date-time": BAD_INSTANTS, "uri": BAD_URLS, "time": BAD_TIMES}.get(
        schema.get("format", ""), BAD_TEXTS
    )


def _leaves(schema: dict[str, Any], path: tuple[str | int, ...] = ()) -> Iterator[Any]:
    schema = _resolve(schema)
    if "properties" in schema:
        for name, sub in schema["properties"].items():
            yield from _leaves(sub, (*path, name))
    elif schema.get("type") == "array":
        yield from _leaves(schema["items"], (*path, 0))
    else:
        yield path, schema


def _nest(path: tuple[str | int, ...], value: Any) -> Any:
    """The smallest JSON body holding ``value`` at ``path``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_nest(rest, value)] if isinstance(head, int) else {head: _nest(rest, value)}


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation but HEAD (the same as GET, without a body to read the error from)."""
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            if method != "head":
                yield method.upper(), path, operation


def _probes(location: str) -> list[Probe]:
    probes = []
    for method, path, operation in _operations():
        if location == "body":
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema")
            leaves = list(_leaves(body_schema)) if body_schema else []
            for leaf_path, leaf in leaves:
                field = ".".join(str(p) for p in leaf_path)
                values = _bad_values(leaf)
                values += [LONE_SURROGATE] if values is BAD_TEXTS else []
                probes += [
                    Probe(method, path, location, field, _nest(leaf_path, value))
                    for value in values
                ]
            continue
        for parameter in operation.get("parameters", []):
            schema = _resolve(parameter["schema"])
            if parameter["in"] != location or (location == "path" and schema["type"] != "integer"):
                continue  # a feed's secret token in its path is looked up, never stored
            for value in _bad_values(schema):
                probes.append(Probe(method, path, location, parameter["name"], value))
    return probes


def _by_operation(probes: list[Probe]) -> list[Any]:
    operations: dict[tuple[str, str], list[Probe]] = {}
    for probe in probes:
        operations.setdefault((probe.method, probe.path), []).append(probe)
    return [pytest.param(group, id=f"{m} {p}") for (m, p), group in operations.items()]


PATH_PROBES = _by_operation(_probes("path"))
QUERY_PROBES = _by_operation(_probes("query"))
BODY_PROBES = _by_operation(_probes("body"))


@pytest.fixture
def callers(session: Session) -> Callers:
    """A coordinator, a practitioner and a pharmacist of one territory."""
    territory = make_territory(session)
    practitioner, practitioner_headers = make_practitioner_with_headers(
        session, cpts_id=territory.cpts.id
    )
    pharmacy, pharmacist_headers = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    return Callers(
        by_role={
            "coordinator": territory.headers,
            "practitioner": practitioner_headers,
            "pharmacist": pharmacist_headers,
        },
        path_ids={"practitioner_id": practitioner.id, "pharmacy_id": pharmacy.id},
    )


def _send(client: TestClient, callers: Callers, probe: Probe) -> Response:
    """The probe, as the first role allowed to call the operation (403 for the others)."""
    path = probe.path
    for name in [n[1:-1] for n in path.split("/") if n.startswith("{")]:
        value = probe.value if (probe.location, probe.field) == ("path", name) else None
        value = value if value is not None else callers.path_ids.get(name, 1)
        path = path.replace("{" + name + "}", str(value))
    response = None
    for headers in callers.by_role.values():
        response = client.request(
            probe.method,
            path,
            headers={**headers, "Idempotency-Key": "bad-input", "Content-Type": "application/json"},
            params={probe.field: probe.value} if probe.location == "query" else None,
            content=json.dumps(probe.value) if probe.location == "body" else None,
        )
        if response.status_code != 403:
            return response
    assert response is not None
    return response


def _named(response: Response, field: str) -> bool:
    fields = response.json().get("error", {}).get("fields", [])
    return any(f["field"] == field or f["field"].startswith(field + ".") for f in fields)


def _dump(connection: Connection) -> dict[str, list[Any]]:
    """Every row of every table, to see that a refused request wrote nothing."""
    return {
        table.name: sorted(map(repr, connection.execute(select(table)).all()))
        for table in Base.metadata.sorted_tables
    }


def _check(client: TestClient, callers: Callers, probes: list[Probe]) -> list[str]:
    """The probes that were not refused with a 422 naming their field."""
    wrong = []
    for probe in probes:
        response = _send(client, callers, probe)
        if response.status_code != 422 or not _named(response, probe.field):
            wrong.append(f"{probe.field}={probe.value!r}: {response.status_code} {response.text}")
    return wrong


@pytest.mark.parametrize("probes", PATH_PROBES)
def test_out_of_range_path_id_is_422_naming_it(
    client: TestClient, callers: Callers, probes: list[Probe]
) -> None:
    assert _check(client, callers, probes) == []


@pytest.mark.parametrize("probes", QUERY_PROBES)
def test_bad_query_value_is_422_naming_it(
    client: TestClient, callers: Callers, probes: list[Probe]
) -> None:
    assert _check(client, callers, probes) == []


@pytest.mark.parametrize("probes", BODY_PROBES)
def test_bad_body_value_is_422_naming_it_and_writes_nothing(
    client: TestClient, connection: Connection, callers: Callers, probes: list[Probe]
) -> None:
    before = _dump(connection)
    assert _check(client, callers, probes) == []
    assert _dump(connection) == before


UNKNOWN_ID = 2**31 - 1  # well-formed, stored by no row
REFUSED_WRITES = [
    (
        "PATCH",
        "/v1/practitioners/{practitioner_id}",
        {"last_name": "Renamed", "sector_ids": [UNKNOWN_ID]},
    ),
    ("PATCH", "/v1/pharmacies/{pharmacy_id}", {"name": "Renamed", "sector_id": UNKNOWN_ID}),
    (
        "PUT",
        "/v1/coverage-rules",
        {
            "items": [
                {"day_kind": "mon", "profession": "gp", "required": 1},
                {"day_kind": "tue", "profession": "gp", "required": 1, "sector_id": UNKNOWN_ID},
            ]
        },
    ),
    ("PATCH", "/v1/settings", {"name": "Renamed", "oncall_start": "20:00", "oncall_end": "14:00"}),
    (
        "PUT",
        "/v1/me/notification-channels",
        {
            "email": {"address": "dr@example.org"},
            "webhook": {"url": "http://127.0.0.1:9/", "secret": "s" * 16},
        },
    ),
    (
        "POST",
        "/v1/users",
        {"role": "practitioner", "display_name": "X", "practitioner_id": UNKNOWN_ID},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), REFUSED_WRITES)
def test_well_formed_but_refused_write_changes_nothing(
    client: TestClient,
    connection: Connection,
    callers: Callers,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    before = _dump(connection)
    url = path.format(**callers.path_ids)
    response = client.request(method, url, json=body, headers=callers.by_role["coordinator"])
    assert 400 <= response.status_code < 500 and response.status_code != 401, response.text
    assert response.json()["error"]["fields"], response.text
    assert _dump(connection) == before


def test_every_kind_of_bad_input_is_probed() -> None:
    """The probes reach ids, dates, instants and text in paths, queries and bodies."""
    probes = _probes("path") + _probes("query") + _probes("body")
    fields = {(p.location, p.field) for p in probes}
    assert ("path", "practitioner_id") in fields and ("query", "offset") in fields
    assert ("body", "sector_ids.0") in fields and ("body", "patient.display_name") in fields
    assert ("body", "period_start") in fields and ("query", "at") in fields
    assert ("query", "from") in fields and ("body", "note") in fields
    assert len({(p.method, p.path) for p in probes}) > 60


@pytest.mark.parametrize("path", MONTH_ROUTES)
@pytest.mark.parametrize("month", BAD_MONTHS)
def test_month_outside_the_window_is_422_naming_it(
    client: TestClient, callers: Callers, path: str, month: str
) -> None:
    response = client.get(path, params={"month": month}, headers=callers.by_role["coordinator"])
    assert response.status_code == 422, response.text
    assert _named(response, "month")


def test_rotation_in_year_9999_is_refused(client: TestClient, callers: Callers) -> None:
    response = client.post(
        "/v1/rotations",
        headers=callers.by_role["coordinator"],
        json={"period_start": "9999-12-01", "period_end": "9999-12-31"},
    )
    assert response.status_code == 422
    assert _named(response, "period_start") and _named(response, "period_end")
    listed = client.get("/v1/rotations", headers=callers.by_role["coordinator"]).json()
    assert listed["total"] == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/stats", {"from": "2000-01-01", "to": "2000-12-31"}),
        ("/v1/stats", {"from": "2100-01-01", "to": "2100-12-31"}),
        ("/v1/exports/referrals.csv", {"from": "2100-12-01", "to": "2100-12-31"}),
        ("/v1/exports/coverage-gaps.csv", {"from": "2000-01-01", "to": "2000-01-31"}),
        ("/v1/exports/oncall-hours.csv", {"month": "2100-12"}),
        ("/v1/exports/oncall-hours.csv", {"month": "2000-01"}),
        ("/v1/reports/monthly", {"month": "2100-12"}),
        ("/v1/reports/monthly", {"month": "2000-01"}),
        ("/v1/on-call", {"at": "2100-12-31T23:59:59-12:00"}),
        ("/v1/on-call", {"at": "2000-01-01T00:00:00+14:00"}),
        ("/v1/referrals", {"from": "2000-01-01T00:00:00+14:00", "to": "2100-12-31T23:59:59Z"}),
        ("/v1/notifications", {"from": "2000-01-01T00:00:00Z", "to": "2100-12-31T23:59:59Z"}),
    ],
)
def test_dates_at_the_edges_of_the_window_are_answered(
    client: TestClient, callers: Callers, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=callers.by_role["coordinator"])
    assert response.status_code == 200, response.text


def test_rotation_at_the_end_of_the_window_is_served_everywhere(
    client: TestClient, session: Session, job_runner: JobRunner
) -> None:
    """December 2100, solved and published: feeds, stats, exports, report and on-call answer."""
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2100, 12, 1), end=date(2100, 12, 31)
    )
    published = client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    feed = client.post("/v1/feed-tokens/cpts", headers=headers, json={}).json()
    assert client.get(f"/ical/cpts/{feed['token']}.ics").status_code == 200
    month = {"month": "2100-12"}
    period = {"from": "2100-12-01", "to": "2100-12-31"}
    for path, params in [
        ("/v1/stats", period),
        ("/v1/exports/referrals.csv", period),
        ("/v1/exports/coverage-gaps.csv", period),
        ("/v1/exports/oncall-hours.csv", month),
        ("/v1/reports/monthly", month),
        ("/v1/on-call", {"at": "2100-12-31T23:59:59+01:00"}),
    ]:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
    on_call = client.get("/v1/on-call", params={"at": "2100-12-14T15:00:00+01:00"}, headers=headers)
    assert len(on_call.json()["on_call"]) == 1


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/v1/no-such-thing" in response.json()["error"]["message"]


def test_unknown_method_is_405_in_the_error_shape(client: TestClient, callers: Callers) -> None:
    response = client.delete("/v1/settings", headers=callers.by_role["coordinator"])
    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": "DELETE is not allowed on /v1/settings",
        "fields": [],
    }
    assert response.headers["Allow"]


def test_unreadable_body_is_400_in_the_error_shape(client: TestClient, callers: Callers) -> None:
    response = client.post(
        "/v1/sectors",
        headers={**callers.by_role["coordinator"], "Content-Type": "application/json"},
        content=b"\x0e\xa6",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
