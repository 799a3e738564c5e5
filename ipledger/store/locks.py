"""Row locks for PostgreSQL writers; on SQLite these do nothing, since every write transaction
already holds the database's write lock (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipledger.core.ranges import IPRange
from ipledger.store.models import Cluster, Prefix, Space

__all__ = ["lock_cluster", "lock_prefixes", "lock_prefixes_within", "lock_space", "takes_row_locks"]


def takes_row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
