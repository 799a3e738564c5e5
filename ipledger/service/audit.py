"""Reading the audit log: every change with who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ipledger.service.ledger import Ledger
from ipledger.service.records import ChangeRecord
from ipledger.store.models import Change

__all__ = ["list_changes"]


def list_changes(
    ledger: Ledger,
    *,
    object_kind: str | None = None,
    object_id: int | None = None,
    label: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[ChangeRecord]:
    """Changes, newest first, filtered by object, actor and time (``since`` inclusive, ``until`` not)."""
    with ledger.reading() as session:
        query = select(Change)
        if object_kind is not None:
            query = query.where(Change.object_kind == object_kind)
        if object_id is not None:
            query = query.where(Change.object_id == object_id)
        if label is not None:
            query = query.where(Change.object_label.contains(label))
        if actor is not None:
            query = query.where(Change.actor == actor)
        if since is not None:
            query = query.where(Change.at >= since)
        if until is not None:
            query = query.where(Change.at < until)
        query = query.order_by(Change.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [
            ChangeRecord(
                row.id,
                row.at,
                row.actor,
                row.action,
                row.object_kind,
                row.object_id,
                row.object_label,
                row.before,
                row.after,
            )
            for row in session.scalars(query)
        ]
