"""Schemathesis against the app's own OpenAPI document, as a coordinator and as a pharmacist.

Valid and invalid requests are generated for every operation (derandomised, a few examples
each so the suite stays fast; run ``schemathesis run`` by hand for a deep search): none may
answer 500, and every status answered must be documented for that operation.
"""

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from tests.factories import (
    make_pharmacy_with_headers,
    make_practitioner_with_headers,
    make_territory,
)

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(run_jobs=False)).openapi())


def _streams(operation: Any) -> bool:
    """Whether the operation answers an endless event stream, which a generated request
    cannot read to its end (tests/app/test_events_stream.py probes that route)."""
    success = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/event-stream" in success.get("content", {})


OPERATIONS = {
    result.ok().label: result.ok()
    for result in SCHEMA.get_all_operations()
    if not _streams(result.ok())
}
CHECKS = [not_a_server_error, status_code_conformance]
MAX_EXAMPLES = 8
ROLES = ["coordinator", "pharmacist"]


@pytest.fixture
def headers_by_role(session: Session) -> dict[str, dict[str, str]]:
    """A coordinator and a pharmacist of one territory (with a practitioner in it)."""
    territory = make_territory(session)
    make_practitioner_with_headers(session, cpts_id=territory.cpts.id)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=territory.cpts.id)
    return {"coordinator": territory.headers, "pharmacist": pharmacist}


def _httpx_kwargs(transport_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis' request (``requests`` style) as TestClient keyword arguments."""
    kwargs = {k: transport_kwargs[k] for k in ("method", "url", "headers", "params")}
    if "json" in transport_kwargs:
        kwargs["json"] = transport_kwargs["json"]
    elif transport_kwargs.get("data") is not None:
        data = transport_kwargs["data"]
        kwargs["content"] = data if isinstance(data, bytes | str) else None
        kwargs["data"] = None if isinstance(data, bytes | str) else data
    if transport_kwargs.get("files"):
        kwargs["files"] = transport_kwargs["files"]
    return kwargs


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(OPERATIONS))
def test_generated_requests_get_documented_answers_never_500(
    client: TestClient, headers_by_role: dict[str, dict[str, str]], role: str, label: str
) -> None:
    operation = OPERATIONS[label]
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def answers_as_documented(case: schemathesis.Case) -> None:
        sent = case.as_transport_kwargs(base_url="http://testserver", headers=headers_by_role[role])
        response = client.request(**_httpx_kwargs(sent))
        case.validate_response(response, checks=CHECKS)

    answers_as_documented()
