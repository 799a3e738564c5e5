"""Health endpoints for load balancers and orchestrators: unauthenticated, outside the API's schema.

- ``GET /healthz`` (liveness): the process answers; never touches the database, so that a
  database outage does not get every server process restarted.
- ``GET /readyz`` (readiness): the database answers ``SELECT 1`` within a few seconds; otherwise
  503 with a problem body, and the load balancer sends requests elsewhere meanwhile.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ipledger.api.errors import problem
from ipledger.core.errors import LedgerError
from ipledger.service.ledger import Ledger

__all__ = ["READY_TIMEOUT_SECONDS", "router"]

router = APIRouter()

READY_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    ledger: Ledger = request.app.state.ledger
    try:
        await asyncio.wait_for(run_in_threadpool(ledger.ping), READY_TIMEOUT_SECONDS)
    except LedgerError as error:
        response = problem(503, "Not ready", str(error))
    except TimeoutError:
        response = problem(
            503, "Not ready", f"database unavailable: no answer within {READY_TIMEOUT_SECONDS:.0f} s"
        )
    else:
        response = JSONResponse({"status": "ready"})
    response.headers["Cache-Control"] = "no-store"
    return response
