"""The NetBox API's own answers: every route of it reports NetBox errors the way NetBox does.

NetBox clients (pynetbox, Ansible, Terraform) read ``{"field": ["message"]}`` on 400,
``{"detail": "..."}`` on 403, 404 and 409, and the ``API-Version`` header of every answer; the
native API's problem details would confuse them. This route class translates errors for the
NetBox routes only, so ``api/errors.py`` stays the one place for the native API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ipledger.core.errors import (
    ConflictError,
    ExhaustedError,
    InvalidInputError,
    LedgerError,
    NotFoundError,
    StaleVersionError,
)
from ipledger.core.permissions import AuthenticationError, PermissionDeniedError

__all__ = ["API_VERSION", "NETBOX_VERSION", "NetBoxRoute", "netbox_error"]

# The NetBox release whose API this follows (see README "NetBox compatibility").
NETBOX_VERSION = "4.6.8"
API_VERSION = "4.6"
_log = logging.getLogger("ipledger.api.netbox")


class NetBoxRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except (LedgerError, RequestValidationError) as exc:
                response = netbox_error(exc, method=request.method)
            response.headers["API-Version"] = API_VERSION
            return response

        return handle


def netbox_error(exc: Exception, *, method: str = "GET") -> JSONResponse:
    """The NetBox answer to an error raised while serving a NetBox route."""
    if isinstance(exc, RequestValidationError):
        return JSONResponse(_validation_body(exc.errors()), status_code=400)
    message = str(exc)
    if isinstance(exc, InvalidInputError):
        return JSONResponse({exc.field or "non_field_errors": [message]}, status_code=400)
    if isinstance(exc, NotFoundError):
        return JSONResponse({"detail": "Not found.", "reason": message}, status_code=404)
    if isinstance(exc, ExhaustedError):
        return JSONResponse({"detail": message}, status_code=409)
    if isinstance(exc, ConflictError):
        if method == "DELETE":
            # NetBox refuses to delete what others depend on with 409.
            return JSONResponse({"detail": message}, status_code=409)
        # A duplicate is a validation error in NetBox: 400.
        return JSONResponse({"non_field_errors": [message]}, status_code=400)
    if isinstance(exc, StaleVersionError):
        return JSONResponse({"detail": message}, status_code=412)
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return JSONResponse({"detail": message}, status_code=403)
    _log.warning("ledger error: %s", message)
    return JSONResponse({"detail": message}, status_code=503)


def _validation_body(errors: Any) -> dict[str, list[str]]:
    body: dict[str, list[str]] = {}
    for error in errors:
        location = [str(part) for part in error["loc"] if part not in ("body", "query", "path")]
        body.setdefault(".".join(location) or "non_field_errors", []).append(str(error["msg"]))
    return body
