"""Clusters, their networks (prefixes and ranges managed by them) and saved plans."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipledger.store.models import Cluster, Plan, Prefix, Range

__all__ = [
    "find_cluster",
    "find_plan",
    "list_cluster_prefixes",
    "list_cluster_ranges",
    "list_clusters",
    "list_plans",
    "list_prefixes_managed_by",
    "list_ranges_managed_by",
    "list_scheduled_clusters",
]


def find_cluster(session: Session, name: str) -> Cluster | None:
    return session.scalars(select(Cluster).where(Cluster.name == name)).one_or_none()


def list_clusters(
    session: Session, *, space_id: int | None = None, group_ids: Sequence[int] | None = None
) -> Sequence[Cluster]:
    statement = select(Cluster).order_by(Cluster.name)
    if space_id is not None:
        statement = statement.where(Cluster.space_id == space_id)
    if group_ids is not None:
        statement = statement.where(Cluster.group_id.in_(group_ids))
    return session.scalars(statement).all()


def list_scheduled_clusters(session: Session) -> Sequence[Cluster]:
    """Clusters the server syncs periodically (given a kubeconfig), by id."""
    return session.scalars(
        select(Cluster).where(Cluster.sync_kubeconfig.is_not(None)).order_by(Cluster.id)
    ).all()


def list_cluster_prefixes(session: Session, managed_by: str) -> Sequence[Prefix]:
    """The prefixes ``managed_by`` the cluster, by space, family and address."""
    return session.scalars(
        select(Prefix)
        .where(Prefix.managed_by == managed_by)
        .order_by(Prefix.space_id, Prefix.family, Prefix.first, Prefix.prefixlen)
    ).all()


def list_prefixes_managed_by(session: Session, labels: Sequence[str]) -> Sequence[Prefix]:
    """The prefixes managed by any of these (one query for a whole listing)."""
    if not labels:
        return []
    return session.scalars(
        select(Prefix)
        .where(Prefix.managed_by.in_(labels))
        .order_by(Prefix.space_id, Prefix.family, Prefix.first, Prefix.prefixlen)
    ).all()


def list_ranges_managed_by(session: Session, labels: Sequence[str]) -> Sequence[Range]:
    if not labels:
        return []
    return session.scalars(
        select(Range).where(Range.managed_by.in_(labels)).order_by(Range.space_id, Range.family, Range.first)
    ).all()


def list_cluster_ranges(session: Session, managed_by: str) -> Sequence[Range]:
    return session.scalars(
        select(Range)
        .where(Range.managed_by == managed_by)
        .order_by(Range.space_id, Range.family, Range.first)
    ).all()


def find_plan(session: Session, plan_id: int, *, for_update: bool = False) -> Plan | None:
    statement = select(Plan).where(Plan.id == plan_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def list_plans(
    session: Session, *, status: str | None = None, cluster: str | None = None, limit: int = 100
) -> Sequence[Plan]:
    statement = select(Plan).order_by(Plan.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(Plan.status == status)
    if cluster is not None:
        statement = statement.where(Plan.cluster == cluster)
    return session.scalars(statement).all()
