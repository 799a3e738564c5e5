"""View models of the pages: frozen values the templates render, built from the service layer.

Every builder reads what its page shows, paged, and nothing more: no page loads the whole ledger
(the group tree's roll-up excepted, which is what that page is for).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipledger.core.address_map import Cell
from ipledger.core.errors import InvalidInputError
from ipledger.core.forecast import Forecast
from ipledger.core.permissions import Principal
from ipledger.core.thresholds import Level, Thresholds, level_of
from ipledger.service import (
    allocation,
    audit,
    cluster_overlaps,
    clusters,
    groups,
    history,
    prefix_map,
    prefixes,
    reports,
)
from ipledger.service.cluster_report import BlockPage, cluster_report
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import PrefixFilter
from ipledger.service.records import AddressRecord, ChangeRecord, ClusterRecord, PrefixRecord, RangeRecord
from ipledger.service.search import AddressFilter, RangeFilter, get_prefix, search_addresses, search_ranges

__all__ = [
    "Bar",
    "ChangeLog",
    "Chart",
    "ClusterLine",
    "Dashboard",
    "GroupRow",
    "Paging",
    "PrefixList",
    "PrefixPage",
    "SearchResult",
    "bar_of",
    "change_log",
    "cluster_list",
    "dashboard",
    "group_rows",
    "percent_bar",
    "prefix_list",
    "prefix_page",
    "search",
]

ATTENTION_LEVELS = (Level.EMERGENCY, Level.CRITICAL, Level.WARNING)


@dataclass(frozen=True, slots=True)
class Bar:
    """A utilization bar with its threshold marks (percentages)."""

    percent: float
    level: str
    warning: float
    critical: float
    emergency: float


def bar_of(record: PrefixRecord) -> Bar:
    limits = record.thresholds
    return Bar(
        round(record.usage.percent, 1), record.level.value, limits.warning, limits.critical, limits.emergency
    )


def percent_bar(percent: float) -> Bar:
    """A bar at the default thresholds (a cluster's pools, a group's roll-up)."""
    limits = Thresholds()
    found = level_of(percent, limits)
    return Bar(round(percent, 1), found.value, limits.warning, limits.critical, limits.emergency)


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a page of a table stands, for its previous / next links."""

    offset: int
    limit: int
    total: int

    @property
    def previous(self) -> int | None:
        return None if self.offset == 0 else max(0, self.offset - self.limit)

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def shown(self) -> str:
        if self.total == 0:
            return "none"
        return f"{self.offset + 1} to {min(self.offset + self.limit, self.total)} of {self.total}"


@dataclass(frozen=True, slots=True)
class Chart:
    """A utilization series drawn in a 600 x 200 box: ``points`` in SVG coordinates, y = 100 %
    at the top; the threshold lines at their heights."""

    points: str
    first: datetime
    last: datetime
    first_percent: float
    last_percent: float
    count: int
    marks: tuple[tuple[float, float], ...]  # (percent, y)


def chart_of(samples: list[tuple[datetime, float]], thresholds: Thresholds) -> Chart | None:
    if len(samples) < 2:
        return None
    start, end = samples[0][0].timestamp(), samples[-1][0].timestamp()
    width = (end - start) or 1.0
    points = " ".join(
        f"{40 + 550 * (at.timestamp() - start) / width:.1f},{_y(percent):.1f}" for at, percent in samples
    )
    marks = tuple(
        (mark, _y(mark)) for mark in (thresholds.warning, thresholds.critical, thresholds.emergency)
    )
    return Chart(points, samples[0][0], samples[-1][0], samples[0][1], samples[-1][1], len(samples), marks)


def _y(percent: float) -> float:
    return 180 - 1.7 * max(0.0, min(100.0, percent))


# Dashboard


@dataclass(frozen=True, slots=True)
class ClusterLine:
    cluster: ClusterRecord
    pod_percent: float | None
    headroom_nodes: int | None
    findings: dict[str, int]  # kind -> count, from the last good sync


@dataclass(frozen=True, slots=True)
class Dashboard:
    attention: tuple[PrefixRecord, ...]
    attention_total: int
    overlaps: tuple[str, ...]
    clusters: tuple[ClusterLine, ...]
    fullest: tuple[PrefixRecord, ...]
    changes: tuple[ChangeRecord, ...]


def dashboard(ledger: Ledger, viewer: Principal) -> Dashboard:
    attention: list[PrefixRecord] = []
    total = 0
    for level in ATTENTION_LEVELS:
        found, count = prefixes.list_prefixes(
            ledger, PrefixFilter(level=level.value, sort="utilization", limit=20)
        )
        attention.extend(found)
        total += count
    lines = []
    for summary in clusters.list_clusters(ledger):
        report = cluster_report(ledger, summary.cluster.name, limit=0, blocks=BlockPage(limit=0))
        kinds: dict[str, int] = {}
        for key, count in report.finding_counts.items():
            kind = key.split("/", 1)[-1]
            kinds[kind] = kinds.get(kind, 0) + count
        lines.append(ClusterLine(summary.cluster, summary.pod_percent, summary.headroom_nodes, kinds))
    fullest, _ = prefixes.list_prefixes(ledger, PrefixFilter(sort="utilization", limit=10))
    changes, _ = audit.search_changes(ledger, limit=10, viewer=viewer)
    return Dashboard(
        attention=tuple(attention[:20]),
        attention_total=total,
        overlaps=tuple(_overlap_lines(ledger)),
        clusters=tuple(lines),
        fullest=tuple(fullest),
        changes=tuple(changes),
    )


def _overlap_lines(ledger: Ledger) -> list[str]:
    return [
        finding.message
        for finding in cluster_overlaps.cluster_overlaps(ledger)
        if finding.severity.value != "info"
    ]


# Groups


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: int
    path: str
    name: str
    depth: int
    description: str
    owner: str
    prefixes: int
    bar: Bar | None
    has_children: bool


def group_rows(ledger: Ledger) -> list[GroupRow]:
    """The group tree depth first, each group with the rolled-up utilization of its subtree."""
    usage = {item.path: item for item in reports.group_usage(ledger)}
    rows: list[GroupRow] = []

    def walk(nodes: tuple[groups.GroupNode, ...] | list[groups.GroupNode], depth: int) -> None:
        for node in nodes:
            group = node.group
            used = usage.get(group.path)
            bar = None
            if used is not None and used.usage.size:
                bar = percent_bar(used.usage.percent)
            rows.append(
                GroupRow(
                    group.id,
                    group.path,
                    group.name,
                    depth,
                    group.description,
                    group.owner,
                    0 if used is None else used.prefixes,
                    bar,
                    bool(node.children),
                )
            )
            walk(node.children, depth + 1)

    walk(groups.group_tree(ledger), 0)
    return rows


# Prefixes


@dataclass(frozen=True, slots=True)
class PrefixList:
    rows: tuple[PrefixRecord, ...]
    paging: Paging
    filters: dict[str, str]


PAGE_SIZES = (50, 100, 250, 1000)


def prefix_list(ledger: Ledger, filters: dict[str, str], *, limit: int, offset: int) -> PrefixList:
    criteria = PrefixFilter(
        space=filters.get("space") or None,
        group=filters.get("group") or None,
        role=filters.get("role") or None,
        status=filters.get("status") or None,
        level=filters.get("level") or None,
        tag=filters.get("tag") or None,
        text=filters.get("q") or None,
        within=_network(filters.get("within")),
        sort=filters.get("sort") or "prefix",
        limit=limit,
        offset=offset,
    )
    rows, total = prefixes.list_prefixes(ledger, criteria)
    return PrefixList(tuple(rows), Paging(offset, limit, total), filters)


@dataclass(frozen=True, slots=True)
class PrefixPage:
    prefix: PrefixRecord
    bar: Bar
    parents: tuple[PrefixRecord, ...]
    children: tuple[PrefixRecord, ...]
    child_bars: dict[int, Bar]
    free_blocks: tuple[str, ...]
    free_blocks_total: int
    free_addresses: int
    next_address: str | None
    ranges: tuple[RangeRecord, ...]
    addresses: tuple[AddressRecord, ...]
    address_paging: Paging
    address_filters: dict[str, str]
    cells: tuple[Cell, ...]
    cell_size: int
    child_ids: dict[str, int]
    etag: str
    editable: dict[str, Any]
    chart: Chart | None
    forecast: Forecast


def prefix_page(
    ledger: Ledger, prefix_id: int, address_filters: dict[str, str], *, limit: int, offset: int
) -> PrefixPage:
    record = get_prefix(ledger, prefix_id)
    detail = prefixes.show_prefix(ledger, record.network, space=record.space)
    free = allocation.list_free_space_of(ledger, prefix_id=prefix_id, limit=32)
    found_ranges, _ = search_ranges(ledger, RangeFilter(space=record.space, within=record.network, limit=100))
    found, total = search_addresses(
        ledger,
        AddressFilter(
            space=record.space,
            within=record.network,
            text=address_filters.get("q") or None,
            holder_kind=address_filters.get("kind") or None,
            status=address_filters.get("status") or None,
            sort=address_filters.get("sort") or "address",
            limit=limit,
            offset=offset,
        ),
    )
    layout = prefix_map.prefix_map(ledger, prefix_id)
    now = datetime.now(UTC)
    subject = history.prefix_subject_by_id(ledger, prefix_id)
    samples = history.series(ledger, subject, since=now - history.DEFAULT_WINDOW)
    expected = history.forecast_subject(ledger, subject, now=now).forecast
    return PrefixPage(
        prefix=record,
        bar=bar_of(record),
        parents=detail.parents,
        children=detail.children[:200],
        child_bars={child.id: bar_of(child) for child in detail.children[:200]},
        free_blocks=tuple(str(block) for block in free.blocks),
        free_blocks_total=free.total_blocks,
        free_addresses=layout.free_addresses,
        next_address=None if free.next_address is None else str(free.next_address),
        ranges=tuple(found_ranges),
        addresses=tuple(found),
        address_paging=Paging(offset, limit, total),
        address_filters=address_filters,
        cells=layout.cells,
        cell_size=layout.cell_size,
        child_ids=layout.child_ids,
        etag=f'"prefix-{record.id}-v{record.version}"',
        editable={
            "status": record.status,
            "role": record.role,
            "group": record.group or "",
            "description": record.description,
            "tags": ", ".join(record.tags),
        },
        chart=chart_of(
            [(sample.at, sample.percent) for sample in samples] + [(now, record.usage.percent)],
            record.thresholds,
        ),
        forecast=expected,
    )


# Clusters


def cluster_list(ledger: Ledger) -> list[clusters.ClusterSummary]:
    return clusters.list_clusters(ledger)


# Search


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    whois: tuple[reports.WhoisAnswer, ...] = ()
    prefixes: tuple[PrefixRecord, ...] = ()
    addresses: tuple[AddressRecord, ...] = ()
    groups: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    error: str | None = None
    go_to: str | None = None  # one exact hit: its page


def search(ledger: Ledger, query: str) -> SearchResult:
    """One box for everything: an IP gives its whois, a CIDR the prefixes in and around it, a
    word the prefixes, addresses, groups and clusters whose names, tags or descriptions hold it."""
    text = query.strip()
    if not text:
        return SearchResult(query)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is not None:
        return SearchResult(query, whois=tuple(reports.whois(ledger, address)))
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            return SearchResult(query, error=f"{text}: {error}")
        around, _ = prefixes.list_prefixes(ledger, PrefixFilter(contains=network.network_address, limit=50))
        inside, _ = prefixes.list_prefixes(ledger, PrefixFilter(within=network, limit=200))
        exact = [item for item in around if item.network == network]
        if len(exact) == 1:
            return SearchResult(query, prefixes=(exact[0],), go_to=f"/prefixes/{exact[0].id}")
        seen: dict[int, PrefixRecord] = {item.id: item for item in [*around, *inside]}
        return SearchResult(query, prefixes=tuple(seen.values()))
    by_text, _ = prefixes.list_prefixes(ledger, PrefixFilter(text=text, limit=50))
    by_tag, _ = prefixes.list_prefixes(ledger, PrefixFilter(tag=text, limit=50))
    found_addresses, _ = search_addresses(ledger, AddressFilter(text=text, limit=50))
    tagged_addresses, _ = search_addresses(ledger, AddressFilter(tag=text, limit=50))
    lowered = text.lower()
    return SearchResult(
        query,
        prefixes=tuple({item.id: item for item in [*by_text, *by_tag]}.values()),
        addresses=tuple({item.id: item for item in [*found_addresses, *tagged_addresses]}.values()),
        groups=tuple(group.path for group in groups.list_groups(ledger) if lowered in group.path.lower()),
        clusters=tuple(
            item.cluster.name
            for item in clusters.list_clusters(ledger)
            if lowered in item.cluster.name.lower()
        ),
    )


# Change log


@dataclass(frozen=True, slots=True)
class ChangeLine:
    change: ChangeRecord
    fields: tuple[tuple[str, str, str, bool], ...]  # field, before, after, changed


@dataclass(frozen=True, slots=True)
class ChangeLog:
    lines: tuple[ChangeLine, ...]
    paging: Paging
    filters: dict[str, str]


def change_log(
    ledger: Ledger, viewer: Principal, filters: dict[str, str], *, limit: int, offset: int
) -> ChangeLog:
    records, total = audit.search_changes(
        ledger,
        object_kind=filters.get("kind") or None,
        label=filters.get("object") or None,
        actor=filters.get("actor") or None,
        since=_time(filters.get("since"), "since"),
        until=_time(filters.get("until"), "until"),
        limit=limit,
        offset=offset,
        viewer=viewer,
    )
    return ChangeLog(
        tuple(ChangeLine(item, _side_by_side(item)) for item in records),
        Paging(offset, limit, total),
        filters,
    )


def _side_by_side(change: ChangeRecord) -> tuple[tuple[str, str, str, bool], ...]:
    before, after = change.before or {}, change.after or {}
    names = list(dict.fromkeys([*before, *after]))
    return tuple(
        (name, _shown(before.get(name)), _shown(after.get(name)), before.get(name) != after.get(name))
        for name in names
    )


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _time(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInputError(
            f"{name}: {text!r} is not a date and time (2026-11-26 or 2026-11-26T14:00)"
        ) from error
    return moment if moment.tzinfo is not None else moment.astimezone()


def _network(text: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not text:
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise InvalidInputError(f"within: {text}: {error}") from error
