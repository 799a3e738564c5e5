"""Reports: utilization as a tree with group roll-ups, and who holds an address (whois)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ipledger.core.addresses import IPAddress
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Level, level_of
from ipledger.core.utilization import Usage, direct_parents
from ipledger.service import occupancy
from ipledger.service.convert import address_record, names, prefix_record, range_record
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import load_space
from ipledger.service.records import AddressRecord, PrefixRecord, RangeRecord
from ipledger.store import catalog, listing, observed, queries
from ipledger.store.database import Session
from ipledger.store.models import Cluster, ClusterSync

__all__ = [
    "GroupUsage",
    "Holder",
    "StrandedRecord",
    "UtilizationReport",
    "UtilizationRow",
    "WhoisAnswer",
    "group_usage",
    "utilization_report",
    "whois",
]


@dataclass(frozen=True, slots=True)
class UtilizationRow:
    """One prefix in the tree; ``depth`` counts the prefixes around it."""

    prefix: PrefixRecord
    depth: int


@dataclass(frozen=True, slots=True)
class GroupUsage:
    """A group's address space (its prefixes and those of groups below it), counted once."""

    path: str
    prefixes: int
    usage: Usage
    level: Level


@dataclass(frozen=True, slots=True)
class UtilizationReport:
    rows: tuple[UtilizationRow, ...]
    groups: tuple[GroupUsage, ...]


@dataclass(frozen=True, slots=True)
class WhoisAnswer:
    """Everything the ledger knows about one address in one space."""

    space: str
    address: IPAddress
    prefixes: tuple[PrefixRecord, ...]
    range: RangeRecord | None
    record: AddressRecord | None
    held_by: tuple[Holder, ...] = ()  # what the last sync of each cluster of the space saw holding it
    stranded_in: tuple[StrandedRecord, ...] = ()  # CNI records that still hold it although nothing uses it


@dataclass(frozen=True, slots=True)
class Holder:
    """What holds an address now, according to a cluster's last good sync."""

    cluster: str
    kind: str  # pod, node, service, loadbalancer, tunnel, router, health
    holder: str  # namespace/name for pods and services, the node name otherwise
    node: str
    since: datetime  # since when it holds it: its own start, or the first sync that saw it there
    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class StrandedRecord:
    """A CNI record that still holds the address although nothing uses it, according to a
    cluster's last good sync (one of its stranded findings)."""

    cluster: str
    kind: str  # the finding, e.g. whereabouts-pod-gone, calico-leaked-ip
    pool: str  # the pool, block or object that holds it, e.g. IPPool kube-system/net1 (192.168.50.0/24)
    owner: str  # the owner it claims
    release: str  # the command that would release it
    synced_at: datetime | None


def utilization_report(
    ledger: Ledger, *, space: str | None = None, min_percent: float | None = None
) -> UtilizationReport:
    """Every prefix with its utilization, nested, and the roll-up of every group."""
    with ledger.reading() as session:
        space_id = None if space is None else load_space(session, space).id
        prefixes = listing.list_all_prefixes(session, space_id=space_id)
        lookup = names(session).prefetch_groups(prefix.group_id for prefix in prefixes)
        records = [prefix_record(prefix, lookup) for prefix in prefixes]
        paths = [group.path for group in catalog.list_groups(session)]
        parents = _parents([(prefix.space_id, occupancy.span_of_prefix(prefix)) for prefix in prefixes])
    depths = [_depth(index, parents) for index in range(len(records))]
    rows = tuple(
        UtilizationRow(record, depth)
        for record, depth in zip(records, depths, strict=True)
        if min_percent is None or record.usage.percent >= min_percent
    )
    return UtilizationReport(
        rows,
        _roll_up([record.group for record in records], [record.usage for record in records], parents, paths),
    )


def group_usage(ledger: Ledger) -> tuple[GroupUsage, ...]:
    """The roll-up of every group (:func:`utilization_report`'s ``groups``), read lightly."""
    with ledger.reading() as session:
        rows = listing.list_prefix_usage(session)
        paths_by_id = {group.id: group.path for group in catalog.list_groups(session)}
    spans = [(row.space_id, IPRange(row.family, row.first, row.last)) for row in rows]
    return _roll_up(
        [None if row.group_id is None else paths_by_id[row.group_id] for row in rows],
        [Usage(size=row.size, usable=row.usable, used=row.used, covered=row.covered) for row in rows],
        _parents(spans),
        list(paths_by_id.values()),
    )


def _parents(spans_in_spaces: list[tuple[int, IPRange]]) -> list[int | None]:
    """Index of each prefix's direct parent, per space and family."""
    parents: list[int | None] = [None] * len(spans_in_spaces)
    buckets: dict[tuple[int, int], list[int]] = {}
    for index, (space_id, span) in enumerate(spans_in_spaces):
        buckets.setdefault((space_id, span.version), []).append(index)
    for indexes in buckets.values():
        spans = [spans_in_spaces[index][1] for index in indexes]
        for index, parent in zip(indexes, direct_parents(spans), strict=True):
            parents[index] = None if parent is None else indexes[parent]
    return parents


def _depth(index: int, parents: list[int | None]) -> int:
    depth = 0
    parent = parents[index]
    while parent is not None:
        depth += 1
        parent = parents[parent]
    return depth


def _roll_up(
    groups: list[str | None], usages: list[Usage], parents: list[int | None], paths: list[str]
) -> tuple[GroupUsage, ...]:
    """Sum each group's outermost prefixes, so nested prefixes of the same group count once."""
    members: dict[str, set[int]] = {path: set() for path in paths}
    for index, group in enumerate(groups):
        if group is None:
            continue
        path = group
        while True:
            members.setdefault(path, set()).add(index)
            if "/" not in path:
                break
            path = path.rpartition("/")[0]
    rolled = []
    for path in sorted(members):
        indexes = members[path]
        roots = [index for index in indexes if not _has_ancestor_in(index, parents, indexes)]
        usage = Usage(
            size=sum(usages[index].size for index in roots),
            usable=sum(usages[index].usable for index in roots),
            used=sum(usages[index].used for index in roots),
            covered=sum(usages[index].covered for index in roots),
        )
        rolled.append(GroupUsage(path, len(indexes), usage, level_of(usage.percent)))
    return tuple(rolled)


def _has_ancestor_in(index: int, parents: list[int | None], members: set[int]) -> bool:
    parent = parents[index]
    while parent is not None:
        if parent in members:
            return True
        parent = parents[parent]
    return False


def _holders(session: Session, address: IPAddress) -> dict[int, list[Holder]]:
    """The holders the last sync of each cluster saw, by the space of the cluster."""
    found: dict[int, list[Holder]] = {}
    for row in observed.observed_at(session, address.version, int(address)):
        cluster = session.get(Cluster, row.cluster_id)
        if cluster is None:
            continue
        sync = session.get(ClusterSync, row.sync_id)
        found.setdefault(cluster.space_id, []).append(
            Holder(
                cluster.name,
                row.kind,
                row.holder,
                row.node,
                row.since,
                None if sync is None else sync.finished_at,
            )
        )
    return found


def _stranded(session: Session, address: IPAddress) -> dict[int, list[StrandedRecord]]:
    """The CNI records the last sync of each cluster found still holding the address, by space."""
    found: dict[int, list[StrandedRecord]] = {}
    for row in observed.findings_at(session, str(address)):
        cluster = session.get(Cluster, row.cluster_id)
        if cluster is None:
            continue
        sync = session.get(ClusterSync, row.sync_id)
        found.setdefault(cluster.space_id, []).append(
            StrandedRecord(
                cluster.name,
                row.kind,
                row.pool,
                row.owner,
                row.release,
                None if sync is None else sync.finished_at,
            )
        )
    return found


def whois(ledger: Ledger, address: IPAddress, *, space: str | None = None) -> list[WhoisAnswer]:
    """For each space (or the one named): the prefixes holding ``address``, its range and record,
    what the clusters' last syncs saw holding it, and the CNI records that still hold it stranded.

    Spaces where the ledger knows nothing of the address are left out.
    """
    value = int(address)
    span = IPRange(address.version, value, value)
    answers = []
    with ledger.reading() as session:
        spaces = list(catalog.list_spaces(session)) if space is None else [load_space(session, space)]
        lookup = names(session)
        holders = _holders(session, address)
        strandings = _stranded(session, address)
        for space_row in spaces:
            chain = queries.list_prefixes_containing(session, space_row.id, span)
            holder_range = queries.find_range_holding(session, space_row.id, address.version, value)
            row = queries.find_address(session, space_row.id, address.version, value)
            held = tuple(holders.get(space_row.id, ()))
            stranded = tuple(strandings.get(space_row.id, ()))
            if not chain and holder_range is None and row is None and not held and not stranded:
                continue
            answers.append(
                WhoisAnswer(
                    space_row.name,
                    address,
                    tuple(prefix_record(prefix, lookup) for prefix in chain),
                    None if holder_range is None else range_record(holder_range, lookup),
                    None if row is None else address_record(row, lookup),
                    held,
                    stranded,
                )
            )
    return answers
