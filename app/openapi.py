"""The OpenAPI document, with the errors every operation can answer documented in one place.

Routes list the errors they raise themselves (``responses=error_responses(...)``). What
their dependencies raise — 401 without a valid token, 403 for the wrong role, 404 for a
record out of reach — is declared once on each dependency with :func:`app.errors.raises`
and added here to every operation that uses it, with 422 for bad input, 400 for an
unreadable body, 413 for a body over the size limit and 409 on writes (a duplicate, or a
row a concurrent request changed), all in the one error shape.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic.json_schema import models_json_schema

from app.errors import DEPENDENCY_ERRORS, ErrorResponse

REF_PREFIX = "#/components/schemas/"
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")
BAD_INPUT = {422: "validation_error", 400: "bad_request"}
TOO_LARGE = "content_too_large"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _has_parameters(dependant: Dependant) -> bool:
    own = dependant.path_params or dependant.query_params or dependant.header_params
    return bool(own or dependant.body_params) or any(
        _has_parameters(sub) for sub in dependant.dependencies
    )


def route_errors(route: APIRoute | RouteContext) -> dict[int, str]:
    """Status → error code of what ``route``'s dependencies and inputs can answer."""
    errors: dict[int, str] = {}
    for call in _calls(route.dependant):
        for error in DEPENDENCY_ERRORS.get(call, ()):
            errors.setdefault(error.status, error.code)
    if _has_parameters(route.dependant):
        errors[422] = BAD_INPUT[422]
    if route.body_field is not None:
        errors[400] = BAD_INPUT[400]
        errors[413] = TOO_LARGE  # past MAX_BODY_BYTES (app.observability.middleware)
    if WRITE_METHODS & set(route.methods or ()):
        errors.setdefault(409, "conflict")  # a duplicate, or a row a concurrent write changed
    return errors


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF_PREFIX + ErrorResponse.__name__}}}


def _document(responses: dict[str, Any], status: int, code: str) -> None:
    """Add ``code`` under ``status``; FastAPI's own validation-error entry is replaced."""
    entry = responses.get(str(status))
    if entry is None or _schema_names(entry) & set(FRAMEWORK_SCHEMAS):
        responses[str(status)] = {"description": code, "content": _error_content()}
    elif code not in entry["description"].split(" or "):
        entry["description"] += f" or {code}"


def _schema_names(entry: dict[str, Any]) -> set[str]:
    refs = (media.get("schema", {}).get("$ref", "") for media in entry.get("content", {}).values())
    return {ref.removeprefix(REF_PREFIX) for ref in refs}


def _errors_as_json(responses: dict[str, Any]) -> None:
    """Errors are JSON even where the success is not (FastAPI gives them its media type)."""
    for entry in responses.values():
        if ErrorResponse.__name__ in _schema_names(entry):
            entry["content"] = _error_content()


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, completed with every operation's errors in the error shape."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(ErrorResponse, "serialization")], ref_template=REF_PREFIX + "{model}"
    )
    for name, definition in definitions.get("$defs", {}).items():
        schemas.setdefault(name, definition)
    for name in FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    for route in iter_route_contexts(app.routes):
        if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            for status, code in route_errors(route).items():
                _document(operation["responses"], status, code)
            _errors_as_json(operation["responses"])
            operation["responses"] = dict(sorted(operation["responses"].items()))
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi`'s document (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
