"""Who looks at a page: the browser session of the request's cookie, or nobody."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from ipledger.service.ledger import Ledger
from ipledger.service.sessions import COOKIE_NAME, SignedIn, session_principal

__all__ = ["NotSignedIn", "signed_in", "to_login"]


class NotSignedIn(Exception):
    """The page needs a signed-in user; the handler sends the browser to the login page."""


def signed_in(request: Request) -> SignedIn:
    """The request's session.

    Raises:
        NotSignedIn: no cookie, or its session has ended.
    """
    secret = request.cookies.get(COOKIE_NAME)
    ledger: Ledger = request.app.state.ledger
    found = None if secret is None else session_principal(ledger, secret, datetime.now(UTC))
    if found is None or not found.principal.can_read():
        raise NotSignedIn
    return found


def to_login(request: Request) -> RedirectResponse:
    """To the login page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
