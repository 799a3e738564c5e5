"""Queries about browser sessions. No function here commits or hashes: the service owns the
transaction and the secrets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from ipledger.store.models import BrowserSession, User

__all__ = [
    "delete_ended_sessions",
    "delete_user_sessions",
    "find_session",
    "find_session_holder",
    "touch_session",
]

# The lookup of every request a browser makes, built once (composing a statement costs more
# than running it).
_SESSION_HOLDER = (
    select(
        BrowserSession.id,
        BrowserSession.csrf_token,
        BrowserSession.expires_at,
        BrowserSession.last_seen_at,
        User.id.label("user_id"),
        User.name.label("user_name"),
        User.kind,
        User.disabled,
    )
    .join(User, User.id == BrowserSession.user_id)
    .where(BrowserSession.secret_hash == bindparam("secret_hash"))
)


def find_session_holder(session: Session, secret_hash: str) -> Any:
    """The session with this secret hash and its user's name, kind and state, as one plain row."""
    return session.execute(_SESSION_HOLDER, {"secret_hash": secret_hash}).first()


def find_session(session: Session, secret_hash: str) -> tuple[BrowserSession, User] | None:
    row = session.execute(
        select(BrowserSession, User)
        .join(User, User.id == BrowserSession.user_id)
        .where(BrowserSession.secret_hash == secret_hash)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def touch_session(session: Session, session_id: int, now: datetime, *, every: timedelta) -> None:
    """Set the session's last use to ``now`` unless it was set less than ``every`` ago (by anyone)."""
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.id == session_id, BrowserSession.last_seen_at <= now - every)
        .values(last_seen_at=now)
    )


def delete_ended_sessions(session: Session, now: datetime, *, idle: timedelta) -> int:
    """Delete the sessions past their absolute end or unused for ``idle``; how many went."""
    result = session.execute(
        delete(BrowserSession).where(
            or_(BrowserSession.expires_at <= now, BrowserSession.last_seen_at <= now - idle)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_user_sessions(session: Session, user_id: int) -> int:
    """Delete every session of the user (disabled, deleted, or given a new password); how many went."""
    result = session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
