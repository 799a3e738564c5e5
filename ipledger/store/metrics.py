"""The queries of one Prometheus scrape: a handful of statements, whatever the number of prefixes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from ipledger.store.database import Session
from ipledger.store.models import (
    Cluster,
    ClusterFinding,
    Group,
    ObservedAddress,
    Prefix,
    Space,
    UtilizationSample,
    WatchFinding,
)

__all__ = [
    "count_cluster_findings",
    "count_open_findings",
    "count_synced_nodes",
    "latest_cluster_samples",
    "list_cluster_pod_prefixlens",
    "list_metric_clusters",
    "list_metric_prefixes",
]


def list_metric_prefixes(
    session: Session,
    *,
    space: str | None,
    group_ids: Sequence[int] | None,
    role: str | None,
    min_prefixlen: int | None,
    max_prefixlen: int | None,
) -> Iterable[Any]:
    """One row per prefix with what its series need: space and group names, counters, marks."""
    statement = (
        select(
            Space.name.label("space"),
            Group.path.label("group"),
            Prefix.family,
            Prefix.first,
            Prefix.prefixlen,
            Prefix.role,
            Prefix.managed_by,
            Prefix.size,
            Prefix.usable,
            Prefix.used,
            Prefix.covered,
            Prefix.utilization_percent,
            Prefix.warning,
            Prefix.critical,
            Prefix.emergency,
        )
        .join(Space, Space.id == Prefix.space_id)
        .outerjoin(Group, Group.id == Prefix.group_id)
    )
    if space is not None:
        statement = statement.where(Space.name == space)
    if group_ids is not None:
        statement = statement.where(Prefix.group_id.in_(group_ids))
    if role is not None:
        statement = statement.where(Prefix.role == role)
    if min_prefixlen is not None:
        statement = statement.where(Prefix.prefixlen >= min_prefixlen)
    if max_prefixlen is not None:
        statement = statement.where(Prefix.prefixlen <= max_prefixlen)
    return session.execute(statement.order_by(Space.name, Prefix.family, Prefix.first, Prefix.prefixlen))


def list_metric_clusters(session: Session, *, group_ids: Sequence[int] | None) -> Iterable[Any]:
    statement = select(Cluster.id, Cluster.name, Cluster.node_prefixlen, Group.path.label("group")).outerjoin(
        Group, Group.id == Cluster.group_id
    )
    if group_ids is not None:
        statement = statement.where(Cluster.group_id.in_(group_ids))
    return session.execute(statement.order_by(Cluster.name))


def list_cluster_pod_prefixlens(session: Session, *, label: str) -> dict[str, list[int]]:
    """The lengths of the IPv4 prefixes with role pod that each cluster manages (``label`` + name)."""
    rows = session.execute(
        select(Prefix.managed_by, Prefix.prefixlen).where(
            Prefix.role == "pod", Prefix.family == 4, Prefix.managed_by.startswith(label)
        )
    )
    found: dict[str, list[int]] = {}
    for managed_by, prefixlen in rows:
        found.setdefault(managed_by.removeprefix(label), []).append(prefixlen)
    return found


def latest_cluster_samples(session: Session) -> dict[int, tuple[int, int]]:
    """(used, total) of each cluster's latest sample."""
    latest = (
        select(func.max(UtilizationSample.id).label("id"))
        .where(UtilizationSample.subject_kind == "cluster")
        .group_by(UtilizationSample.subject_id)
        .subquery()
    )
    rows = session.execute(
        select(UtilizationSample.subject_id, UtilizationSample.used, UtilizationSample.total).join(
            latest, UtilizationSample.id == latest.c.id
        )
    )
    return {row.subject_id: (row.used, row.total) for row in rows}


def count_synced_nodes(session: Session) -> dict[int, int]:
    """How many nodes each cluster had at its last good sync."""
    rows = session.execute(
        select(ObservedAddress.cluster_id, func.count(func.distinct(ObservedAddress.holder)))
        .where(ObservedAddress.kind == "node")
        .group_by(ObservedAddress.cluster_id)
    )
    return {cluster_id: count for cluster_id, count in rows}


def count_open_findings(session: Session) -> list[tuple[str, str, int]]:
    """(kind, level, count) of the open findings of the ledger's own watch."""
    rows = session.execute(
        select(WatchFinding.kind, WatchFinding.level, func.count())
        .where(WatchFinding.closed_at.is_(None))
        .group_by(WatchFinding.kind, WatchFinding.level)
    )
    return [(kind, level, count) for kind, level, count in rows]


def count_cluster_findings(session: Session) -> list[tuple[str, str, int]]:
    """(kind, severity, count) of the findings of every cluster's last good sync."""
    rows = session.execute(
        select(ClusterFinding.kind, ClusterFinding.severity, func.count()).group_by(
            ClusterFinding.kind, ClusterFinding.severity
        )
    )
    return [(kind, severity, count) for kind, severity, count in rows]
