"""The view model of a cluster's page: its networks and capacity, and what its last sync saw.

The page shows the outcome of the last sync, the pod-IP usage of the cluster as a whole with its
history, the findings grouped by kind with the command that would release each (paged: a cluster
can have thousands), and the usage of every block and pool (sorted, filtered by kind, paged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ipledger.core.findings import Severity
from ipledger.core.forecast import Forecast
from ipledger.core.thresholds import Thresholds
from ipledger.service import clusters, history
from ipledger.service.cluster_report import BlockPage, ClusterReport, ReportFinding, cluster_report
from ipledger.service.ledger import Ledger
from ipledger.web.views import Bar, Chart, Paging, bar_of, chart_of, percent_bar

__all__ = ["BLOCK_SORTS", "PAGE_SIZE", "ClusterPage", "FindingKind", "FindingLine", "cluster_page"]


@dataclass(frozen=True, slots=True)
class FindingKind:
    """One kind of finding of a cluster's last good sync, with its severity and count."""

    kind: str
    severity: str
    count: int


@dataclass(frozen=True, slots=True)
class FindingLine:
    """A finding as its row shows it: ``why`` is its message without the command, which
    ``verb`` ("Release" or "Repair") introduces."""

    finding: ReportFinding
    why: str
    verb: str


@dataclass(frozen=True, slots=True)
class ClusterPage:
    detail: clusters.ClusterDetail
    bars: dict[int, Bar]
    report: ClusterReport
    pod_bar: Bar | None
    kinds: tuple[FindingKind, ...]
    groups: tuple[tuple[FindingKind, tuple[FindingLine, ...]], ...]  # this page's findings by kind
    finding_paging: Paging
    block_paging: Paging
    filters: dict[str, str]  # kind, block_kind, block_sort
    query: dict[str, str]  # the filters and the paging away from its defaults: what links keep
    chart: Chart | None
    forecast: Forecast


# The orders of the blocks (``cluster_report.BLOCK_ORDERS``) as the sort field names them.
BLOCK_SORTS = (("name", "kind and name"), ("fullest", "fullest first"), ("stranded", "most stranded first"))
PAGE_SIZE = 50  # findings, and blocks, a page unless the address asks for another number
_PAGING = ("offset", "limit", "block_offset", "block_limit")


def cluster_page(
    ledger: Ledger, name: str, filters: dict[str, str], *, paging: tuple[int, int, int, int]
) -> ClusterPage:
    """The cluster with its last sync: ``paging`` is the (offset, limit) of its findings, then
    of its blocks and pools; ``filters`` the finding kind, block kind and block order."""
    offset, limit, block_offset, block_limit = paging
    detail = clusters.show_cluster(ledger, name)
    report = cluster_report(
        ledger,
        name,
        kind=filters.get("kind") or None,
        limit=limit,
        offset=offset,
        blocks=BlockPage(
            kind=filters.get("block_kind") or None,
            order=filters.get("block_sort") or "name",
            limit=block_limit,
            offset=block_offset,
        ),
    )
    now = datetime.now(UTC)
    subject = history.cluster_subject(ledger, name)
    samples = history.series(ledger, subject, since=now - history.DEFAULT_WINDOW)
    kinds = _finding_kinds(report)
    return ClusterPage(
        detail=detail,
        bars={item.id: bar_of(item) for item in detail.prefixes},
        report=report,
        pod_bar=None if report.pod_ips is None else percent_bar(report.pod_ips.percent),
        kinds=kinds,
        groups=_grouped(report.findings, {item.kind: item for item in kinds}),
        finding_paging=Paging(offset, limit, report.total_findings),
        block_paging=Paging(block_offset, block_limit, report.total_blocks),
        filters=filters,
        query=_query(filters, paging),
        chart=chart_of([(sample.at, sample.percent) for sample in samples], Thresholds()),
        forecast=history.forecast_subject(ledger, subject, now=now).forecast,
    )


def _query(filters: dict[str, str], paging: tuple[int, int, int, int]) -> dict[str, str]:
    defaults = (0, PAGE_SIZE, 0, PAGE_SIZE)
    moved = {
        name: str(value)
        for name, value, default in zip(_PAGING, paging, defaults, strict=True)
        if value != default
    }
    return {**filters, **moved}


def _finding_kinds(report: ClusterReport) -> tuple[FindingKind, ...]:
    """Each kind once, in the order the findings are listed (by kind), with its count and its
    most severe severity."""
    counts: dict[str, int] = {}
    worst: dict[str, str] = {}
    for key, count in report.finding_counts.items():
        severity, _, kind = key.partition("/")
        counts[kind] = counts.get(kind, 0) + count
        if kind not in worst or _rank(severity) < _rank(worst[kind]):
            worst[kind] = severity
    return tuple(FindingKind(kind, worst[kind], counts[kind]) for kind in sorted(counts))


def _rank(severity: str) -> int:
    order = [item.value for item in Severity]  # error, warning, info
    return order.index(severity) if severity in order else len(order)


def _grouped(
    findings: tuple[ReportFinding, ...], kinds: dict[str, FindingKind]
) -> tuple[tuple[FindingKind, tuple[FindingLine, ...]], ...]:
    """The findings (already in kind order) under their kind."""
    groups: dict[str, list[FindingLine]] = {}
    for item in findings:
        groups.setdefault(item.kind, []).append(_line(item))
    return tuple((kinds[kind], tuple(lines)) for kind, lines in groups.items())


def _line(finding: ReportFinding) -> FindingLine:
    # A stranded finding's message ends with the command: " Release: <command>" (or "Repair:").
    for verb in ("Release", "Repair"):
        tail = f" {verb}: {finding.release}"
        if finding.release and finding.message.endswith(tail):
            return FindingLine(finding, finding.message.removesuffix(tail), verb)
    return FindingLine(finding, finding.message, "Release")
