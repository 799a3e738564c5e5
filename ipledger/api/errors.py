"""The one place where errors become HTTP answers: RFC 9457 problem details, never a traceback.

Bad values (a malformed CIDR, host bits set, an unknown role) are 400 and name the field; a body
that does not fit the schema (missing or unknown fields, wrong types) is 422; a missing object
404; a collision or an exhausted parent 409 with the existing object; a stale If-Match 412 with
the current object.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ipledger.api.cluster_schemas import ClusterRead
from ipledger.api.schemas import AddressRead, GroupRead, PrefixRead, Problem, RangeRead, SpaceRead
from ipledger.core.errors import (
    ConflictError,
    ExhaustedError,
    InvalidInputError,
    LedgerError,
    NotFoundError,
    StaleVersionError,
)
from ipledger.core.permissions import AuthenticationError, PermissionDeniedError
from ipledger.service.records import (
    AddressRecord,
    ClusterRecord,
    GroupRecord,
    PrefixRecord,
    RangeRecord,
    SpaceRecord,
)

__all__ = ["FieldError", "install_error_handlers", "problem"]

_log = logging.getLogger("ipledger.api")
_MEDIA_TYPE = "application/problem+json"


class FieldError(InvalidInputError):
    """Bad input in one named field of the request."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=_MEDIA_TYPE)


def _as_json(record: object) -> dict[str, Any] | None:
    readers: list[tuple[type, Any]] = [
        (PrefixRecord, PrefixRead),
        (RangeRecord, RangeRead),
        (AddressRecord, AddressRead),
        (GroupRecord, GroupRead),
        (SpaceRecord, SpaceRead),
        (ClusterRecord, ClusterRead),
    ]
    for record_type, reader in readers:
        if isinstance(record, record_type):
            dumped: dict[str, Any] = reader.of(record).model_dump(mode="json")
            return dumped
    return None


def _ledger_error(_request: Request, exc: Exception) -> JSONResponse:
    detail = str(exc)
    if isinstance(exc, InvalidInputError):
        return problem(400, "Bad input", detail, field=exc.field)
    if isinstance(exc, NotFoundError):
        return problem(404, "Not found", detail)
    if isinstance(exc, ExhaustedError):
        return problem(409, "Exhausted", detail)
    if isinstance(exc, ConflictError):
        existing = exc.existing if isinstance(exc.existing, dict) else _as_json(exc.existing)
        response = problem(409, "Conflict", detail, existing=existing)
        if exc.retryable:
            response.headers["Retry-After"] = "1"
        return response
    if isinstance(exc, StaleVersionError):
        return problem(412, "Precondition failed", detail, current=_as_json(exc.current))
    if isinstance(exc, AuthenticationError):
        response = problem(401, "Unauthorized", detail)
        response.headers["WWW-Authenticate"] = 'Bearer realm="ipledger"'
        return response
    if isinstance(exc, PermissionDeniedError):
        return problem(403, "Forbidden", detail)
    _log.warning("ledger error: %s", detail)
    return problem(503, "Ledger unavailable", detail)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field_name(error["loc"]), "message": error["msg"]} for error in exc.errors()]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    return problem(422, "Invalid request", detail, field=first["field"] or None, errors=errors)


def _field_name(location: tuple[Any, ...]) -> str:
    """``("body", 1, "mac")`` as ``items[1].mac``, the way bulk errors name items elsewhere."""
    parts = list(location[1:]) if location and location[0] == "body" else list(location)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"items[{part}]" if not name else f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, _title(exc.status_code), str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _overflow(_request: Request, exc: Exception) -> JSONResponse:
    """A number too large for the database (an id or an offset beyond 64 bits) or for a date."""
    return problem(
        400, "Bad input", f"a number in the request is out of range ({exc}); ids and counts fit in 63 bits"
    )


def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unexpected error", exc_info=exc)
    return problem(500, "Internal error", "the server failed to handle this request; it has been logged")


def _title(status: int) -> str:
    return {404: "Not found", 405: "Method not allowed", 413: "Request too large"}.get(status, "Error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OverflowError, _overflow)
    app.add_exception_handler(Exception, _unexpected_error)
