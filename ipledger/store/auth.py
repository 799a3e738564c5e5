"""Queries about users, their grants and their API tokens. No function here commits or hashes:
the service owns the transaction and the credentials."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from ipledger.store.models import ApiToken, BrowserSession, Group, User, UserGrant, WebhookSubscription

__all__ = [
    "delete_user_rows",
    "find_grants",
    "find_token",
    "find_token_by_prefix",
    "find_token_holder",
    "find_user",
    "grants_by_user",
    "grants_of",
    "has_users",
    "list_global_admin_ids",
    "list_live_token_names",
    "list_owned_webhook_ids",
    "list_tokens",
    "list_users",
    "token_principal_rows",
    "touch_token",
]


def find_user(session: Session, name: str, *, for_update: bool = False) -> User | None:
    """The user called ``name``; ``for_update`` locks its row on PostgreSQL (login counters)."""
    query = select(User).where(User.name == name)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def list_owned_webhook_ids(session: Session, user_id: int) -> list[int]:
    rows = session.scalars(select(WebhookSubscription.id).where(WebhookSubscription.owner_id == user_id))
    return sorted(rows)


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def grants_by_user(session: Session, user_ids: Iterable[int]) -> dict[int, list[tuple[str, str | None]]]:
    """``(role, group path or None)`` of each user's grants, in one query."""
    rows = session.execute(
        select(UserGrant.user_id, UserGrant.role, Group.path)
        .outerjoin(Group, Group.id == UserGrant.group_id)
        .where(UserGrant.user_id.in_(list(user_ids)))
        .order_by(UserGrant.id)
    )
    found: dict[int, list[tuple[str, str | None]]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append((row.role, row.path))
    return found


def find_grants(session: Session, user_id: int, role: str, group_id: int | None) -> Sequence[UserGrant]:
    """The user's grants of ``role`` on that group (None: everywhere); the unique constraint cannot
    stop duplicate global grants, since NULLs never collide, so there may be more than one."""
    group_match = UserGrant.group_id.is_(None) if group_id is None else UserGrant.group_id == group_id
    return session.scalars(
        select(UserGrant).where(UserGrant.user_id == user_id, UserGrant.role == role, group_match)
    ).all()


def list_global_admin_ids(session: Session, *, admin_role: str) -> set[int]:
    """Ids of the enabled users holding ``admin_role`` everywhere."""
    return set(
        session.scalars(
            select(UserGrant.user_id)
            .join(User, User.id == UserGrant.user_id)
            .where(UserGrant.role == admin_role, UserGrant.group_id.is_(None), User.disabled.is_(False))
        )
    )


def delete_user_rows(session: Session, user_id: int) -> None:
    """Remove a user's grants, tokens and browser sessions, ahead of the user's own row."""
    session.execute(delete(UserGrant).where(UserGrant.user_id == user_id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))


def find_token(session: Session, token_id: int) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


# The lookups of every API request, built once (composing a statement costs more than running it).
_TOKEN_HOLDER = (
    select(
        ApiToken.id,
        ApiToken.name,
        ApiToken.token_hash,
        ApiToken.scope,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
        User.id.label("user_id"),
        User.name.label("user_name"),
        User.kind,
        User.disabled,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.prefix == bindparam("prefix"))
)
_GRANTS_OF = (
    select(UserGrant.role, Group.path)
    .outerjoin(Group, Group.id == UserGrant.group_id)
    .where(UserGrant.user_id == bindparam("user_id"))
    .order_by(UserGrant.id)
)


_TOKEN_PRINCIPAL = (
    select(
        ApiToken.name,
        ApiToken.token_hash,
        ApiToken.scope,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
        ApiToken.id,
        User.name.label("user_name"),
        User.kind,
        User.disabled,
        UserGrant.role,
        Group.path,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(UserGrant, UserGrant.user_id == User.id)
    .outerjoin(Group, Group.id == UserGrant.group_id)
    .where(ApiToken.prefix == bindparam("prefix"))
    .order_by(UserGrant.id)
)


def token_principal_rows(connection: Connection, prefix: str) -> Sequence[Any]:
    """The token with this prefix, its user and the user's grants: one row per grant (one row
    with no role for a user without grants), in one statement."""
    return connection.execute(_TOKEN_PRINCIPAL, {"prefix": prefix}).all()


def find_token_holder(session: Session, prefix: str) -> Any:
    """The token with this prefix and its user's name, kind and state, as one plain row."""
    return session.execute(_TOKEN_HOLDER, {"prefix": prefix}).first()


def grants_of(session: Session, user_id: int) -> list[tuple[str, str | None]]:
    """``(role, group path or None)`` of one user's grants."""
    return [(row.role, row.path) for row in session.execute(_GRANTS_OF, {"user_id": user_id})]


def find_token_by_prefix(session: Session, prefix: str) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.prefix == prefix)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def list_tokens(session: Session, *, user_id: int | None = None) -> Sequence[tuple[ApiToken, str]]:
    """Tokens with their user's name, by user then creation."""
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    rows = session.execute(query.order_by(User.name, ApiToken.id))
    return [(row[0], row[1]) for row in rows]


def list_live_token_names(session: Session, user_id: int, now: datetime) -> list[str]:
    """Names of the user's tokens that are neither revoked nor expired at ``now``."""
    return list(
        session.scalars(
            select(ApiToken.name)
            .where(
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
            .order_by(ApiToken.id)
        )
    )


def touch_token(session: Session, token_id: int, now: datetime, *, every: timedelta) -> None:
    """Set the token's last use to ``now`` unless it was set less than ``every`` ago (by anyone)."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - every),
        )
        .values(last_used_at=now)
    )
