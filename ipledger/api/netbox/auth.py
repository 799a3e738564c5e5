"""Who a NetBox request acts as: NetBox's ``Authorization: Token <key>`` header carrying an
ipledger API token (``Bearer`` is taken too), with the same tokens and grants as the native API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from ipledger.core.permissions import AuthenticationError, Principal
from ipledger.service.auth import authenticate_token

__all__ = ["NetBoxActor", "require_netbox_reader"]

_SCHEMES = frozenset({"token", "bearer"})


async def _netbox_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Async for the reason given in ``api/deps.py``: the lookup is cheaper than a thread hop."""
    if authorization is None:
        # NetBox's own words, which clients show to the user.
        raise AuthenticationError("Authentication credentials were not provided.")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not key.strip():
        raise AuthenticationError("Invalid token header: send `Authorization: Token <ipledger API token>`.")
    principal = authenticate_token(request.app.state.ledger, key.strip(), datetime.now(UTC))
    if principal is None:
        raise AuthenticationError("Invalid token")
    return principal


async def require_netbox_reader(principal: Annotated[Principal, Depends(_netbox_principal)]) -> None:
    """Every NetBox route: any grant reads (writes are checked per object by the service)."""
    principal.require_read()


NetBoxActor = Annotated[Principal, Depends(_netbox_principal)]
