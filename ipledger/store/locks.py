"""Row locks for PostgreSQL writers; on SQLite these do nothing, since every write transaction
already holds the database's write lock (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ipledger.core.ranges import IPRange
from ipledger.store.models import Cluster, Prefix, Space

__all__ = [
    "SYNC_LOCK",
    "hold_exclusive",
    "lock_audit_log",
    "lock_cluster",
    "lock_prefixes",
    "lock_prefixes_within",
    "lock_space",
    "takes_row_locks",
]


def takes_row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Any fixed number: the key of the one advisory lock that orders audit entries.
_AUDIT_LOG_LOCK = 0x1F1ED6E5


def lock_audit_log(session: Session) -> None:
    """Hold the audit log until this transaction ends, so that entries commit in id order.

    PostgreSQL hands out ids when rows are inserted, not when they commit: without this, an
    entry could become visible after one with a higher id, and an event stream resuming "after
    id N" would never deliver it. Taken just before the entries are written at the end of a
    transaction, so it is held only for the moment of the commit.
    """
    if takes_row_locks(session):
        session.execute(select(func.pg_advisory_xact_lock(_AUDIT_LOG_LOCK)))


# The key of the advisory locks held while a cluster's sync runs (the second key: its id).
SYNC_LOCK = 0x1F1ED6E6


@contextmanager
def hold_exclusive(engine: Engine, key: int, item: int) -> Iterator[bool]:
    """Try to take the advisory lock (key, item) for the length of the block; yields whether it
    was taken. Another holder, in any process on the same PostgreSQL database, makes it False.

    A session-level lock on a connection of its own: PostgreSQL releases it when the block ends,
    and also when the process holding it dies, so that a killed server never blocks the others.
    On SQLite it is always taken (one process serves a SQLite file).
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        taken = bool(connection.execute(select(func.pg_try_advisory_lock(key, item))).scalar())
        connection.commit()
        try:
            yield taken
        finally:
            if taken:
                connection.execute(select(func.pg_advisory_unlock(key, item)))
                connection.commit()


def lock_space(session: Session, space_id: int) -> None:
    if takes_row_locks(session):
        session.execute(select(Space.id).where(Space.id == space_id).with_for_update())
        session.expire_all()


def lock_cluster(session: Session, cluster_id: int) -> None:
    """Lock a cluster's row, so that two server processes never claim the same sync."""
    if takes_row_locks(session):
        session.execute(select(Cluster.id).where(Cluster.id == cluster_id).with_for_update())


def lock_prefixes(session: Session, ids: Sequence[int]) -> None:
    """Lock the prefixes' rows outermost first, a fixed order so that writers cannot deadlock."""
    if takes_row_locks(session) and ids:
        session.execute(
            select(Prefix.id).where(Prefix.id.in_(ids)).order_by(Prefix.prefixlen).with_for_update()
        )
        session.expire_all()


def lock_prefixes_within(session: Session, space_id: int, span: IPRange) -> None:
    if takes_row_locks(session):
        session.execute(
            select(Prefix.id)
            .where(
                Prefix.space_id == space_id,
                Prefix.family == span.version,
                Prefix.first >= span.first,
                Prefix.first <= span.last,
            )
            .order_by(Prefix.prefixlen, Prefix.first)
            .with_for_update()
        )
