"""What every route needs: the ledger, who acts (API token or browser session), and idempotent
replays of POSTs."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ipledger.core.permissions import AuthenticationError, PermissionDeniedError, Principal
from ipledger.service.auth import authenticate_token
from ipledger.service.idempotency import claim_key, complete_key, release_key
from ipledger.service.ledger import Ledger
from ipledger.service.sessions import COOKIE_NAME, SignedIn, session_principal

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ActorDep",
    "LedgerDep",
    "SessionDep",
    "principal_of",
    "reauthenticate",
    "require_reader",
    "run_idempotently",
]

SESSION_COOKIE = COOKIE_NAME
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
    return await principal_of(request, authorization)


async def principal_of(request: Request, authorization: str | None) -> Principal:
    """Who the request acts as, from its API token or, without one, its browser session cookie.

    Async although it reads the database (two indexed lookups): a thread-pool hop per request
    would cost more than the lookups themselves, which block the event loop for well under a
    millisecond."""
    return _authenticate(request, authorization)


def _authenticate(request: Request, authorization: str | None) -> Principal:
    if authorization is None:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret is None:
            raise AuthenticationError(
                "this API needs a token: send `Authorization: Bearer <token>` (`ipledger token create`), "
                "or sign in with POST /api/v1/session"
            )
        return _signed_in(request, secret).principal
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be `Bearer <token>`")
    # A token travels only where a program puts it, never on its own like a cookie: no CSRF check.
    principal = authenticate_token(request.app.state.ledger, token.strip(), datetime.now(UTC))
    if principal is None:
        raise AuthenticationError("the token is unknown, expired or revoked")
    return principal


def reauthenticate(request: Request) -> Principal | None:
    """The principal of the request's credentials now, or None when they no longer hold (a
    long-lived request such as the event stream asks again from time to time)."""
    try:
        return _authenticate(request, request.headers.get("authorization"))
    except (AuthenticationError, PermissionDeniedError):
        return None


def _signed_in(request: Request, secret: str | None) -> SignedIn:
    """The browser session of the cookie ``secret``; a change (POST, PUT, PATCH, DELETE) must also
    send the session's CSRF token in ``X-CSRF-Token``.

    The cookie is SameSite=Strict already; the token is the second wall, for browsers that ignore
    SameSite and for requests from a sibling site on the same registrable domain.

    Raises:
        AuthenticationError: no cookie, or its session is unknown or has ended.
        PermissionDeniedError: a change without the right CSRF token.
    """
    found = None if secret is None else session_principal(request.app.state.ledger, secret, datetime.now(UTC))
    if found is None:
        raise AuthenticationError("no browser session, or it has ended: sign in with POST /api/v1/session")
    if request.method in _UNSAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None or not hmac.compare_digest(sent.encode(), found.csrf_token.encode()):
            raise PermissionDeniedError("missing or wrong CSRF token")
    return found


async def _browser_session(request: Request) -> SignedIn:
    """The request's browser session, for the routes about the session itself (never a token)."""
    return _signed_in(request, request.cookies.get(SESSION_COOKIE))


async def require_reader(principal: Annotated[Principal, Depends(_principal)]) -> None:
    """Every route: a principal with any grant may read (writes are checked per object)."""
    principal.require_read()


LedgerDep = Annotated[Ledger, Depends(_ledger)]
# The principal acts: the service authorises each change against its grants and records it.
ActorDep = Annotated[Principal, Depends(_principal)]
SessionDep = Annotated[SignedIn, Depends(_browser_session)]


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
