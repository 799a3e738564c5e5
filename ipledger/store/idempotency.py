"""Stored idempotency keys (see models.IdempotencyKey). No function here commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ipledger.store.models import IdempotencyKey

__all__ = ["delete_key", "find_key", "insert_claim", "store_response"]


def find_key(session: Session, key: str) -> IdempotencyKey | None:
    return session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == key)).one_or_none()


def insert_claim(session: Session, key: str, fingerprint: str, now: datetime) -> None:
    session.add(IdempotencyKey(key=key, fingerprint=fingerprint, status=None, body=None, created_at=now))
    session.flush()


def store_response(session: Session, key: str, status: int, body: str) -> None:
    found = find_key(session, key)
    if found is not None:
        found.status, found.body = status, body


def delete_key(session: Session, key: str) -> None:
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key))
