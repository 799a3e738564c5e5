"""The report of a cluster's last sync: counts, findings with their release commands, pod-IP
usage of the cluster (``usage_history``) and per block and pool, and the sync history
(`ipledger cluster report`, the API, the UI's cluster page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ipledger.core.errors import InvalidInputError
from ipledger.service.clusters import load_cluster
from ipledger.service.ledger import Ledger
from ipledger.service.usage_history import CLUSTER_KIND, UsagePoint
from ipledger.store import observed
from ipledger.store.models import ClusterFinding, ClusterSync, ObservedBlock, UsageSample
from ipledger.store.observed import BLOCK_ORDERS

__all__ = [
    "BLOCK_ORDERS",
    "BlockPage",
    "BlockUsage",
    "ClusterReport",
    "ReportFinding",
    "SyncRecord",
    "cluster_report",
    "list_syncs",
]


@dataclass(frozen=True, slots=True)
class SyncRecord:
    id: int
    started_at: datetime
    finished_at: datetime | None
    source: str
    status: str
    error: str
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class ReportFinding:
    severity: str
    kind: str
    subject: str
    message: str
    address: str | None
    pool: str
    owner: str
    release: str


@dataclass(frozen=True, slots=True)
class BlockUsage:
    kind: str
    name: str
    cidr: str | None
    node: str
    size: int
    allocated: int
    in_use: int
    stranded: int


@dataclass(frozen=True, slots=True)
class ClusterReport:
    cluster: str
    last_sync: SyncRecord | None  # the newest sync, whatever its outcome
    last_good_sync: SyncRecord | None  # the sync the observations below come from
    pod_ips: UsagePoint | None  # its pod networks together (None: no sync measured them yet)
    finding_counts: dict[str, int]  # "severity/kind" -> count
    findings: tuple[ReportFinding, ...]  # grouped by kind
    total_findings: int
    blocks: tuple[BlockUsage, ...]  # a page of them (``BlockPage``)
    block_counts: dict[str, int]  # kind -> how many blocks of that kind
    total_blocks: int  # of the kind asked for


@dataclass(frozen=True, slots=True)
class BlockPage:
    """Which of the blocks a report lists: of one kind or all, in one of ``BLOCK_ORDERS``,
    ``limit`` of them (None: all) from ``offset``."""

    kind: str | None = None
    order: str = "name"
    limit: int | None = None
    offset: int = 0


def cluster_report(
    ledger: Ledger,
    name: str,
    *,
    kind: str | None = None,
    limit: int | None = 1000,
    offset: int = 0,
    blocks: BlockPage = BlockPage(),
) -> ClusterReport:
    """The findings (of one kind, paged) and usage of the cluster's last good sync, and the
    outcome of its last sync.

    Raises:
        NotFoundError: no such cluster. InvalidInputError: an order not in ``BLOCK_ORDERS``.
    """
    if blocks.order not in BLOCK_ORDERS:
        raise InvalidInputError(
            f"block order {blocks.order!r}: expected one of {', '.join(BLOCK_ORDERS)}", field="block_sort"
        )
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        last = observed.find_last_sync(session, cluster.id)
        good = observed.find_last_sync(session, cluster.id, status="ok")
        measured = None if good is None else observed.find_usage_sample(session, good, kind=CLUSTER_KIND)
        counts = observed.count_findings(session, cluster.id)
        rows = observed.list_findings(session, cluster.id, kind=kind, limit=limit, offset=offset)
        block_rows = observed.list_observed_blocks(
            session,
            cluster.id,
            kind=blocks.kind,
            order=blocks.order,
            limit=blocks.limit,
            offset=blocks.offset,
        )
        block_counts = observed.count_observed_blocks(session, cluster.id)
        return ClusterReport(
            cluster=name,
            last_sync=None if last is None else _sync(last),
            last_good_sync=None if good is None else _sync(good),
            pod_ips=None if measured is None else _point(measured),
            finding_counts={f"{level}/{found}": count for (level, found), count in sorted(counts.items())},
            findings=tuple(_finding(row) for row in rows),
            total_findings=sum(count for (_, found), count in counts.items() if kind in (None, found)),
            blocks=tuple(_block(row) for row in block_rows),
            block_counts=dict(sorted(block_counts.items())),
            total_blocks=sum(count for found, count in block_counts.items() if blocks.kind in (None, found)),
        )


def list_syncs(ledger: Ledger, name: str, *, limit: int = 20) -> list[SyncRecord]:
    """The cluster's newest syncs first, failed ones included."""
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        return [_sync(row) for row in observed.list_syncs(session, cluster.id, limit=limit)]


def _sync(row: ClusterSync) -> SyncRecord:
    return SyncRecord(
        row.id, row.started_at, row.finished_at, row.source, row.status, row.error, dict(row.counts)
    )


def _point(row: UsageSample) -> UsagePoint:
    return UsagePoint(row.at, row.size, row.in_use, row.allocated, row.stranded)


def _finding(row: ClusterFinding) -> ReportFinding:
    return ReportFinding(
        row.severity, row.kind, row.subject, row.message, row.address, row.pool, row.owner, row.release
    )


def _block(row: ObservedBlock) -> BlockUsage:
    return BlockUsage(
        row.kind, row.name, row.cidr, row.node, row.size, row.allocated, row.in_use, row.stranded
    )
