"""The browser session: sign in with a password, see who is signed in, sign out.

These routes stand outside the readers' guard: signing in comes before there is a principal.
The cookie ``ipledger_session`` is HttpOnly (no script reads it), SameSite=Strict (no other site's
page sends it) and Secure when the request came over HTTPS or ``IPLEDGER_SECURE_COOKIES=1`` says
the server sits behind a TLS proxy (which uvicorn sees as plain HTTP).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from ipledger.api.deps import CSRF_HEADER, SESSION_COOKIE, LedgerDep, SessionDep
from ipledger.api.session_schemas import SessionCreate, SessionRead
from ipledger.service import sessions

router = APIRouter(tags=["session"])


@router.post(
    "/session",
    status_code=201,
    response_model=SessionRead,
    summary="Sign in with a password",
    description=(
        "Sets the session cookie and answers the CSRF token that every change made with the "
        f"cookie must send as `{CSRF_HEADER}`. Every refusal (unknown user, wrong password, "
        "locked or disabled user) is the same 401; five wrong passwords in a row lock the user "
        "for 15 minutes."
    ),
)
def open_session(body: SessionCreate, request: Request, response: Response, ledger: LedgerDep) -> SessionRead:
    record, secret, csrf_token = sessions.open_session(ledger, body.name, body.password, datetime.now(UTC))
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_is_secure(request),
        httponly=True,
        samesite="strict",
    )
    return SessionRead.of(record.user, record.grants, csrf_token=csrf_token, expires_at=record.expires_at)


@router.get(
    "/session",
    response_model=SessionRead,
    summary="Who is signed in, with the session's CSRF token",
    description="Answers by the session cookie only (401 without one, whatever the Authorization header).",
)
def read_session(current: SessionDep) -> SessionRead:
    principal = current.principal
    return SessionRead.of(
        principal.name, principal.grants, csrf_token=current.csrf_token, expires_at=current.expires_at
    )


@router.delete(
    "/session",
    status_code=204,
    summary="Sign out",
    description=f"Ends the session at once and clears its cookie; needs the `{CSRF_HEADER}` header.",
)
def close_session(request: Request, _current: SessionDep, ledger: LedgerDep) -> Response:
    sessions.close_session(ledger, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=_is_secure(request), httponly=True, samesite="strict"
    )
    return response


def _is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("IPLEDGER_SECURE_COOKIES") == "1"
