"""Browser sessions: a password login opens one, its cookie proves it, logout or time ends it.

The cookie carries a secret of 32 random bytes (URL-safe base64, 43 characters); only its
SHA-256 is stored, for the reason given for API tokens in ``service.auth``: a 256-bit random
secret cannot be guessed however fast the hash. Each session also has a CSRF token (32 random
bytes), which the page sends back in a header with every change. It is stored in clear: alone it
opens nothing (the cookie is needed too), and a reloaded page, which cannot read the HttpOnly
cookie, must be able to ask for it again.

A session ends at the first of: logout; two hours without a request (``IDLE_TIMEOUT``, measured
from its last use, which is recorded at most once a minute); twelve hours after login
(``SESSION_LIFETIME``: one working day, then a fresh password); its user disabled, deleted or
given a new password. Ended sessions are deleted on each login and by
:func:`delete_expired_sessions`.

Logins and logouts are audit entries of the user (actions ``login`` and ``logout``); failed
logins are counted, and lock the user, by :func:`service.auth.check_password`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ipledger.core.permissions import AuthenticationError, Grant, Principal, UserKind
from ipledger.service.auth import LOGIN_REFUSED, SYSTEM_ACTOR, check_password, sorted_grants
from ipledger.service.ledger import Ledger
from ipledger.store import auth as users
from ipledger.store import sessions as store
from ipledger.store.models import BrowserSession

# The cookie that carries the session's secret, for the API and the web pages alike.
COOKIE_NAME = "ipledger_session"

__all__ = [
    "COOKIE_NAME",
    "IDLE_TIMEOUT",
    "SESSION_LIFETIME",
    "SessionRecord",
    "SignedIn",
    "close_session",
    "delete_expired_sessions",
    "open_session",
    "session_principal",
]

SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
# Recording every request would make each page view a write; a minute is precise enough for a
# two-hour idle timeout.
_TOUCH_EVERY = timedelta(minutes=1)
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A browser session as the ledger shows it: never its secret or hash."""

    id: int
    user: str
    grants: tuple[Grant, ...]
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a session cookie belongs to, the CSRF token its changes must carry, and its absolute end."""

    principal: Principal
    csrf_token: str
    expires_at: datetime


def open_session(ledger: Ledger, name: str, password: str, now: datetime) -> tuple[SessionRecord, str, str]:
    """Sign ``name`` in with ``password`` at ``now``: the new session, the secret for its cookie
    and its CSRF token. The secret is returned this once and never stored.

    Raises:
        AuthenticationError: with one message for every reason (see ``check_password``, which
            also counts the failure).
    """
    principal = check_password(ledger, name, password, now)
    secret, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with ledger.transaction(principal.name) as tx:
        user = users.find_user(tx.session, principal.name)
        if user is None or user.disabled:
            raise AuthenticationError(LOGIN_REFUSED)  # deleted or disabled since the password check
        store.delete_ended_sessions(tx.session, now, idle=IDLE_TIMEOUT)
        row = BrowserSession(
            user_id=user.id,
            secret_hash=_hash_secret(secret),
            csrf_token=csrf_token,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            last_seen_at=now,
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            "login",
            "user",
            user.id,
            user.name,
            after={"session": row.id, "expires_at": row.expires_at.isoformat()},
        )
        record = SessionRecord(row.id, user.name, principal.grants, now, row.expires_at, now)
    return record, secret, csrf_token


def session_principal(ledger: Ledger, secret: str, now: datetime) -> SignedIn | None:
    """Who holds the session cookie ``secret`` at ``now``; None for a malformed or unknown secret,
    an ended session and a disabled user. Records the use (at most once a minute)."""
    if _SECRET.fullmatch(secret) is None:
        return None
    with ledger.reading() as session:
        # The row is found by the hash of a 256-bit secret: how long the lookup takes tells an
        # attacker nothing about the secrets of others, so no constant-time comparison is needed.
        row = store.find_session_holder(session, _hash_secret(secret))
        if row is None or row.disabled or _has_ended(row.expires_at, row.last_seen_at, now):
            return None
        principal = Principal(
            row.user_name, UserKind(row.kind), sorted_grants(users.grants_of(session, row.user_id))
        )
    if now - row.last_seen_at >= _TOUCH_EVERY:
        with ledger.transaction(principal.actor) as tx:
            store.touch_session(tx.session, row.id, now, every=_TOUCH_EVERY)
    return SignedIn(principal, row.csrf_token, row.expires_at)


def close_session(ledger: Ledger, secret: str) -> bool:
    """Log out: delete the session of ``secret`` at once; False when there was none."""
    if _SECRET.fullmatch(secret) is None:
        return False
    with ledger.transaction(SYSTEM_ACTOR) as tx:
        found = store.find_session(tx.session, _hash_secret(secret))
        if found is None:
            return False
        row, user = found
        tx.act_as(user.name)
        tx.record("logout", "user", user.id, user.name, before={"session": row.id})
        tx.session.delete(row)
    return True


def delete_expired_sessions(ledger: Ledger, now: datetime) -> int:
    """Delete the sessions that have ended by ``now`` (idle or past their end); how many went.
    Not an audit entry: nobody changed anything."""
    with ledger.transaction(SYSTEM_ACTOR) as tx:
        return store.delete_ended_sessions(tx.session, now, idle=IDLE_TIMEOUT)


def _has_ended(expires_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """Whether a session is over at ``now``: its absolute end, or idle since ``last_seen_at``
    (both timeouts end it at that instant)."""
    return now >= expires_at or now >= last_seen_at + IDLE_TIMEOUT


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
