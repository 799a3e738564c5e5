"""What ``/metrics`` exports, read in one go per scrape: every prefix's utilization with its
marks, every cluster's pod IPs and free node slots, the open findings by kind and severity.

Series per prefix: utilization ratio, used and total addresses, and its three marks as ratios:
six. 10,000 prefixes make 60,000 series, plus four per cluster and a few dozen for findings and
the default marks. The filters (space, group subtree, role, prefix length) cut that down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ipledger.core.addresses import network_from_ints
from ipledger.core.errors import InvalidInputError
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import group_ids
from ipledger.store import metrics as stored

__all__ = ["ClusterMetrics", "MetricsFilter", "MetricsSnapshot", "PrefixMetrics", "metrics_snapshot"]

_CLUSTER_LABEL = "cluster:"


@dataclass(frozen=True, slots=True)
class MetricsFilter:
    space: str | None = None
    group: str | None = None  # the group and every group below it
    role: str | None = None
    min_prefixlen: int | None = None
    max_prefixlen: int | None = None


@dataclass(frozen=True, slots=True)
class PrefixMetrics:
    space: str
    prefix: str
    group: str
    role: str
    cluster: str
    used: int
    total: int
    ratio: float
    thresholds: Thresholds


@dataclass(frozen=True, slots=True)
class ClusterMetrics:
    cluster: str
    group: str
    pod_ips_used: int | None  # None before the first sync
    pod_ips_capacity: int | None
    free_node_slots: int | None  # None without a per-node block or a sync


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    prefixes: list[PrefixMetrics]
    clusters: list[ClusterMetrics]
    findings: list[tuple[str, str, int]]  # (kind, severity, open count)
    thresholds: Thresholds


def metrics_snapshot(ledger: Ledger, selection: MetricsFilter = MetricsFilter()) -> MetricsSnapshot:
    """Raises: InvalidInputError: a prefix length out of 0..128 or min above max; NotFoundError: an
    unknown group."""
    for name, value in (
        ("min_prefixlen", selection.min_prefixlen),
        ("max_prefixlen", selection.max_prefixlen),
    ):
        if value is not None and not 0 <= value <= 128:
            raise InvalidInputError(f"{name} {value}: expected 0 to 128", field=name)
    low, high = selection.min_prefixlen, selection.max_prefixlen
    if low is not None and high is not None and low > high:
        raise InvalidInputError(f"min_prefixlen {low} is above max_prefixlen {high}", field="min_prefixlen")
    with ledger.reading() as session:
        groups = group_ids(session, selection.group, descendants=True)
        rows = stored.list_metric_prefixes(
            session,
            space=selection.space,
            group_ids=groups,
            role=selection.role,
            min_prefixlen=low,
            max_prefixlen=high,
        )
        prefixes = [_prefix(row) for row in rows]
        samples = stored.latest_cluster_samples(session)
        nodes = stored.count_synced_nodes(session)
        prefixlens = stored.list_cluster_pod_prefixlens(session, label=_CLUSTER_LABEL)
        clusters = [
            _cluster(row, samples.get(row.id), nodes.get(row.id), prefixlens.get(row.name, []))
            for row in stored.list_metric_clusters(session, group_ids=groups)
        ]
        findings = [(kind, level, count) for kind, level, count in stored.count_open_findings(session)]
        findings += stored.count_cluster_findings(session)
    return MetricsSnapshot(prefixes, clusters, sorted(findings), DEFAULT_THRESHOLDS)


def _prefix(row: Any) -> PrefixMetrics:
    data = row._mapping
    used, total = _headline(data)
    managed = data["managed_by"]
    return PrefixMetrics(
        data["space"],
        str(network_from_ints(data["first"], data["prefixlen"], version=data["family"])),
        data["group"] or "",
        data["role"],
        managed.removeprefix(_CLUSTER_LABEL) if managed.startswith(_CLUSTER_LABEL) else "",
        used,
        total,
        data["utilization_percent"] / 100.0,
        Thresholds(data["warning"], data["critical"], data["emergency"]),
    )


def _headline(data: Any) -> tuple[int, int]:
    """The (used, total) the headline ratio is made of (the fuller of addresses and coverage)."""
    if data["covered"] > 0 and data["covered"] * max(data["usable"], 1) >= data["used"] * max(
        data["size"], 1
    ):
        return data["covered"], data["size"]
    return data["used"], data["usable"]


def _cluster(
    row: object, sample: tuple[int, int] | None, nodes: int | None, lengths: list[int]
) -> ClusterMetrics:
    data = row._mapping  # type: ignore[attr-defined]
    node_prefixlen = data["node_prefixlen"]
    slots = None
    if node_prefixlen is not None and lengths and nodes is not None:
        total = sum(2 ** (node_prefixlen - length) for length in lengths if length <= node_prefixlen)
        slots = max(total - nodes, 0)
    return ClusterMetrics(
        data["name"],
        data["group"] or "",
        None if sample is None else sample[0],
        None if sample is None else sample[1],
        slots,
    )
