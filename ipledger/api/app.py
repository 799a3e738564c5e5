"""The API application: routers under /api/v1, the OpenAPI schema and docs, error handling."""

from __future__ import annotations

import os

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ipledger import __version__
from ipledger.api import metrics
from ipledger.api.deps import require_reader
from ipledger.api.errors import install_error_handlers
from ipledger.api.limits import BodyLimit
from ipledger.api.netbox import mount as mount_netbox
from ipledger.api.openapi import problem_openapi
from ipledger.api.routes import (
    addresses,
    allocation,
    catalog,
    clusters,
    events,
    health,
    monitoring,
    observations,
    prefixes,
    ranges,
    reports,
    session,
    webhooks,
)
from ipledger.api.security import SecurityHeaders, cors_origins
from ipledger.service.events import CommitSignal
from ipledger.service.ledger import Ledger

__all__ = ["MAX_BODY_BYTES", "PREFIX", "create_app"]

PREFIX = "/api/v1"
# 10,000 objects of a bulk request with every field filled stay well below this.
MAX_BODY_BYTES = 32 * 1024 * 1024

_DESCRIPTION = """
The ledger of IP address space: spaces (VRFs), groups, prefixes, ranges and addresses, with
allocation of the next free address or prefix, utilization, whois and the audit log.

- Errors are RFC 9457 problem details (`application/problem+json`) with `detail` saying what
  to fix and `field` naming the field at fault: 400 bad value, 404 missing, 409 conflict (the
  existing object in `existing`) or exhausted parent, 412 stale `If-Match` (the current object
  in `current`), 422 a body that does not fit the schema.
- Every object carries a `version`; GET answers with an `ETag`. Send it back as `If-Match` on
  PATCH or DELETE so that a concurrent change is refused instead of overwritten.
- POSTs accept an `Idempotency-Key` header: a retry with the same key and body returns the
  first response (header `Idempotent-Replayed: true`) instead of allocating twice.
- Listings page with `limit` and `offset`, or with the `next_cursor` of the previous page,
  and report the `total`.
- The audit log names who acted: the user and, for a request made with one, its token.
- `GET /events` streams every committed change (Server-Sent Events), resumable with
  `Last-Event-ID`.
- Requests authenticate with `Authorization: Bearer <API token>`, or in a browser with the
  session cookie set by `POST /session`; a change made with the cookie must send the session's
  CSRF token as `X-CSRF-Token` (403 otherwise).
"""


def create_app(ledger: Ledger) -> FastAPI:
    app = FastAPI(
        title="ipledger",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=f"{PREFIX}/redoc",
    )
    app.state.ledger = ledger
    app.state.commit_signal = CommitSignal()
    ledger.commit_hooks.append(app.state.commit_signal.notify)
    install_error_handlers(app)
    modules = (
        catalog,
        prefixes,
        ranges,
        addresses,
        allocation,
        reports,
        clusters,
        observations,
        monitoring,
        webhooks,
        events,
    )
    for module in modules:
        app.include_router(module.router, prefix=PREFIX, dependencies=[Depends(require_reader)])
    # Signing in comes before there is a reader; these routes check the session themselves.
    app.include_router(session.router, prefix=PREFIX)
    # Where Prometheus looks by convention, outside the versioned API; it checks its own token.
    app.include_router(metrics.router)
    # For load balancers and orchestrators: no credentials, not in the API's schema.
    app.include_router(health.router)
    # NetBox's API lives at NetBox's paths (/api/ipam/...), outside /api/v1 and its schema.
    mount_netbox(app)

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    origins = cors_origins(os.environ.get("IPLEDGER_CORS_ORIGINS"))
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Last-Event-ID"],
            expose_headers=["ETag", "Idempotent-Replayed"],
        )
    app.add_middleware(SecurityHeaders, docs_paths=(f"{PREFIX}/docs", f"{PREFIX}/redoc"))
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    return app
