"""The OpenAPI schema as the API really answers: every error is an RFC 9457 problem.

FastAPI documents a 422 of its own shape (``HTTPValidationError``, ``application/json``) on
every operation that takes input; the API answers every error, 422 included, as
``application/problem+json`` with a ``Problem``. The schema is rewritten once so that clients
generated from it, and checks such as schemathesis, see what really comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ipledger.api.schemas import Problem

__all__ = ["problem_openapi"]

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for ``app.openapi`` that documents 422 answers as problems."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "The request does not fit the schema (a problem naming the field)",
                        "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
                    }
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    return build
