"""What every route needs: the ledger, who acts, and idempotent replays of POSTs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ipledger.core.permissions import AuthenticationError, Principal
from ipledger.service.auth import authenticate_token
from ipledger.service.idempotency import claim_key, complete_key, release_key
from ipledger.service.ledger import Ledger

__all__ = ["ActorDep", "LedgerDep", "require_reader", "run_idempotently"]


# Both are async only so that FastAPI calls them on the event loop: a plain function would
# cost each request two extra hops through the thread pool.
async def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def _principal(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <API token>` (create one with `ipledger token create`).")
    ] = None,
) -> Principal:
    """Who the request acts as, from its API token.

    Async although it reads the database (two indexed lookups): a thread-pool hop per request
    would cost more than the lookups themselves, which block the event loop for well under a
    millisecond."""
    if authorization is None:
        raise AuthenticationError(
            "this API needs a token: send `Authorization: Bearer <token>` (`ipledger token create`)"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be `Bearer <token>`")
    principal = authenticate_token(request.app.state.ledger, token.strip(), datetime.now(UTC))
    if principal is None:
        raise AuthenticationError("the token is unknown, expired or revoked")
    return principal


async def require_reader(principal: Annotated[Principal, Depends(_principal)]) -> None:
    """Every route: a principal with any grant may read (writes are checked per object)."""
    principal.require_read()


LedgerDep = Annotated[Ledger, Depends(_ledger)]
# The principal acts: the service authorises each change against its grants and records it.
ActorDep = Annotated[Principal, Depends(_principal)]


def run_idempotently(
    ledger: Ledger,
    request: Request,
    key: str | None,
    payload: Any,
    *,
    actor: Principal,
    status: int,
    run: Callable[[], Any],
) -> JSONResponse:
    """Run ``run`` once per Idempotency-Key: a retry with the same key and request gets the
    first response again (marked ``Idempotent-Replayed: true``) instead of a second run."""
    if key is None:
        return JSONResponse(_plain(run()), status_code=status)
    fingerprint = hashlib.sha256(
        json.dumps([request.method, request.url.path, jsonable_encoder(payload)], sort_keys=True).encode()
    ).hexdigest()
    replay = claim_key(ledger, key, fingerprint, actor=actor)
    if replay is not None:
        response = JSONResponse(json.loads(replay.body), status_code=replay.status)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        body = _plain(run())
    except Exception:
        # Whatever went wrong, the request did nothing: its retry must be able to run.
        release_key(ledger, key, actor=actor)
        raise
    complete_key(ledger, key, status=status, body=json.dumps(body), actor=actor)
    return JSONResponse(body, status_code=status)


def _plain(value: Any) -> Any:
    """JSON-ready data; pydantic's own dump is far cheaper than FastAPI's generic encoder."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return jsonable_encoder(value)
