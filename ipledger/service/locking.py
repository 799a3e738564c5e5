"""Serialising writes per parent, so that concurrent allocations never collide.

SQLite: every write transaction already holds the database's write lock (BEGIN IMMEDIATE).
PostgreSQL: lock the rows of every prefix containing the span being written, outermost first (a
fixed order, so two writers cannot deadlock), or the space's row when no prefix contains it.
Then read the chain again: if a prefix around the span appeared or vanished while waiting, lock
the new chain instead. The unique constraints remain the last guard.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipledger.core.errors import LedgerError
from ipledger.core.ranges import IPRange
from ipledger.store import queries
from ipledger.store.models import Prefix, Space

__all__ = ["lock_chain", "lock_within"]

_ATTEMPTS = 5


def lock_chain(session: Session, space: Space, span: IPRange) -> list[Prefix]:
    """Lock and return every prefix containing ``span`` (outermost first)."""
    if session.get_bind().dialect.name != "postgresql":
        return queries.list_prefixes_containing(session, space.id, span)
    for _ in range(_ATTEMPTS):
        chain = queries.list_prefixes_containing(session, space.id, span)
        if not chain:
            session.execute(select(Space.id).where(Space.id == space.id).with_for_update())
            session.expire_all()
            if not queries.list_prefixes_containing(session, space.id, span):
                return []
            continue
        ids = [prefix.id for prefix in chain]
        session.execute(
            select(Prefix.id).where(Prefix.id.in_(ids)).order_by(Prefix.prefixlen).with_for_update()
        )
        session.expire_all()
        again = queries.list_prefixes_containing(session, space.id, span)
        if [prefix.id for prefix in again] == ids:
            return again
    raise LedgerError(f"the prefixes around {span} kept changing; try again")


def lock_within(session: Session, space: Space, span: IPRange) -> None:
    """Also lock the prefixes inside ``span``: a new prefix around them changes what they count."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Prefix.id)
            .where(
                Prefix.space_id == space.id,
                Prefix.family == span.version,
                Prefix.first >= span.first,
                Prefix.first <= span.last,
            )
            .order_by(Prefix.prefixlen, Prefix.first)
            .with_for_update()
        )
