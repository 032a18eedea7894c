"""The OpenAPI document: every error an operation can answer is documented, in one shape."""

from typing import Any

import pytest

from app.config import Settings
from app.main import create_app

SCHEMA: dict[str, Any] = create_app(Settings(run_jobs=False)).openapi()
ERROR_REF = "#/components/schemas/ErrorResponse"
OPERATIONS = [
    pytest.param(operation, id=f"{method.upper()} {path}")
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
]


def _error_schema(operation: dict[str, Any], status: str) -> str | None:
    content = operation["responses"].get(status, {}).get("content", {})
    ref: str | None = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_documents_its_errors_in_the_error_shape(operation: dict[str, Any]) -> None:
    needs_token = bool(operation.get("security"))
    has_inputs = bool(operation.get("parameters") or operation.get("requestBody"))
    assert ("401" in operation["responses"]) == needs_token
    if needs_token:
        assert _error_schema(operation, "401") == ERROR_REF
    if has_inputs:
        assert _error_schema(operation, "422") == ERROR_REF
    if "requestBody" in operation:
        assert _error_schema(operation, "400") == ERROR_REF
    for status in operation["responses"]:
        if status.startswith(("4", "5")) and status != "503":
            assert _error_schema(operation, status) == ERROR_REF, status


def test_role_restricted_operations_document_403() -> None:
    coordinator_only = SCHEMA["paths"]["/v1/practitioners"]["post"]
    pharmacist_only = SCHEMA["paths"]["/v1/referrals"]["post"]
    assert "403" in coordinator_only["responses"] and "403" in pharmacist_only["responses"]
    anyone = SCHEMA["paths"]["/v1/me"]["get"]
    assert "403" not in anyone["responses"]


def test_framework_validation_shape_is_not_advertised() -> None:
    schemas = SCHEMA["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "ErrorResponse" in schemas
