"""Serialising writes per parent, so that concurrent allocations never collide.

SQLite: every write transaction already holds the database's write lock (BEGIN IMMEDIATE).
PostgreSQL: lock the rows of every prefix containing the span being written, outermost first (a
fixed order, so two writers cannot deadlock), or the space's row when no prefix contains it.
Then read the chain again: if a prefix around the span appeared or vanished while waiting, lock
the new chain instead. The unique constraints remain the last guard.
"""

from __future__ import annotations

from ipledger.core.errors import LedgerError
from ipledger.core.ranges import IPRange
from ipledger.store import locks, queries
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Space

__all__ = ["lock_chain", "lock_within"]

_ATTEMPTS = 5


def lock_chain(session: Session, space: Space, span: IPRange) -> list[Prefix]:
    """Lock and return every prefix containing ``span`` (outermost first)."""
    if not locks.takes_row_locks(session):
        return queries.list_prefixes_containing(session, space.id, span)
    for _ in range(_ATTEMPTS):
        chain = queries.list_prefixes_containing(session, space.id, span)
        if not chain:
            locks.lock_space(session, space.id)
            if not queries.list_prefixes_containing(session, space.id, span):
                return []
            continue
        ids = [prefix.id for prefix in chain]
        locks.lock_prefixes(session, ids)
        again = queries.list_prefixes_containing(session, space.id, span)
        if [prefix.id for prefix in again] == ids:
            return again
    raise LedgerError(f"the prefixes around {span} kept changing; try again")


def lock_within(session: Session, space: Space, span: IPRange) -> None:
    """Also lock the prefixes inside ``span``: a new prefix around them changes what they count."""
    locks.lock_prefixes_within(session, space.id, span)
