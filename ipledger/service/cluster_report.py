"""The report of a cluster's last sync: counts, findings with their release commands, pod-IP
usage per block and pool, and the sync history (`ipledger cluster report`, the API, the UI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ipledger.service.clusters import load_cluster
from ipledger.service.ledger import Ledger
from ipledger.store import observed
from ipledger.store.models import ClusterSync

__all__ = ["BlockUsage", "ClusterReport", "ReportFinding", "SyncRecord", "cluster_report", "list_syncs"]


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
    finding_counts: dict[str, int]  # "severity/kind" -> count
    findings: tuple[ReportFinding, ...]
    total_findings: int
    blocks: tuple[BlockUsage, ...]


def cluster_report(
    ledger: Ledger, name: str, *, kind: str | None = None, limit: int | None = 1000, offset: int = 0
) -> ClusterReport:
    """The findings (of one kind, paged) and usage of the cluster's last good sync."""
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        last = observed.find_last_sync(session, cluster.id)
        good = observed.find_last_sync(session, cluster.id, status="ok")
        counts = observed.count_findings(session, cluster.id)
        rows = observed.list_findings(session, cluster.id, kind=kind, limit=limit, offset=offset)
        blocks = observed.list_observed_blocks(session, cluster.id)
        return ClusterReport(
            cluster=name,
            last_sync=None if last is None else _sync(last),
            last_good_sync=None if good is None else _sync(good),
            finding_counts={
                f"{severity}/{found}": count for (severity, found), count in sorted(counts.items())
            },
            findings=tuple(
                ReportFinding(
                    row.severity,
                    row.kind,
                    row.subject,
                    row.message,
                    row.address,
                    row.pool,
                    row.owner,
                    row.release,
                )
                for row in rows
            ),
            total_findings=sum(
                count for (_, found), count in counts.items() if kind is None or found == kind
            ),
            blocks=tuple(
                BlockUsage(
                    row.kind, row.name, row.cidr, row.node, row.size, row.allocated, row.in_use, row.stranded
                )
                for row in blocks
            ),
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
