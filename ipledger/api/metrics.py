"""``GET /metrics``: the ledger in the Prometheus text format, built with the official client.

Each scrape reads one snapshot (``service.metrics``) and renders it through a custom collector
in a registry of its own, so that the filters of one scrape never leak into another and no
per-prefix query runs. An IPAM's prefixes are not for everyone: the endpoint wants an API token
like the rest of the API (Prometheus sends it with ``authorization: {credentials: ...}``)
unless ``IPLEDGER_METRICS_PUBLIC=1``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from ipledger.api.deps import LedgerDep, principal_of
from ipledger.service.metrics import MetricsFilter, MetricsSnapshot, metrics_snapshot

__all__ = ["LedgerCollector", "router"]

PUBLIC_ENV = "IPLEDGER_METRICS_PUBLIC"
_PREFIX_LABELS = ["space", "prefix", "group", "role", "cluster"]
_LEVELS = ("warning", "critical", "emergency")


class LedgerCollector(Collector):
    """The metrics of one snapshot."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from self._prefixes()
        yield from self._clusters()
        findings = GaugeMetricFamily(
            "ipledger_findings_open", "Open findings by kind and severity.", labels=["kind", "severity"]
        )
        for kind, severity, count in self._snapshot.findings:
            findings.add_metric([kind, severity], count)
        yield findings
        defaults = GaugeMetricFamily(
            "ipledger_threshold_ratio",
            "The default marks of utilization levels, as ratios.",
            labels=["level"],
        )
        marks = self._snapshot.thresholds
        for level, mark in zip(_LEVELS, (marks.warning, marks.critical, marks.emergency), strict=True):
            defaults.add_metric([level], mark / 100.0)
        yield defaults

    def _prefixes(self) -> Iterator[Metric]:
        ratio = GaugeMetricFamily(
            "ipledger_prefix_utilization_ratio",
            "Utilization of the prefix (0 to 1): the fuller of its addresses and its child prefixes.",
            labels=_PREFIX_LABELS,
        )
        used = GaugeMetricFamily(
            "ipledger_prefix_used_addresses",
            "Addresses the utilization counts as used.",
            labels=_PREFIX_LABELS,
        )
        total = GaugeMetricFamily(
            "ipledger_prefix_total_addresses",
            "Addresses the utilization is measured against.",
            labels=_PREFIX_LABELS,
        )
        marks = GaugeMetricFamily(
            "ipledger_prefix_threshold_ratio",
            "The prefix's own marks of utilization levels, as ratios.",
            labels=[*_PREFIX_LABELS, "level"],
        )
        for item in self._snapshot.prefixes:
            labels = [item.space, item.prefix, item.group, item.role, item.cluster]
            ratio.add_metric(labels, item.ratio)
            used.add_metric(labels, item.used)
            total.add_metric(labels, item.total)
            mine = item.thresholds
            for level, mark in zip(_LEVELS, (mine.warning, mine.critical, mine.emergency), strict=True):
                marks.add_metric([*labels, level], mark / 100.0)
        yield from (ratio, used, total, marks)

    def _clusters(self) -> Iterator[Metric]:
        labels = ["cluster", "group"]
        used = GaugeMetricFamily(
            "ipledger_cluster_pod_ips_used", "Pod IPs in use at the cluster's last sync.", labels=labels
        )
        capacity = GaugeMetricFamily(
            "ipledger_cluster_pod_ips_capacity",
            "Usable addresses of the cluster's pod prefixes.",
            labels=labels,
        )
        slots = GaugeMetricFamily(
            "ipledger_cluster_free_node_slots",
            "Per-node pod blocks still free in the cluster's IPv4 pod prefixes.",
            labels=labels,
        )
        for item in self._snapshot.clusters:
            names = [item.cluster, item.group]
            if item.pod_ips_used is not None and item.pod_ips_capacity is not None:
                used.add_metric(names, item.pod_ips_used)
                capacity.add_metric(names, item.pod_ips_capacity)
            if item.free_node_slots is not None:
                slots.add_metric(names, item.free_node_slots)
        yield from (used, capacity, slots)


async def _metrics_reader(request: Request) -> None:
    """A reader's token, unless the operator made the metrics public."""
    if os.environ.get(PUBLIC_ENV) != "1":
        principal = await principal_of(request, request.headers.get("authorization"))
        principal.require_read()


router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(_metrics_reader)])
def metrics(
    ledger: LedgerDep,
    space: str | None = None,
    group: Annotated[str | None, Query(description="This group and every group below it.")] = None,
    role: str | None = None,
    min_prefixlen: int | None = None,
    max_prefixlen: int | None = None,
) -> Response:
    """Prometheus text format; the filters bound the number of prefix series."""
    selection = MetricsFilter(space, group, role, min_prefixlen, max_prefixlen)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(metrics_snapshot(ledger, selection)))
    # The classic text format 0.0.4, which every Prometheus since 2.0 reads (Debian 12 has 2.42).
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)
