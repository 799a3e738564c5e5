"""Syncing a cluster: read what it really holds, compare it with the ledger, keep what was seen.

A sync reads a ``Snapshot`` (from a dump with ``kube.dump`` or from the API server with
``kube.live``), finds stranded allocations (``core.reconcile``, the CNIs' own rules), drift
against the CIDRs the ledger documents for the cluster, and the real pod-IP usage of every node
block and pool. It then replaces the cluster's observations in one transaction: the addresses
and what holds them (since when each holder has held them), the blocks with their usage,
the findings, and one more usage sample for the history. A sync that fails (a broken dump, an
unreachable API server) is recorded as failed with its error and leaves the previous good
sync's observations untouched. ipledger never changes the cluster itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ipledger.core.addresses import IPNetwork
from ipledger.core.findings import Finding
from ipledger.core.observations import Skipped, Snapshot
from ipledger.core.reconcile import (
    Documented,
    PoolUsage,
    Stranded,
    calico_check_report,
    find_drift,
    find_stranded,
    measure_pod_ips,
)
from ipledger.kube.dump import read_dump, snapshot_from_objects
from ipledger.kube.live import CLUSTER_ROLE, Source, read_cluster
from ipledger.service.clusters import load_cluster, managed_label
from ipledger.service.convert import names
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.service.sync_holders import address_columns, observed_holders, seen_values
from ipledger.service.sync_nodes import record_node_addresses
from ipledger.service.sync_overlaps import find_overlaps
from ipledger.service.usage_history import measure_cluster_pod_ips
from ipledger.service.watch import record_cluster_sample
from ipledger.store import clusters as stored
from ipledger.store import observed
from ipledger.store.database import Session
from ipledger.store.models import Cluster, ClusterSync, Space

__all__ = [
    "CLUSTER_ROLE",
    "GRACE",
    "LiveSource",
    "SyncResult",
    "observed_holders",
    "sync_from_dump",
    "sync_live",
    "sync_with",
]

LiveSource = Source  # a kubeconfig and context to read a cluster's API server with

# Calico's kube-controllers wait this long before they call an allocation leaked (leakGracePeriod).
GRACE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SyncResult:
    cluster: str
    sync_id: int
    taken_at: datetime
    counts: dict[str, int]
    findings: dict[str, int]  # kind -> how many
    skipped: tuple[Skipped, ...]
    calico_report: dict[str, Any] | None = None  # in the shape `calicoctl ipam check -o` writes
    calico_report_notes: tuple[str, ...] = ()  # what keeps calicoctl from using it, or what it assumes


def sync_from_dump(
    ledger: Ledger,
    name: str,
    path: Path,
    *,
    actor: Actor,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    with_calico_report: bool = False,
) -> SyncResult:
    """Sync the cluster from a dump: a file or a folder of `kubectl get -o json` / YAML output.

    Raises:
        NotFoundError: no such cluster.
        DumpError: the dump is malformed (the sync is recorded as failed; nothing else changes).
    """
    return sync_with(
        ledger,
        name,
        f"dump {path}",
        lambda taken_at: read_dump(path, taken_at=taken_at),
        actor=actor,
        now=now,
        grace=grace,
        with_calico_report=with_calico_report,
    )


def sync_from_objects(
    ledger: Ledger,
    name: str,
    objects: Sequence[dict[str, Any]],
    *,
    source: str,
    actor: Actor,
    now: datetime | None = None,
    grace: timedelta = GRACE,
) -> SyncResult:
    """Sync the cluster from objects handed over directly (an upload of a `kubectl get -o json` List)."""
    pairs = [(f"{source}, items[{index}]", item) for index, item in enumerate(objects)]
    return sync_with(
        ledger,
        name,
        source,
        lambda taken_at: snapshot_from_objects(pairs, taken_at=taken_at),
        actor=actor,
        now=now,
        grace=grace,
    )


def sync_live(
    ledger: Ledger,
    name: str,
    source: Source,
    *,
    actor: Actor,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    with_calico_report: bool = False,
    claimed: tuple[int, int] | None = None,
) -> SyncResult:
    """Sync the cluster from its API server (list and get only).

    Raises:
        LiveError: the API server cannot be reached or refuses (the sync is recorded as failed).
    """
    where = f"kubeconfig {source.kubeconfig}" + (
        "" if source.context is None else f" context {source.context}"
    )
    return sync_with(
        ledger,
        name,
        where,
        lambda taken_at: read_cluster(source, taken_at=taken_at),
        actor=actor,
        now=now,
        grace=grace,
        with_calico_report=with_calico_report,
        claimed=claimed,
    )


def sync_with(
    ledger: Ledger,
    name: str,
    source: str,
    read: Callable[[datetime], Snapshot],
    *,
    actor: Actor,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    with_calico_report: bool = False,
    claimed: tuple[int, int] | None = None,
) -> SyncResult:
    """Sync the cluster with the snapshot ``read`` returns; ``claimed`` is the (cluster id, sync
    id) of a sync row the scheduler has already recorded as running."""
    taken_at = now or datetime.now(UTC)
    cluster_id, sync_id = claimed if claimed is not None else _start(ledger, name, source, actor, taken_at)
    try:
        snapshot = read(taken_at)
        documented = _documented(ledger, name)
        stranded = find_stranded(snapshot, now=taken_at, grace=grace)
        findings = [item.finding() for item in stranded]
        findings += find_drift(snapshot, documented)
        findings += find_overlaps(ledger, name)
        usage = measure_pod_ips(snapshot, stranded)
        counts = _counts(snapshot)
        with ledger.transaction(actor) as tx:
            session = tx.session
            cluster = session.get(Cluster, cluster_id)
            space_row = None if cluster is None else session.get(Space, cluster.space_id)
            assert cluster is not None and space_row is not None  # foreign keys keep them
            findings += record_node_addresses(tx, space_row, name, cluster_id, snapshot, seen_at=taken_at)
            seen = seen_values(snapshot)
            for space_id in _spaces_of(session, cluster):
                observed.touch_addresses(session, space_id, seen, taken_at)
            since = observed.previous_since(session, cluster_id)
            pod_ips = measure_cluster_pod_ips(session, name, snapshot, stranded, at=taken_at)
            observed.replace_observations(
                session,
                cluster_id,
                addresses=address_columns(cluster_id, sync_id, snapshot, since, taken_at),
                blocks=_block_columns(cluster_id, sync_id, usage),
                findings=_finding_columns(cluster_id, sync_id, stranded, findings[len(stranded) :]),
                samples=_sample_columns(cluster_id, sync_id, taken_at, (*usage, pod_ips.as_pool(name))),
            )
            record_cluster_sample(tx, cluster_id, used=pod_ips.in_use, total=pod_ips.size, at=taken_at)
            row = session.get(ClusterSync, sync_id)
            assert row is not None
            row.status, row.finished_at, row.counts = "ok", datetime.now(UTC), counts
            group = names(session).group(cluster.group_id)
            tx.record(
                "sync",
                "cluster",
                cluster_id,
                f"{name} from {source}"[:300],
                after={"status": "ok", "counts": counts, "group": group},
            )
    except BaseException as error:
        # Whatever stopped it (a broken dump, a refusing server, a bug), the sync is over.
        _fail(ledger, sync_id, str(error) or type(error).__name__, actor)
        raise
    by_kind: dict[str, int] = {}
    for finding in findings:
        by_kind[finding.kind] = by_kind.get(finding.kind, 0) + 1
    report = calico_check_report(snapshot, now=taken_at, grace=grace) if with_calico_report else None
    return SyncResult(
        name,
        sync_id,
        taken_at,
        counts,
        by_kind,
        snapshot.skipped,
        None if report is None else report.body,
        () if report is None else report.notes,
    )


def _start(ledger: Ledger, name: str, source: str, actor: Actor, taken_at: datetime) -> tuple[int, int]:
    with ledger.transaction(actor) as tx:
        cluster = load_cluster(tx.session, name)
        # Refused before anything is written: a principal who may not sync leaves no trace.
        tx.authorize("cluster", names(tx.session).group(cluster.group_id))
        row = ClusterSync(
            cluster_id=cluster.id,
            started_at=taken_at,
            source=source[:1000],
            status="running",
            error="",
            counts={},
        )
        tx.session.add(row)
        tx.session.flush()
        return cluster.id, row.id


def _fail(ledger: Ledger, sync_id: int, error: str, actor: Actor) -> None:
    with ledger.transaction(actor) as tx:
        session = tx.session
        row = session.get(ClusterSync, sync_id)
        if row is None:
            return
        row.status, row.finished_at, row.error = "failed", datetime.now(UTC), error[:5000]
        cluster = session.get(Cluster, row.cluster_id)
        if cluster is not None:
            # In the audit log (and so on every open page) as much as a sync that worked.
            tx.record(
                "sync",
                "cluster",
                cluster.id,
                f"{cluster.name} from {row.source}: failed"[:300],
                after={
                    "status": "failed",
                    "error": row.error[:500],
                    "group": names(session).group(cluster.group_id),
                },
            )


def _spaces_of(session: Session, cluster: Cluster) -> list[int]:
    """The cluster's space and every other space its networks are recorded in (IPv6 in a VRF of
    its own, say): address records the sync saw are in any of them."""
    label = managed_label(cluster.name)
    others = {item.space_id for item in stored.list_cluster_prefixes(session, label)}
    others |= {item.space_id for item in stored.list_cluster_ranges(session, label)}
    return [cluster.space_id, *sorted(others - {cluster.space_id})]


def _documented(ledger: Ledger, name: str) -> Documented:
    with ledger.reading() as session:
        label = managed_label(name)
        prefixes = stored.list_cluster_prefixes(session, label)
        ranges = stored.list_cluster_ranges(session, label)

        def networks(role: str) -> tuple[IPNetwork, ...]:
            return tuple(network_of(item) for item in prefixes if item.role == role)

        return Documented(
            cluster=name,
            pod=networks("pod"),
            service=networks("service"),
            node=networks("node"),
            loadbalancer=(
                *networks("loadbalancer"),
                *(span_of_range(item) for item in ranges if item.role == "loadbalancer"),
            ),
        )


def _counts(snapshot: Snapshot) -> dict[str, int]:
    return {
        "nodes": len(snapshot.nodes),
        "pods": len(snapshot.pods),
        "services": len(snapshot.services),
        "calico_blocks": len(snapshot.calico_blocks),
        "cilium_nodes": len(snapshot.cilium_nodes),
        "cilium_pools": len(snapshot.cilium_pools),
        "whereabouts_pools": len(snapshot.whereabouts_pools),
        "node_slice_pools": len(snapshot.node_slice_pools),
        "metallb_pools": len(snapshot.metallb_pools),
        "skipped": len(snapshot.skipped),
    }


def _usage_columns(usage: tuple[PoolUsage, ...], **fixed: object) -> dict[str, list[object]]:
    """The rows of the usage rows, column by column: the ``fixed`` columns (ids, time) the same in
    every row, then the figures of each pool (``cidr`` and ``node`` only where the table keeps them)."""
    figures = ("kind", "name", "size", "allocated", "in_use", "stranded")
    columns: dict[str, list[object]] = {key: [value] * len(usage) for key, value in fixed.items()}
    for key in figures:
        columns[key] = [getattr(item, key) for item in usage]
    columns["name"] = [item.name[:300] for item in usage]
    return columns


def _block_columns(cluster_id: int, sync_id: int, usage: tuple[PoolUsage, ...]) -> dict[str, list[object]]:
    columns = _usage_columns(usage, cluster_id=cluster_id, sync_id=sync_id)
    columns["cidr"] = [None if item.cidr is None else str(item.cidr) for item in usage]
    columns["node"] = [item.node for item in usage]
    return columns


def _sample_columns(
    cluster_id: int, sync_id: int, at: datetime, usage: tuple[PoolUsage, ...]
) -> dict[str, list[object]]:
    return _usage_columns(usage, cluster_id=cluster_id, sync_id=sync_id, at=at)


def _finding_columns(
    cluster_id: int, sync_id: int, stranded: tuple[Stranded, ...], others: list[Finding]
) -> dict[str, list[object]]:
    keys = (
        "cluster_id",
        "sync_id",
        "severity",
        "kind",
        "subject",
        "message",
        "address",
        "pool",
        "owner",
        "release",
    )
    columns: dict[str, list[object]] = {key: [] for key in keys}
    rows: list[tuple[object, ...]] = []
    for item in stranded:
        finding = item.finding()
        rows.append(
            (
                finding.severity.value,
                finding.kind,
                finding.subject[:500],
                finding.message,
                None if item.address is None else str(item.address),
                item.pool[:300],
                item.owner[:500],
                item.release,
            )
        )
    for finding in others:
        rows.append(
            (finding.severity.value, finding.kind, finding.subject[:500], finding.message, None, "", "", "")
        )
    for row in rows:
        for column, value in zip(keys, (cluster_id, sync_id, *row), strict=True):
            columns[column].append(value)
    return columns
