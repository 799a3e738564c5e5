"""Reading the audit log: every change with who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime

from ipledger.core.permissions import PRIVATE_KINDS, Principal
from ipledger.service.ledger import Ledger
from ipledger.service.records import ChangeRecord
from ipledger.store import catalog
from ipledger.store.models import Change

__all__ = ["change_record", "hidden_kinds", "list_changes", "search_changes"]


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
    records, _ = search_changes(
        ledger,
        object_kind=object_kind,
        object_id=object_id,
        label=label,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return records


def search_changes(
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
    viewer: Principal | None = None,
) -> tuple[list[ChangeRecord], int]:
    """:func:`list_changes` with the number of matching entries before paging; a ``viewer``
    sees only the entries its grants may see (changes of users and tokens: admins only)."""
    with ledger.reading() as session:
        rows, total = catalog.list_changes(
            session,
            object_kind=object_kind,
            object_id=object_id,
            label=label,
            actor=actor,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            hidden_kinds=hidden_kinds(viewer),
        )
        return [change_record(row) for row in rows], total


def hidden_kinds(viewer: Principal | None) -> frozenset[str]:
    """The object kinds whose changes ``viewer`` may not see (None: the CLI, which sees all)."""
    if viewer is None:
        return frozenset()
    return frozenset(kind for kind in PRIVATE_KINDS if not viewer.can_see_change(kind))


def change_record(row: Change) -> ChangeRecord:
    return ChangeRecord(
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
