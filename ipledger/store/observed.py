"""What cluster syncs saw: the sync runs, the addresses and blocks of each cluster's last good
sync, its findings, and the history of pod-IP usage. A sync replaces a cluster's rows in one
transaction, so readers always see one whole sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Float, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ipledger.store.bulk_insert import insert_columns
from ipledger.store.models import (
    Address,
    ClusterFinding,
    ClusterSync,
    ObservedAddress,
    ObservedBlock,
    UsageSample,
)

_CHUNK = 500  # values per IN list: well below every engine's limit on bound parameters

__all__ = [
    "BLOCK_ORDERS",
    "count_findings",
    "count_observed_blocks",
    "delete_usage_samples",
    "find_last_sync",
    "find_usage_sample",
    "findings_at",
    "forget_cluster",
    "list_findings",
    "list_observed_blocks",
    "list_syncs",
    "list_usage_samples",
    "list_usage_sync_times",
    "observed_at",
    "previous_since",
    "replace_observations",
    "touch_addresses",
]


def find_last_sync(session: Session, cluster_id: int, *, status: str | None = None) -> ClusterSync | None:
    statement = select(ClusterSync).where(ClusterSync.cluster_id == cluster_id)
    if status is not None:
        statement = statement.where(ClusterSync.status == status)
    return session.scalars(statement.order_by(ClusterSync.id.desc()).limit(1)).first()


def list_syncs(session: Session, cluster_id: int, *, limit: int = 20) -> Sequence[ClusterSync]:
    return session.scalars(
        select(ClusterSync)
        .where(ClusterSync.cluster_id == cluster_id)
        .order_by(ClusterSync.id.desc())
        .limit(limit)
    ).all()


def previous_since(session: Session, cluster_id: int) -> dict[tuple[int, int, str, str], datetime]:
    """When each (family, address, holder, holder uid) of the cluster was first seen, from its
    last sync."""
    rows = session.execute(
        select(
            ObservedAddress.family,
            ObservedAddress.value,
            ObservedAddress.holder,
            ObservedAddress.uid,
            ObservedAddress.since,
        ).where(ObservedAddress.cluster_id == cluster_id)
    )
    return {(row.family, row.value, row.holder, row.uid): row.since for row in rows}


def previous_holders(session: Session, cluster_id: int, *, kind: str) -> dict[tuple[int, int], str]:
    """The holder of each (family, address) of this kind at the cluster's last sync."""
    rows = session.execute(
        select(ObservedAddress.family, ObservedAddress.value, ObservedAddress.holder).where(
            ObservedAddress.cluster_id == cluster_id, ObservedAddress.kind == kind
        )
    )
    return {(row.family, row.value): row.holder for row in rows}


def replace_observations(
    session: Session,
    cluster_id: int,
    *,
    addresses: Mapping[str, Sequence[Any]],
    blocks: Mapping[str, Sequence[Any]],
    findings: Mapping[str, Sequence[Any]],
    samples: Mapping[str, Sequence[Any]],
) -> None:
    """Drop the cluster's rows of its previous sync and insert these (given column by column)."""
    for model in (ObservedAddress, ObservedBlock, ClusterFinding):
        session.execute(delete(model).where(model.cluster_id == cluster_id))
    insert_columns(session, ObservedAddress, addresses)
    insert_columns(session, ObservedBlock, blocks)
    insert_columns(session, ClusterFinding, findings)
    insert_columns(session, UsageSample, samples)


def forget_cluster(session: Session, cluster_id: int) -> None:
    """Delete every sync of the cluster and what they saw (the cluster itself is being deleted)."""
    for model in (ObservedAddress, ObservedBlock, ClusterFinding, UsageSample, ClusterSync):
        session.execute(delete(model).where(model.cluster_id == cluster_id))


def touch_addresses(session: Session, space_id: int, seen: Mapping[int, Sequence[int]], at: datetime) -> None:
    """Move the last-seen time of the space's address records a sync saw (by family) to ``at``."""
    for family, values in seen.items():
        for start in range(0, len(values), _CHUNK):
            session.execute(
                update(Address)
                .where(
                    Address.space_id == space_id,
                    Address.family == family,
                    Address.value.in_(values[start : start + _CHUNK]),
                    or_(Address.last_seen.is_(None), Address.last_seen < at),
                )
                .values(last_seen=at),
                execution_options={"synchronize_session": False},
            )


def observed_at(session: Session, family: int, value: int) -> Sequence[ObservedAddress]:
    """Who holds this address according to the last sync of every cluster."""
    return session.scalars(
        select(ObservedAddress).where(ObservedAddress.family == family, ObservedAddress.value == value)
    ).all()


def findings_at(session: Session, address: str) -> Sequence[ClusterFinding]:
    """The findings of every cluster's last good sync about this address (its canonical text)."""
    return session.scalars(
        select(ClusterFinding).where(ClusterFinding.address == address).order_by(ClusterFinding.id)
    ).all()


# The orders a cluster's blocks can be listed in; each ends with kind and name, so pages are stable.
BLOCK_ORDERS = ("name", "fullest", "stranded")


def list_observed_blocks(
    session: Session,
    cluster_id: int,
    *,
    kind: str | None = None,
    order: str = "name",
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[ObservedBlock]:
    """A page of the cluster's blocks of its last good sync (of one kind) in ``order``, one of
    ``BLOCK_ORDERS``: kind and name; the largest share allocated first (what runs out is
    allocation: stranded addresses fill a block too); the most stranded first."""
    statement = select(ObservedBlock).where(ObservedBlock.cluster_id == cluster_id)
    if kind is not None:
        statement = statement.where(ObservedBlock.kind == kind)
    # The counts are stored as text (they may pass 64 bits): cast them to order by number.
    share = cast(ObservedBlock.allocated, Float) / func.nullif(cast(ObservedBlock.size, Float), 0)
    first: dict[str, list[Any]] = {
        "name": [],
        "fullest": [share.desc().nulls_last()],
        "stranded": [cast(ObservedBlock.stranded, Float).desc()],
    }
    statement = statement.order_by(
        *first[order], ObservedBlock.kind, ObservedBlock.name, ObservedBlock.id
    ).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all()


def count_observed_blocks(session: Session, cluster_id: int) -> dict[str, int]:
    """How many blocks of each kind the cluster's last good sync has."""
    rows = session.execute(
        select(ObservedBlock.kind, func.count())
        .where(ObservedBlock.cluster_id == cluster_id)
        .group_by(ObservedBlock.kind)
    )
    return {row[0]: int(row[1]) for row in rows}


def list_findings(
    session: Session, cluster_id: int, *, kind: str | None = None, limit: int | None = None, offset: int = 0
) -> Sequence[ClusterFinding]:
    statement = select(ClusterFinding).where(ClusterFinding.cluster_id == cluster_id)
    if kind is not None:
        statement = statement.where(ClusterFinding.kind == kind)
    # Grouped by kind, in the order the sync found them within each kind.
    statement = statement.order_by(ClusterFinding.kind, ClusterFinding.id).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all()


def count_findings(session: Session, cluster_id: int) -> dict[tuple[str, str], int]:
    """How many findings of each (severity, kind) the cluster's last sync has."""
    rows = session.execute(
        select(ClusterFinding.severity, ClusterFinding.kind, func.count())
        .where(ClusterFinding.cluster_id == cluster_id)
        .group_by(ClusterFinding.severity, ClusterFinding.kind)
    )
    return {(row[0], row[1]): int(row[2]) for row in rows}


def list_usage_samples(
    session: Session, cluster_id: int, *, since: datetime | None = None
) -> Sequence[UsageSample]:
    statement = select(UsageSample).where(UsageSample.cluster_id == cluster_id)
    if since is not None:
        statement = statement.where(UsageSample.at >= since)
    return session.scalars(statement.order_by(UsageSample.at, UsageSample.kind, UsageSample.name)).all()


def list_usage_sync_times(
    session: Session, cluster_id: int, *, before: datetime
) -> list[tuple[int, datetime]]:
    """(sync id, time) of every sync older than ``before`` that left usage samples, oldest first."""
    rows = session.execute(
        select(UsageSample.sync_id, UsageSample.at)
        .where(UsageSample.cluster_id == cluster_id, UsageSample.at < before)
        .distinct()
        .order_by(UsageSample.at, UsageSample.sync_id)
    )
    return [(row[0], row[1]) for row in rows]


def delete_usage_samples(session: Session, cluster_id: int, sync_ids: Sequence[int]) -> int:
    """Delete the usage samples these syncs took; returns how many rows went."""
    deleted = 0
    for start in range(0, len(sync_ids), _CHUNK):
        result = session.execute(
            delete(UsageSample).where(
                UsageSample.cluster_id == cluster_id,
                UsageSample.sync_id.in_(sync_ids[start : start + _CHUNK]),
            ),
            execution_options={"synchronize_session": False},
        )
        if isinstance(result, CursorResult):  # a DELETE's result always is; the check tells mypy
            deleted += result.rowcount
    return deleted


def find_usage_sample(session: Session, sync: ClusterSync, *, kind: str) -> UsageSample | None:
    """The usage sample of kind ``kind`` that ``sync`` took (at its start: the index's time)."""
    return session.scalars(
        select(UsageSample)
        .where(
            UsageSample.cluster_id == sync.cluster_id,
            UsageSample.at == sync.started_at,
            UsageSample.sync_id == sync.id,
            UsageSample.kind == kind,
        )
        .limit(1)
    ).first()
