"""The answers every operation can give, whatever its route says: documented once.

The request guards (413 too large, 422 too deep / not portable JSON) and the
outage handler (503) sit in front of every route, so every operation can answer
with them. Routes document their own answers; this only adds the generic ones
a route left out, so a client generated from ``/openapi.json`` knows them all.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_BODY_METHODS = {"post", "put", "patch"}
_PROBLEM = {
    "title": "Problem",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
_VALIDATION = {"$ref": "#/components/schemas/HTTPValidationError"}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _generic(method: str) -> dict[str, dict[str, Any]]:
    problem = {"$ref": "#/components/schemas/Problem"}
    answers = {
        "503": {
            **_answer("The database is unavailable; retry after Retry-After seconds", problem),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    }
    if method in _BODY_METHODS:
        answers["413"] = _answer("The request body is larger than 256 KiB", problem)
        answers["422"] = _answer(
            "The body is nested deeper than 32 levels, or carries NaN, Infinity, an "
            "integer beyond ±2^53, NUL or a lone surrogate; `loc` names the field",
            _VALIDATION,
        )
    return answers


def document_generic_answers(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, routes=app.routes, description=app.description
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", _PROBLEM)
        components.setdefault("HTTPValidationError", _validation_error())
        components.setdefault("ValidationError", _validation_item())
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, answer in _generic(method).items():
                    responses.setdefault(status, answer)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _validation_error() -> dict[str, Any]:
    return {
        "title": "HTTPValidationError",
        "type": "object",
        "properties": {
            "detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}
        },
    }


def _validation_item() -> dict[str, Any]:
    return {
        "title": "ValidationError",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
    }
