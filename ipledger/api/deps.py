"""What every route needs: the ledger, who acts, and idempotent replays of POSTs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ipledger.service.idempotency import claim_key, complete_key, release_key
from ipledger.service.ledger import Ledger

__all__ = ["ActorDep", "LedgerDep", "run_idempotently"]


# Both are async only so that FastAPI calls them on the event loop: a plain function would
# cost each request two extra hops through the thread pool.
async def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def _actor(
    x_actor: Annotated[str | None, Header(description="Who acts, for the audit log.")] = None,
) -> str:
    return (x_actor or "api").strip()[:200] or "api"


LedgerDep = Annotated[Ledger, Depends(_ledger)]
ActorDep = Annotated[str, Depends(_actor)]


def run_idempotently(
    ledger: Ledger,
    request: Request,
    key: str | None,
    payload: Any,
    *,
    actor: str,
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
